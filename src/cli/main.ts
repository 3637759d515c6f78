import { Command, CommanderError } from 'commander';
import { ExitCode, TroupeError, UsageError } from '../errors.js';
import { TROUPE_VERSION } from '../version.js';
import { unexpectedErrorText } from './unexpected.js';

/** Commands report their outcome by returning an exit code; only this entry calls process.exit. */
export type ExitSetter = (code: number) => void;

type Register = (program: Command, setExit: ExitSetter) => void;

/**
 * Every command, in --help order, by the module that defines it. Only the command being run is
 * imported (each module loads its own code only in its action, see run.ts): `troupe validate` does not
 * load bench or the report builders. The top-level --help, `troupe help` and an unknown command load
 * them all (the list, and commander's suggestion, need every name).
 */
const COMMANDS: ReadonlyArray<[string, () => Promise<Register>]> = [
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['validate', async () => (await import('./commands/validate.js')).registerValidate],
  ['demo-server', async () => (await import('./commands/demo-server.js')).registerDemoServer],
  ['compare', async () => (await import('./commands/compare.js')).registerCompare],
  ['report', async () => (await import('./commands/report.js')).registerReport],
  ['merge', async () => (await import('./commands/merge.js')).registerMerge],
  ['bench', async () => (await import('./commands/bench.js')).registerBench],
  ['capacity', async () => (await import('./commands/capacity.js')).registerCapacity],
  ['trend', async () => (await import('./commands/trend.js')).registerTrend],
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['schema', async () => (await import('./commands/schema.js')).registerSchema],
];

/**
 * The commands to define for this argv: the one its first argument names (the program's own options,
 * -h and -V, take no command after them), none for -V (it prints the version and stops), else (help,
 * no command, a typo) all.
 */
function commandsFor(argv: readonly string[]): ReadonlyArray<[string, () => Promise<Register>]> {
  if (argv[2] === '-V' || argv[2] === '--version') return [];
  const named = COMMANDS.filter(([name]) => name === argv[2]);
  return named.length === 1 ? named : COMMANDS;
}

async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const setExit: ExitSetter = (code) => {
    exitCode = code;
  };
  const program = new Command()
    .name('troupe')
    .description('Load testing and persona simulation for HTTP services, with CSV and PDF reports.')
    .version(TROUPE_VERSION, '-V, --version')
    .showHelpAfterError(true)
    .exitOverride();
  // The command whose action is running: a usage error found there prints that command's help, as
  // commander does for the errors it finds itself.
  let active: Command = program;
  program.hook('preAction', (_program, actionCommand) => {
    active = actionCommand;
  });
  const chosen = commandsFor(argv);
  for (const register of await Promise.all(chosen.map(([, load]) => load()))) register(program, setExit);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof TroupeError) {
      process.stderr.write(`troupe: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`\n${active.helpInformation()}`);
      return err.exitCode;
    }
    process.stderr.write(unexpectedErrorText(err));
    return ExitCode.failed;
  }
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

// A reader that stops early (`troupe run --json | head`) closes the pipe: what is left to write has
// nowhere to go, which is not an error of the run. Anything else on the streams still is.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

// Not a top-level await: the bundle bin/troupe.js runs (dist/cli/main.cjs, scripts/bundle.mjs) is
// CommonJS, so V8 can keep its compiled code between runs, and CommonJS has none.
void main(process.argv).then(async (code) => {
  process.exitCode = code;
  // A pipe takes 64 KiB at once; the rest of a large `--json` document waits in the stream's queue,
  // and process.exit would drop it. Exit only when both streams have drained. The explicit exit is
  // still needed: an idle keep-alive socket or a demo server must not hold the process open.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
});
