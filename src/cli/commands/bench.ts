/**
 * `troupe bench <url>`: autocannon against one URL, written as a troupe run directory. Heavy modules
 * (autocannon, the bench runner, reports) load inside the action, so `troupe --help` stays fast.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode, mostImportantExit, UsageError } from '../../errors.js';
import type { ExitSetter } from '../main.js';
import { exitNow } from '../exit.js';
import { collect, durationOption, examples, positiveInt, positiveNumber } from '../options.js';
import { outputNames } from '../../sinks/registry.js';

// capacity.ts still imports these two from here.

export interface HttpFlags {
  method: string;
  header?: string[];
  body?: string;
  pipelining: number;
  /** ms */
  timeout: number;
}

/** `Name: value` flags → a header map; a flag without a colon is a usage error naming it. */
export function parseHeaders(values: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const i = value.indexOf(':');
    if (i <= 0) throw new UsageError(`--header: expected "Name: value", got "${value}"`);
    headers[value.slice(0, i).trim()] = value.slice(i + 1).trim();
  }
  return headers;
}

export function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`expected an http:// or https:// URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`expected an http:// or https:// URL, got "${value}"`);
  return url.href;
}

export function addHttpOptions(command: Command): Command {
  return command
    .option('-m, --method <method>', 'HTTP method', 'GET')
    .option('-H, --header <header>', 'request header "Name: value" (repeatable)', collect)
    .option('-b, --body <body>', 'request body')
    .option('-p, --pipelining <n>', 'requests pipelined per connection', positiveInt, 1)
    .addOption(durationOption('--timeout <duration>', 'per-request timeout, e.g. 10s or 500ms', { defaultMs: 10_000 }));
}

interface BenchFlags extends HttpFlags {
  connections: number;
  /** ms */
  duration: number;
  amount?: number;
  rate?: number;
  workers: number;
  out: string;
  name: string;
  threshold?: string[];
  json?: boolean;
  reports: boolean;
  output?: string[];
}

export function registerBench(program: Command, setExit: ExitSetter): void {
  addHttpOptions(
    program
      .command('bench')
      .argument('<url>', 'the URL to load, e.g. http://127.0.0.1:8080/health')
      .description('Load one URL with autocannon and write a troupe run directory (results, summary, CSV, PDF) that report, compare, thresholds and merge understand.')
      .addHelpText('after', examples('troupe bench http://127.0.0.1:8080/health --connections 50 --duration 30s --threshold "p99 < 50ms"'))
      .option('-c, --connections <n>', 'concurrent connections', positiveInt, 10)
      .addOption(durationOption('-d, --duration <duration>', 'how long, e.g. 10s or 2m', { defaultMs: 10_000 }))
      .option('-a, --amount <n>', 'send this many requests instead of running for --duration', positiveInt)
      .option('-R, --rate <n>', 'requests per second over all connections (default: as fast as possible)', positiveNumber),
  )
    .option('-w, --workers <n>', 'worker threads, each with its own autocannon and 1/n of the connections', positiveInt, 1)
    .option('-o, --out <dir>', 'folder that receives the run directory', 'reports')
    .option('-n, --name <name>', 'run name (part of the run id)', 'bench')
    .option('--threshold <expr>', 'fail (exit 1) unless this holds, e.g. "p99 < 50ms" (repeatable)', collect)
    .option('--json', 'print the summary with its verdict as one JSON document on stdout')
    .option('--no-reports', 'skip csv/ and report.pdf (build them later with troupe report DIR)')
    .option('--output <name[=arg]>', `add an output: ${outputNames('bench')} (repeatable; e.g. junit=out/junit.xml)`, collect)
    .action(async (url: string, flags: BenchFlags) => {
      const [{ executeBench }, { parseThreshold, ThresholdSyntaxError }, { renderVerdictLines }, { renderRunTable }, { detectTerminal, paint }] = await Promise.all([
        import('../../bench/run.js'),
        import('../../metrics/thresholds.js'),
        import('../../metrics/threshold-format.js'),
        import('../../reports/console.js'),
        import('../../sinks/terminal.js'),
      ]);
      const thresholds = (flags.threshold ?? []).map((e) => {
        try {
          return parseThreshold(e);
        } catch (err) {
          if (err instanceof ThresholdSyntaxError) throw new UsageError(`--threshold ${JSON.stringify(e)}: ${err.message}`);
          throw err;
        }
      });
      const { selectOutputs } = await import('../../sinks/registry.js');
      const outputs = selectOutputs({ command: 'bench', progress: false, reports: flags.reports, flags: flags.output ?? [] });
      // First signal: autocannon stops, what it did is written (results.ndjson from the tape, the summary).
      // Second signal: the process leaves at once; the results so far stay on the tape, which report reads.
      const controller = new AbortController();
      const onSignal = () => {
        if (controller.signal.aborted) {
          process.stderr.write('\ntroupe: exiting now; the results so far are in the run directory\'s results.tape (troupe report reads it)\n');
          exitNow(ExitCode.interrupted);
        }
        process.stderr.write('\ntroupe: stopping: autocannon ends its run within a second, then the results are written (signal again to exit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await executeBench({
          bench: {
            url: checkUrl(url),
            connections: flags.connections,
            durationS: flags.duration / 1000,
            ...(flags.amount ? { amount: flags.amount } : {}),
            ...(flags.rate ? { rate: flags.rate } : {}),
            method: flags.method,
            headers: parseHeaders(flags.header),
            ...(flags.body !== undefined ? { body: flags.body } : {}),
            pipelining: flags.pipelining,
            timeoutS: flags.timeout / 1000,
          },
          workers: flags.workers,
          outDir: resolve(process.cwd(), flags.out),
          name: flags.name,
          thresholds,
          signal: controller.signal,
          outputs,
          cwd: process.cwd(),
          warn: (message) => process.stderr.write(`\ntroupe: warning: ${message}\n`),
        });
        const c = paint(detectTerminal(process.stderr));
        process.stderr.write(renderRunTable(result.summary, c));
        const a = result.autocannon;
        process.stderr.write(`autocannon counted ${a.requests} requests in ${a.durationS.toFixed(2)} s (${a.rps.toFixed(1)} req/s), ${a.errors} errors, ${a.timeouts} timeouts, ${a.non2xx} non-2xx\n`);
        for (const warning of result.artifacts.warnings) process.stderr.write(`troupe: ${warning}\n`);
        for (const err of result.artifacts.failed) process.stderr.write(`troupe: ${err.message}\n`);
        const artifactsFailed = result.artifacts.failed.length > 0;
        if (result.summary.thresholds) process.stderr.write(`\n${renderVerdictLines(result.summary.thresholds, c)}`);
        process.stderr.write(`\nrun directory: ${result.runDir}\n`);
        if (flags.json) process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
        const outcome = result.status === 'interrupted' ? ExitCode.interrupted : result.summary.thresholds?.passed === false ? ExitCode.failed : ExitCode.ok;
        setExit(mostImportantExit(outcome, artifactsFailed ? ExitCode.artifactFailed : ExitCode.ok));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
