/**
 * Outputs registered by name (after k6 `internal/cmd/outputs.go`): `--output NAME[=ARG]` and the
 * config's `outputs:` pick from this table, an unknown name lists the valid ones. A new output
 * (prometheus, otlp, html) is one entry here. Implementations load when an output is created, so
 * that reading the names (`--help`) loads none of them.
 */
import type { LoadLevel } from './live/series.js';
import { basename, dirname, resolve } from 'node:path';
import type { Clock } from '../engine/clock.js';
import { InputError, UsageError } from '../errors.js';
import type { Output, RunEnd } from './output.js';
import type { ProgressOptions } from './progress.js';
import type { SnapshotSource } from './snapshots.js';
import type { NdjsonOptions } from './ndjson.js';

/** Builds one end-of-run artifact (supplied by the caller: the builders live in src/reports/). Returns a warning, if any. */
export type ArtifactBuild = (end: RunEnd) => Promise<string | void>;

/** What an output may need to be created; the command that runs fills it in. */
export interface OutputContext {
  command: 'run' | 'bench';
  /** The run directory: the ndjson and snapshot outputs ask src/run-dir/ for their files in it. */
  runDir: string;
  /** The load the model applies, for the live metrics' VU / arrival-rate gauges (absent: bench). */
  load?: LoadLevel;
  clock: Clock;
  snapshots: { slugs: ReadonlyMap<string, string>; source: SnapshotSource; intervalMs: number };
  /** results.ndjson's line for a record and its batching, when the command has its own (bench). Default: resultLine, RESULTS_FLUSH. */
  results?: NdjsonOptions;
  /** The progress display's settings, or null where there is none (bench). */
  progress: ProgressOptions | null;
  /** The end-of-run artifact `name` (with its ARG) as a function of the finished run. */
  artifact(name: string, arg: string | undefined): ArtifactBuild;
}

export interface OutputDefinition {
  /** One line for `--help` and the README. */
  description: string;
  when: 'live' | 'end';
  /** What `NAME=ARG` means, when the output takes an argument. */
  arg?: string;
  /** ARG is a file: in a config file it is relative to the config's folder, as every path there. */
  argIsPath?: boolean;
  /** The output cannot work without its ARG (a URL to push to). */
  argRequired?: boolean;
  /** Commands it makes sense for (default: all). */
  commands?: ReadonlyArray<OutputContext['command']>;
  create(context: OutputContext, arg: string | undefined): Output | Promise<Output>;
}

/** An end-of-run output: nothing to start; its stop builds the artifact. */
function artifactOutput(name: string, build: ArtifactBuild): Output {
  return {
    name,
    when: 'end',
    start: async () => undefined,
    stop: async (end) => (end ? build(end) : undefined),
  };
}

const artifact = (name: string, description: string, arg?: string): OutputDefinition => ({
  description,
  when: 'end',
  ...(arg ? { arg, argIsPath: true } : {}),
  create: (context, value) => artifactOutput(value === undefined ? name : `${name}=${value}`, context.artifact(name, value)),
});

const registry = new Map<string, OutputDefinition>([
  ['ndjson', { description: 'results.ndjson: one line per request, appended as it completes', when: 'live', create: async (c) => new (await import('./ndjson.js')).NdjsonSink(c.runDir, { ...c.results, clock: c.clock }) }],
  [
    'snapshots',
    {
      description: 'personas/<slug>.json: each persona\'s figures, rewritten while it runs',
      when: 'live',
      create: async (c) => new (await import('./snapshots.js')).SnapshotSink(c.runDir, c.snapshots.slugs, c.snapshots.source, c.snapshots.intervalMs, c.clock),
    },
  ],
  [
    'progress',
    {
      description: 'progress on stderr: bars on a terminal, a plain line every few seconds otherwise',
      when: 'live',
      commands: ['run'],
      create: async (c) => {
        if (!c.progress) throw new UsageError(`output "progress" is not available for ${c.command}`);
        return new (await import('./progress.js')).ProgressSink(c.progress);
      },
    },
  ],
  ['csv', artifact('csv', 'csv/: requests, personas, locations, steps, percentiles, errors, timeseries, cache')],
  ['pdf', artifact('pdf', 'report.pdf: the stakeholder report')],
  ['html', artifact('html', 'report.html: the self-contained interactive report (no network)')],
  ['junit', artifact('junit', 'junit.xml: one testcase per threshold and regression check', 'FILE: write it to FILE instead of the run directory')],
  ['markdown', artifact('markdown', 'summary.md: verdict and figures for a CI summary (and GITHUB_STEP_SUMMARY)')],
  ['history', { ...artifact('history', 'a copy of summary.json in DIR (<run-id>.json), for troupe trend DIR', 'DIR: the history folder (created if missing)'), argRequired: true }],
  [
    'prometheus',
    {
      description: 'a /metrics endpoint for Prometheus to scrape during the run (loopback unless told otherwise)',
      when: 'live',
      arg: 'HOST:PORT[,locations] (default 127.0.0.1:9464; locations adds a location label)',
      create: async (c, arg) => new (await import('./live/prometheus.js')).PrometheusOutput(arg, basename(c.runDir), c.clock, c.load),
    },
  ],
  [
    'prometheus-rw',
    {
      description: 'Prometheus remote write: the same series pushed every 5 s and at the end',
      when: 'live',
      arg: 'URL[,locations], e.g. http://127.0.0.1:9090/api/v1/write',
      argRequired: true,
      create: async (c, arg) => new (await import('./live/remote-write.js')).RemoteWriteOutput(arg, basename(c.runDir), c.clock, c.load),
    },
  ],
  [
    'otlp',
    {
      description: 'OpenTelemetry metrics over OTLP/HTTP, exported every 5 s and at the end',
      when: 'live',
      arg: "URL[,locations]: the collector's base URL (e.g. http://127.0.0.1:4318) or its /v1/metrics endpoint",
      argRequired: true,
      create: async (c, arg) => new (await import('./live/otlp.js')).OtlpOutput(arg, basename(c.runDir), c.clock, c.load),
    },
  ],
]);

