import type { Command } from 'commander';
import type { ExitSetter } from '../main.js';
import { durationOption, examples, fraction, integer } from '../options.js';

export function registerDemoServer(program: Command, _setExit: ExitSetter): void {
  program
    .command('demo-server')
    .description('Start the embedded demo target (an analysis API with an LRU+TTL cache) and keep it running.')
    .addHelpText('after', examples('troupe demo-server --port 8080 --miss-latency 100ms'))
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', integer, 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(durationOption('--miss-latency <duration>', 'simulated work per cache miss, e.g. 40ms or 0', { allowZero: true, defaultMs: 40 }))
    .option('--error-rate <fraction>', 'fraction of analyses answered 500 (0..1)', fraction, 0)
    .action(async (opts: { port: number; host: string; missLatency: number; errorRate: number }) => {
      const { startDemoServer } = await import('../../demo/server.js');
      const server = await startDemoServer({ port: opts.port, host: opts.host, missLatencyMs: opts.missLatency, errorRate: opts.errorRate });
      process.stderr.write(`troupe demo server listening on ${server.url} (Ctrl-C to stop)\n`);
      process.stdout.write(`${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
