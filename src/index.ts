/**
 * The programmatic API (`import { run } from 'troupe'`): what `troupe run` and `troupe validate` do,
 * without a terminal. Errors are TroupeError subclasses with a stable `code` and the `exitCode` the
 * CLI would use; nothing here writes to stdout or calls process.exit.
 */
import { resolve } from 'node:path';
import type { ArtifactError } from './errors.js';
import { selectOutputs } from './sinks/registry.js';
import { loadInputs, type LoadInputsOptions, type Overrides } from './inputs/config.js';
import type { LoadedInputs } from './inputs/types.js';
import type { Comparison } from './reports/compare.js';
import { finishGate, prepareGate } from './reports/gate.js';
import { describePlan, type PlanDescription } from './run/describe-plan.js';
import { executeRun } from './run/execute.js';
import type { RunStatus, RunSummary } from './run-dir/types.js';
import type { Shard } from './run/shard.js';
import { detectTerminal } from './sinks/terminal.js';

export interface InputOptions extends Partial<Overrides> {
  /** Folder that relative paths (config, --out, personas, locations) are resolved against. Default: process.cwd(). */
  cwd?: string;
  /**
   * Config file, relative to cwd. Without it, troupe.config.{yaml,yml,json} in cwd; without one and
   * without `personas`/`locations`, the built-in demo (see `notice` on the result).
   */
  config?: string;
  /** For `${env:NAME}` in the config and personas. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunOptions extends InputOptions {
  /** Threshold expressions judged after the config's, as `--threshold` (e.g. "p95 < 2s"). */
  thresholds?: readonly string[];
  /** An earlier run directory or summary.json to compare with, as `--baseline`. */
  baseline?: string;
  /** Abort to stop: no new work starts, requests in flight finish, the run is written as `interrupted`. */
  signal?: AbortSignal;
  /** After `signal` aborts, how long requests in flight may finish (ms). Default 10 000. */
  graceMs?: number;
  /** Progress on this stream (plain lines unless it is a TTY). Default: no progress. */
  progress?: NodeJS.WritableStream;
  /** Also build csv/ and report.pdf in the run directory, as `troupe run` does. Default false. */
  reports?: boolean;
  /** Outputs besides the run directory's own, as `--output NAME[=ARG]` (e.g. `junit=out/junit.xml`). */
  outputs?: readonly string[];
  /** A run directory to continue, as `--resume`. */
  resume?: string;
  /** Run shard `index` (1-based) of `count`, as `--shard index/count`. */
  shard?: Shard;
  /** Engine worker threads, as `--workers`. Default 1. */
  workers?: number;
}

export interface RunResult {
  runId: string;
  /** Absolute path of the run directory (run.json, results.ndjson, summary.json, …). */
  runDir: string;
  status: RunStatus;
  /** What summary.json holds, with its `thresholds` verdict when thresholds were set. */
  summary: RunSummary;
  /** The comparison with `baseline`, when one was given. */
  comparison: Comparison | null;
  /** False when the CLI would exit non-zero: a threshold failed, a regression, an abortOn stop, an interrupt, an artifact not written. */
  passed: boolean;
  /** Artifacts that could not be written (the CLI exits 4): each names its file or output. */
  artifactsFailed: ArtifactError[];
  /** What the outputs said at the end that the console prints too, e.g. a metrics endpoint that refused pushes. */
  warnings: string[];
  /** Set when the built-in demo ran because no config was found. */
  notice?: string;
}

export interface ValidateResult extends PlanDescription {
  inputs: LoadedInputs;
}

const OVERRIDE_KEYS = ['target', 'personas', 'locations', 'concurrency', 'iterations', 'order', 'seed', 'out', 'name', 'insecure', 'rate', 'duration', 'rampUp', 'startAt', 'stages'] as const satisfies readonly (keyof Overrides)[];

