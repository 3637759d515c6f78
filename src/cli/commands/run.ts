import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode, mostImportantExit, TroupeError, UsageError } from '../../errors.js';
import type { Order } from '../../inputs/types.js';
import { formatDuration } from '../../inputs/duration.js';
import { detectTerminal, paint } from '../../sinks/terminal.js';
import { exitNow } from '../exit.js';
import type { ExitSetter } from '../main.js';
import { collect, durationOption, examples, integer, order, positiveInt, positiveRate } from '../options.js';
import { InvalidArgumentError } from 'commander';
import { parseStageFlag } from '../../inputs/stage-flag.js';
import { outputNames } from '../../sinks/registry.js';
import type { StartedRun } from '../../run/execute.js';
import { parseShard, shardFromEnvironment } from '../../run/shard.js';
import { START_REFERENCE_ENV, startFromFlags } from '../../inputs/start-time.js';
import { addGateOptions, judgeGate, prepareGate, printGate, type GateFlags } from './compare.js';
import type { GateOutcome } from '../../reports/gate.js';

export interface RunFlags extends GateFlags {
  /** --history DIR: the history output (a copy of summary.json for troupe trend). */
  history?: string;
  config?: string;
  target?: string;
  personas?: string;
  locations?: string;
  concurrency?: number;
  iterations?: number;
  order?: Order;
  seed?: number;
  rate?: number;
  duration?: number;
  rampUp?: number;
  /** `--stage 30s:10`, repeatable: the closed model's VUs ramped in stages. */
  stage?: Array<{ duration: string; target: number }>;
  out?: string;
  name?: string;
  progress: boolean;
  /** --no-reports: skip csv/ and report.pdf (they can be built later with `troupe report`). */
  reports?: boolean;
  /** `--output NAME[=ARG]`, repeatable. */
  output?: string[];
  resume?: string;
  grace?: number;
  verbose?: boolean;
  insecure?: boolean;
  /** `--shard i/n` as written; `--shards n` takes i from JOB_COMPLETION_INDEX. */
  shard?: string;
  shards?: number;
  workers?: number;
  envFile?: string;
  /** --start-at as written; --start-after in ms; --start-reference as written (see src/inputs/start-time.ts). */
  startAt?: string;
  startAfter?: number;
  startReference?: string;
}

export function addInputOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: troupe.config.yaml|yml|json in the current directory)')
    .option('-t, --target <url>', 'base URL of the target, or "demo" for the embedded demo server')
    .option('--personas <path>', 'persona file or folder of persona files')
    .option('--locations <file>', 'locations file (CSV with header, JSON array or NDJSON)')
    .option('--concurrency <n>', 'requests in flight at most (default: config concurrency, else 5)', positiveInt)
    .option('--iterations <n>', 'times each persona visits each location (default: config iterations, else 1)', positiveInt)
    .option('--order <order>', 'persona | interleaved | shuffled (default: config order, else persona)', order)
    .option('--seed <n>', 'seed for --order shuffled and the open model (default: config seed, else 1)', integer)
    .option('--rate <n>', 'open model: arrivals per second (with --duration)', positiveRate)
    .addOption(durationOption('--duration <duration>', 'how long: with --rate the open model\'s arrivals, else the closed model\'s VUs loop over the plan, e.g. 2m'))
    .option('--stage <duration:target>', 'closed model: ramp the VUs to target over duration, e.g. 30s:10 (repeatable, in order)', stageOption)
    .addOption(durationOption('--ramp-up <duration>', 'open model: ramp from 0 to --rate over this long first, e.g. 30s'))
    .option('-o, --out <dir>', 'folder that receives run directories (default: config out, else reports)')
    .option('-n, --name <name>', 'run name, part of the run id (default: config name, else run)')
    .option('--env-file <file>', 'NAME=value lines for ${env:NAME} (default: .env in the current directory, when present; the environment wins)');
}

/** The environment `${env:NAME}` reads: --env-file or ./.env under the real one, said in one stderr line. */
export async function inputEnvFrom(flags: Pick<RunFlags, 'envFile'>, cwd: string): Promise<NodeJS.ProcessEnv> {
  const { envFileNote, loadInputEnv } = await import('../../inputs/env-file.js');
  const loaded = await loadInputEnv({ cwd, ...(flags.envFile !== undefined ? { envFile: flags.envFile } : {}) });
  if (loaded.file) process.stderr.write(envFileNote(loaded.file));
  return loaded.env;
}

export function overridesFrom(flags: RunFlags) {
  const { stage, config: _c, progress: _p, reports: _rp, output: _o, resume: _r, grace: _g, verbose: _v, threshold: _t, json: _j, junit: _u, baseline: _b, maxRegression: _m, shard: _sh, shards: _ss, workers: _w, envFile: _e, history: _h, startAt, startAfter, startReference, ...overrides } = flags;
  const at = startFromFlags({ startAt, startAfter, startReference });
  return Object.fromEntries(Object.entries({ ...overrides, stages: stage, startAt: at }).filter(([, v]) => v !== undefined));
}