/** Every output by name, in registration order. */
export const OUTPUTS: ReadonlyMap<string, OutputDefinition> = registry;

/** Adds an output under `name` (a plug-in, or a test's fake); returns the function that removes it again. */
export function registerOutput(name: string, definition: OutputDefinition): () => void {
  if (registry.has(name)) throw new Error(`output "${name}" is registered twice`);
  registry.set(name, definition);
  return () => registry.delete(name);
}

export interface OutputRequest {
  name: string;
  arg?: string;
}

/** Where a request came from, for the error message. */
export type RequestSource = { flag: string } | { file: string; path: string };

function problem(source: RequestSource, text: string): Error {
  return 'flag' in source ? new UsageError(`${source.flag}: ${text}`) : new InputError('E_CONFIG', { file: source.file, path: source.path }, text);
}

/** `junit=out/junit.xml` → { name: 'junit', arg: 'out/junit.xml' }; an unknown name lists the valid ones. */
export function parseOutput(spec: string, source: RequestSource, command: OutputContext['command'] = 'run'): OutputRequest {
  const eq = spec.indexOf('=');
  const name = (eq === -1 ? spec : spec.slice(0, eq)).trim().toLowerCase();
  const arg = eq === -1 ? undefined : spec.slice(eq + 1);
  const valid = outputNames(command).split(', ');
  const definition = OUTPUTS.get(name);
  if (!definition || !valid.includes(name)) throw problem(source, `unknown output ${JSON.stringify(spec)}; valid outputs${command === 'run' ? '' : ` for ${command}`}: ${outputNames(command)}`);
  if (arg !== undefined && !definition.arg) throw problem(source, `output "${name}" takes no argument, got ${JSON.stringify(spec)}`);
  if (arg === '' || (arg === undefined && definition.argRequired)) throw problem(source, `output "${name}" needs ${name}=ARG: ${definition.arg}`);
  return arg === undefined ? { name } : { name, arg };
}

/** Requests in order, each name and argument once. */
export function uniqueOutputs(requests: readonly OutputRequest[]): OutputRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => {
    const key = `${r.name}\0${r.arg ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The outputs of one run, created in request order (live ones first, so the stream is recorded before anything is built from it). */
export async function createOutputs(requests: readonly OutputRequest[], context: OutputContext): Promise<Output[]> {
  const live = requests.filter((r) => OUTPUTS.get(r.name)?.when === 'live');
  const end = requests.filter((r) => OUTPUTS.get(r.name)?.when === 'end');
  return Promise.all([...live, ...end].map((r) => {
    const definition = OUTPUTS.get(r.name);
    if (!definition) throw new UsageError(`unknown output "${r.name}"; valid outputs: ${[...OUTPUTS.keys()].join(', ')}`);
    return definition.create(context, r.arg);
  }));
}

/** The names valid for a command, for `--help` and messages. */
export function outputNames(command: OutputContext['command']): string {
  return [...OUTPUTS].filter(([, d]) => !d.commands || d.commands.includes(command)).map(([n]) => n).join(', ');
}

export interface OutputSelection {
  command: OutputContext['command'];
  /** Progress on stderr (`--no-progress` turns it off). */
  progress: boolean;
  /** csv/ and report.pdf (`--no-reports` turns them off). */
  reports: boolean;
  /** The config's `outputs:` as written (default: markdown), with the file they came from. */
  config?: { specs: readonly string[]; file: string | null };
  /** `--output NAME[=ARG]`, repeatable. */
  flags?: readonly string[];
  /** Requests a command adds itself (`--junit FILE` is `junit=FILE`). */
  extra?: readonly OutputRequest[];
}

/**
 * The outputs a command runs: the run directory's own files (ndjson, snapshots), progress, csv and pdf
 * unless turned off, then the config's `outputs:` and the `--output` flags. Every name is checked
 * before anything starts (exit 2, naming the flag or the config key).
 */
export function selectOutputs(selection: OutputSelection): OutputRequest[] {
  const requests: OutputRequest[] = [{ name: 'ndjson' }, { name: 'snapshots' }];
  if (selection.progress && selection.command === 'run') requests.push({ name: 'progress' });
  if (selection.reports) requests.push({ name: 'csv' }, { name: 'pdf' });
  const file = selection.config?.file ?? 'the config';
  const configDir = selection.config?.file ? dirname(selection.config.file) : null;
  (selection.config?.specs ?? []).forEach((spec, i) => {
    const request = parseOutput(spec, { file, path: `outputs[${i}]` }, selection.command);
    if (configDir && request.arg !== undefined && OUTPUTS.get(request.name)?.argIsPath) request.arg = resolve(configDir, request.arg);
    requests.push(request);
  });
  for (const spec of selection.flags ?? []) requests.push(parseOutput(spec, { flag: '--output' }, selection.command));
  requests.push(...(selection.extra ?? []));
  return uniqueOutputs(requests);
}