function loadOptions(options: InputOptions): LoadInputsOptions {
  const cwd = resolve(options.cwd ?? process.cwd());
  const overrides: Partial<Overrides> = {};
  for (const key of OVERRIDE_KEYS) if (options[key] !== undefined) Object.assign(overrides, { [key]: options[key] });
  return { cwd, overrides, ...(options.config !== undefined ? { configPath: options.config } : {}), ...(options.env ? { env: options.env } : {}) };
}

export interface ValidateOptions extends InputOptions {
  /** Threshold expressions checked (parsed, scopes known) after the config's, as `--threshold`. */
  thresholds?: readonly string[];
  /** Describe only this shard's part of the plan, as `--shard index/count`. */
  shard?: Shard;
}

/** Config, personas, locations and thresholds read and checked, as `troupe validate`; nothing is sent. */
export async function validate(options: ValidateOptions = {}): Promise<ValidateResult> {
  const inputs = await loadInputs(loadOptions(options));
  const gate = await prepareGate(inputs, { thresholds: options.thresholds ?? [], baselinePath: null });
  return { inputs, ...describePlan(inputs, { ...(options.shard ? { shard: options.shard } : {}), thresholds: gate.thresholds }) };
}

/** One run, as `troupe run` without the console: returns when summary.json is written. */
export async function run(options: RunOptions = {}): Promise<RunResult> {
  const load = loadOptions(options);
  const inputs = await loadInputs(load);
  const gate = await prepareGate(inputs, { thresholds: options.thresholds ?? [], baselinePath: options.baseline ? resolve(load.cwd, options.baseline) : null });
  const progress = options.progress;
  const outputs = selectOutputs({
    command: 'run',
    progress: progress !== undefined,
    reports: options.reports === true,
    config: { specs: inputs.config.gate.outputs, file: inputs.config.source },
    flags: options.outputs ?? [],
  });
  let outcome: Awaited<ReturnType<typeof finishGate>> | undefined;
  const result = await executeRun({
    outputs,
    cwd: load.cwd,
    judge: async (runDir, summary) => {
      outcome = await finishGate(runDir, summary, gate);
      return outcome.comparison;
    },
    inputs,
    thresholds: gate.thresholds,
    progress: { stream: progress ?? process.stderr, terminal: detectTerminal((progress ?? {}) as { isTTY?: boolean }), enabled: progress !== undefined },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    ...(options.resume ? { resume: resolve(load.cwd, options.resume) } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
    ...(progress ? { warn: (message: string) => progress.write(`troupe: warning: ${message}\n`) } : {}),
  });
  const judged = outcome!;
  const artifactsFailed = [...judged.artifactsFailed, ...result.artifacts.failed];
  const passed = result.status === 'complete' && !judged.failed && !result.summary.abortedBy && artifactsFailed.length === 0;
  const { artifacts: _a, comparison: _c, ...rest } = result;
  return { ...rest, comparison: judged.comparison, passed, artifactsFailed, warnings: [...result.artifacts.warnings, ...(result.summary.generator?.saturated ? [`the load generator was saturated: ${result.summary.generator.reasons.join('; ')}; latency figures include load-generator delay`] : [])], ...(inputs.notice ? { notice: inputs.notice } : {}) };
}

export { loadInputs };
export { startDemoServer, type DemoServer, type DemoServerOptions } from './demo/server.js';
export { ExitCode, TroupeError, InputError, UsageError, type TroupeErrorCode } from './errors.js';
export { TROUPE_VERSION as version } from './version.js';
export type { LoadInputsOptions, Overrides, TroupeConfigFile } from './inputs/config.js';
export type { LoadedInputs, Location, Persona, RunConfig } from './inputs/types.js';
export type { LocationTable } from './inputs/location-table.js';
export type { PlanDescription } from './run/describe-plan.js';
export type { Comparison } from './reports/compare.js';
export type { RunManifest, RunStatus, RunSummary, ThresholdVerdict } from './run-dir/types.js';
export type { Shard } from './run/shard.js';