/** Every flag of `troupe run`; `troupe validate` takes the same ones, so a CI line can be checked as written. */
export function addRunOptions(command: Command): Command {
  return addGateOptions(addInputOptions(command))
    .option('--no-progress', 'no progress output on stderr')
    .option('--no-reports', 'skip csv/ and report.pdf at the end (build them later with troupe report DIR)')
    .option('--history <dir>', 'also copy summary.json into DIR as <run-id>.json, for troupe trend DIR (= --output history=DIR)')
    .option('--output <name[=arg]>', `add an output: ${outputNames('run')} (repeatable; e.g. junit=out/junit.xml)`, collect)
    .option('--resume <run-dir>', 'continue an interrupted or killed run in its run directory (same inputs required)')
    .addOption(durationOption('--grace <duration>', 'after Ctrl-C, how long requests in flight may finish before they are cut, e.g. 30s or 0', { allowZero: true, defaultMs: 10_000 }))
    .option('--verbose', 'describe each failed request on stderr (method, redacted URL, code, message)')
    .option('--insecure', 'do not verify TLS certificates (prints a warning)')
    .option('--shard <i/n>', 'run shard i of n (1-based) of the plan, or 1/n of the open model\'s rate; merge with troupe merge')
    .option('--shards <n>', 'like --shard, with i from JOB_COMPLETION_INDEX (0-based, Kubernetes Indexed Jobs)', positiveInt)
    .option('--workers <n>', 'run the engine in n worker threads (default: 1)', positiveInt)
    .option('--start-at <time>', 'wait, with a countdown, until this instant (ISO 8601 with a zone, or Unix seconds), then start; shards given one instant start together')
    .addOption(durationOption('--start-after <duration>', `start this long after --start-reference (or ${START_REFERENCE_ENV}), e.g. 30s`, { allowZero: true }))
    .option('--start-reference <time>', `the time --start-after counts from, the same for every shard (default: ${START_REFERENCE_ENV})`);
}

/** `--shard i/n`, or `--shards n` with i from JOB_COMPLETION_INDEX; undefined when neither is given. */
export function shardFrom(flags: Pick<RunFlags, 'shard' | 'shards'>) {
  if (flags.shard !== undefined && flags.shards !== undefined) throw new UsageError('--shard and --shards: give one of them, not both');
  return flags.shard !== undefined ? parseShard(flags.shard) : flags.shards !== undefined ? shardFromEnvironment(flags.shards) : undefined;
}

