import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import { loadInputs } from '../../fixtures/config.js';
import type { Order } from '../../fixtures/types.js';
import { renderRunTable } from '../../reports/console.js';
import { executeRun } from '../../run/execute.js';
import { detectTerminal, paint } from '../../sinks/terminal.js';
import { exitNow } from '../exit.js';
import type { ExitSetter } from '../main.js';
import { integer, order, positiveInt } from '../options.js';

export interface RunFlags {
  config?: string;
  target?: string;
  personas?: string;
  locations?: string;
  concurrency?: number;
  iterations?: number;
  order?: Order;
  seed?: number;
  out?: string;
  name?: string;
  progress: boolean;
}

export function addInputOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: troupe.config.yaml|yml|json in the current directory)')
    .option('-t, --target <url>', 'base URL of the target, or "demo" for the embedded demo server')
    .option('--personas <path>', 'persona file or folder of persona files')
    .option('--locations <file>', 'locations file (CSV with header, JSON array or NDJSON)')
    .option('--concurrency <n>', 'requests in flight at most', positiveInt)
    .option('--iterations <n>', 'times each persona visits each location', positiveInt)
    .option('--order <order>', 'persona | interleaved | shuffled', order)
    .option('--seed <n>', 'seed for --order shuffled', integer)
    .option('-o, --out <dir>', 'folder that receives run directories')
    .option('-n, --name <name>', 'run name (part of the run id)');
}

export function overridesFrom(flags: RunFlags) {
  const { config: _c, progress: _p, ...overrides } = flags;
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
}

export function registerRun(program: Command, setExit: ExitSetter): void {
  addInputOptions(program.command('run'))
    .description('Run personas × locations against the target and write a run directory with results and reports.')
    .option('--no-progress', 'no progress output on stderr')
    .action(async (flags: RunFlags) => {
      const cwd = process.cwd();
      const inputs = await loadInputs({ cwd, configPath: flags.config ? resolve(cwd, flags.config) : undefined, overrides: overridesFrom(flags) });
      const terminal = detectTerminal(process.stderr);
      const c = paint(terminal);

      // First signal: stop starting work, let requests in flight finish, write everything as interrupted.
      // Second signal: leave at once; files already on disk were written atomically and stay valid.
      const controller = new AbortController();
      const onSignal = () => {
        if (controller.signal.aborted) exitNow(ExitCode.interrupted);
        process.stderr.write('\ntroupe: stopping: letting requests in flight finish (signal again to exit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await executeRun({
          inputs,
          signal: controller.signal,
          progress: { stream: process.stderr, terminal, enabled: flags.progress },
        });
        process.stderr.write(`\n${renderRunTable(result.summary, c)}`);
        process.stderr.write(`\nrun directory: ${result.runDir}\n`);
        if (result.status === 'interrupted') setExit(ExitCode.interrupted);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