export function registerRun(program: Command, setExit: ExitSetter): void {
  addRunOptions(program.command('run'))
    .description('Run personas × locations against the target and write a run directory with results and reports.')
    .addHelpText('after', examples(
      'troupe run                                        # troupe.config.yaml here',
      'troupe run --config staging.yaml --concurrency 20 --threshold "p95 < 500ms" --json > summary.json',
      'troupe run --rate 50 --duration 2m --ramp-up 30s  # open model: 50 arrivals/s for 2 minutes',
      'troupe run --concurrency 20 --duration 10m        # 20 VUs loop over the plan for 10 minutes',
      'troupe run --stage 2m:50 --stage 5m:50 --stage 1m:0  # VUs ramped up to 50, held, ramped down',
      'troupe run --resume reports/demo-20261123-101700  # continue an interrupted run with its own flags',
    ))
    .action(async (typed: RunFlags, command: Command) => {
      const cwd = process.cwd();
      // Loaded here, not at the top, so that `troupe --help` does not load the engine and the validators.
      const [{ loadInputs }, { executeRun }, { renderRunTable, renderInterruption }, { readManifest }, { recordInvocation, restoreFlags }, { resumeCommand }] = await Promise.all([
        import('../../inputs/config.js'),
        import('../../run/execute.js'),
        import('../../reports/console.js'),
        import('../../run-dir/json-files.js'),
        import('../../run/resume-flags.js'),
        import('../../run/resume-command.js'),
      ]);
      // Only the flags typed on the command line are recorded in run.json, and restored by --resume.
      const given = Object.fromEntries(Object.entries(typed).filter(([key]) => command.getOptionValueSource(key) === 'cli'));
      const resumeDir = typed.resume ? resolve(cwd, typed.resume) : null;
      const flags = (resumeDir ? { ...typed, ...restoreFlags(typed.resume!, (await readManifest(resumeDir))?.invocation, given, cwd) } : typed) as RunFlags;
      // A resumed shard stays the shard run.json says it is (JOB_COMPLETION_INDEX need not be set again).
      const shard = resumeDir ? undefined : shardFrom(flags);
      const inputs = await loadInputs({ cwd, configPath: flags.config ? resolve(cwd, flags.config) : undefined, overrides: overridesFrom(flags), env: await inputEnvFrom(flags, cwd) });
      if (inputs.notice) process.stderr.write(`troupe: ${inputs.notice}\n`);
      const gate = await prepareGate(inputs, flags, cwd);
      const { selectOutputs } = await import('../../sinks/registry.js');
      const outputs = selectOutputs({
        command: 'run',
        progress: flags.progress,
        reports: flags.reports !== false,
        config: { specs: inputs.config.gate.outputs, file: inputs.config.source },
        flags: flags.output ?? [],
        extra: [...(flags.junit ? [{ name: 'junit', arg: flags.junit }] : []), ...(flags.history ? [{ name: 'history', arg: flags.history }] : [])],
      });
      const terminal = detectTerminal(process.stderr);
      const c = paint(terminal);
      if (inputs.config.insecure) process.stderr.write('troupe: warning: TLS certificates are not verified (--insecure / insecure: true)\n');
      const resumeWith = (dir: string) => resumeCommand(dir, { cwd, argv: process.argv, env: process.env });

      // First signal: stop starting work, let requests in flight finish, write everything as interrupted.
      // Second signal: run.json is marked interrupted (synchronously, atomically) and the process leaves at once.
      const controller = new AbortController();
      let started: StartedRun | null = null;
      let gateOutcome: GateOutcome | undefined;
      const onSignal = () => {
        if (controller.signal.aborted) {
          started?.markInterruptedSync('stopped by a second signal; requests in flight were not recorded (--resume runs them again)');
          if (started) process.stderr.write(`\ntroupe: exiting now; run.json says interrupted\nresume with: ${resumeWith(started.path)}\n`);
          exitNow(ExitCode.interrupted);
        }
        process.stderr.write(`\ntroupe: stopping: letting requests in flight finish for up to ${formatDuration(flags.grace ?? 10_000)} (signal again to exit now)\n`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await executeRun({
          inputs,
          thresholds: gate.thresholds,
          signal: controller.signal,
          progress: { stream: process.stderr, terminal, enabled: flags.progress },
          ...(resumeDir ? { resume: resumeDir } : { invocation: recordInvocation(given, cwd, inputs.secrets) }),
          graceMs: flags.grace,
          ...(flags.verbose ? { verbose: process.stderr } : {}),
          ...(shard ? { shard } : {}),
          ...(flags.workers ? { workers: flags.workers } : {}),
          // --json keeps stderr to one line per event; a countdown rewrites its line only on a terminal.
          countdown: flags.json || !flags.progress || !terminal.isTTY ? 'line' : 'live',
          onRunDirectory: (run) => {
            started = run;
            if (run.resumeNote) process.stderr.write(`troupe: ${run.resumeNote}\n`);
            if (run.notice) process.stderr.write(`troupe: ${run.notice}\n`);
          },
          outputs,
          cwd,
          warn: (message) => process.stderr.write(`\ntroupe: warning: ${message}\n`),
          judge: async (runDir, summary) => {
            gateOutcome = await judgeGate(runDir, summary, gate);
            return gateOutcome.comparison;
          },
        });
        process.stderr.write(`\n${renderRunTable(result.summary, c)}`);
        const judged = gateOutcome!;
        const failures = [...judged.artifactsFailed, ...result.artifacts.failed];
        for (const warning of result.artifacts.warnings) process.stderr.write(`troupe: ${warning}\n`);
        for (const err of failures) process.stderr.write(`troupe: ${err.message}\n`);
        await printGate(result.summary, judged, flags);
        const artifactsFailed = failures.length > 0;
        process.stderr.write(`\nrun directory: ${result.runDir}\n`);
        let outcome: number = ExitCode.ok;
        if (result.summary.abortedBy) {
          process.stderr.write(`troupe: ${result.summary.abortedBy.message}; the run stopped early\n`);
          outcome = ExitCode.failed;
        } else if (result.status === 'interrupted') {
          process.stderr.write(`\n${renderInterruption(result.summary, resumeWith(result.runDir), c)}`);
          outcome = ExitCode.interrupted;
        } else if (judged.failed) outcome = ExitCode.failed;
        setExit(mostImportantExit(outcome, artifactsFailed ? ExitCode.artifactFailed : ExitCode.ok));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** `--stage 30s:10`, repeatable: checked here, kept in the config's form (`{ duration: '30s', target: 10 }`). */
function stageOption(value: string, previous: Array<{ duration: string; target: number }> = []): Array<{ duration: string; target: number }> {
  try {
    const stage = parseStageFlag(value);
    return [...previous, { duration: value.slice(0, value.lastIndexOf(':')).trim(), target: stage.target }];
  } catch (err) {
    if (err instanceof TroupeError) throw new InvalidArgumentError(err.message.replace(/^--stage: /, ''));
    throw err;
  }
}
