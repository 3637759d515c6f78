/**
 * The shapes of run.json and summary.json, the contract between a run and its reports (see DESIGN.md).
 * schemas.ts checks files against them; layout.ts names the files.
 */
import type { InputDigests } from '../inputs/types.js';
import type { AbortVerdict } from '../engine/abort-on.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import type { GeneratorHealth } from '../metrics/generator.js';
import type { VuReport } from '../metrics/vu-timeline.js';
import type { RunMetricsSummary } from '../metrics/run-metrics.js';
import type { ThresholdVerdict } from '../metrics/thresholds.js';
import type { RunSegment } from './segments.js';

export type { RunSegment };

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

/** The flags `troupe run` was started with, as run.json records them (see src/run/resume-flags.ts). */
export interface RecordedInvocation {
  /** Flag values as commander parsed them (durations in ms), keyed by option name (`rampUp`). */
  flags: Record<string, unknown>;
  /** Flags whose recorded value had credentials or secrets removed: they cannot be restored, only given again. */
  redacted?: string[];
}

/** `troupe bench`'s config as run.json records it (headers redacted). */
export interface BenchRecordedConfig {
  bench: { url: string; connections: number; durationS: number; amount?: number; rate?: number; method: string; headers: Record<string, string>; body?: string; pipelining: number; timeoutS: number };
  workers: number;
}

/**
 * run.json's `config`: the resolved config with secrets redacted — a `RunConfig` for `troupe run`, a
 * `BenchRecordedConfig` for `troupe bench`. Read back, only the keys below are relied on (a file from an
 * earlier troupe may lack any of them); the rest is kept as written.
 */
export interface RecordedConfig {
  concurrency?: number;
  iterations?: number;
  /** Set by a run whose requests can have several lines per visit (see src/reports/csv/requests.ts). */
  retries?: unknown;
  journey?: unknown;
  load?: unknown;
  gate?: { thresholds?: string[]; outputs?: string[] };
  bench?: BenchRecordedConfig['bench'];
  workers?: number;
  [key: string]: unknown;
}

export interface RunManifest {
  troupe: string;
  /** The run directory's format (see FORMAT_VERSION in schemas.ts); absent in files of troupe before 1.0 of the format: read as 1.0.0. */
  formatVersion?: string;
  runId: string;
  name: string;
  status: RunStatus;
  /** Base URL (secrets redacted); for the embedded demo, `demo (http://127.0.0.1:port)`. */
  target: string;
  /** `--shard i/n` (or `--shards n` with JOB_COMPLETION_INDEX): `index` is 1-based, 1..count; null: not a shard. */
  shard: { index: number; count: number } | null;
  /** Set by `troupe merge`: the shard run directories this run directory was merged from. */
  mergedFrom?: { index: number; count: number; runId: string; dir: string; status: RunStatus }[];
  /** `--workers N`: engine threads of this run (absent: 1). */
  workers?: number;
  startedAt: string;
  endedAt: string | null;
  /** The resolved config with secrets redacted. */
  config: RecordedConfig;
  /** The personas as loaded (secrets redacted); `name` and `slug` are what readers use. */
  personas: RecordedPersona[];
  locations: { count: number; source: string };
  configHash: string;
  planned: number;
  node: string;
  /** Why the run ended early (interrupted or failed). */
  reason?: string;
  /** Digests per config key and input file: a refused `--resume` says what changed. */
  inputDigests?: InputDigests;
  /** When each `--resume` of this run started (ISO times). */
  resumedAt?: string[];
  /** The stretches the run actually ran, from its results (see segments.ts); written when a session ends or a resume starts. */
  segments?: RunSegment[];
  /** Each `--resume`: what it sent again that the stopped run may have sent already (see src/run/resume-note.ts). */
  resumes?: ResumeRecord[];
  /** Requests cut after the grace period of the last interrupt (not in results.ndjson). */
  aborted?: number;
  /** The flags `troupe run` was started with (credentials removed): `--resume DIR` alone runs with them again. */
  invocation?: RecordedInvocation;
}

/** Hit/miss counters the target itself reported (the demo server, or a cache-stats endpoint). */
export interface ServerCacheStats {
  source: string;
  /** Counted by the target during the run (after − before, for a `cache.stats` endpoint). */
  hits: number;
  misses: number;
  hitRate: number | null;
  /** The hit rate troupe observed from responses (the global scope's `cache.hitRate`). */
  observedHitRate?: number | null;
  /** hitRate − observedHitRate; null when either is unknown. */
  difference?: number | null;
  /** The raw counters of a `cache.stats` endpoint. */
  before?: { hits: number; misses: number };
  after?: { hits: number; misses: number };
  /** Why the counters could not be read (then hits and misses are 0 and hitRate null). */
  error?: string;
  /**
   * A merged run: how the shards' counters were combined. `shared`: one endpoint for every shard (latest
   * after − earliest before); `shard`: each shard's own (summed). From `cache.stats.scope`.
   */
  scope?: 'shard' | 'shared';
}

export interface RunStart {
  /** ISO time the schedule started (after any wait for the start instant). */
  at: string;
  /** The start instant the run was given (ISO). */
  plannedAt?: string;
  /** How long the instant had passed when the run got to it, ms (it then started at once). */
  lateMs?: number;
}

/** What `troupe merge` says about the shards' starts (all times ISO, spreads in ms). */
export interface MergeReport {
  shards: number;
  /** The start instant every shard was given, when they were given one and the same. */
  plannedAt?: string;
  starts: Array<{ index: number; startedAt: string; firstRequestAt: string | null; lateMs?: number }>;
  /** Latest minus earliest schedule start. */
  startSpreadMs: number;
  /** Latest minus earliest first request sent; null when a shard sent none. */
  firstRequestSpreadMs: number | null;
  /** The first requests relative to plannedAt: earliest and latest offset (ms, negative: before it). */
  firstRequestFromPlannedMs?: { min: number; max: number };
}

export type { ThresholdResult, ThresholdVerdict } from '../metrics/thresholds.js';

/** A persona as run.json records it. */
export interface RecordedPersona {
  name: string;
  slug: string;
  [key: string]: unknown;
}

export interface RunSummary extends RunMetricsSummary {
  troupe: string;
  /** As in run.json. */
  formatVersion?: string;
  runId: string;
  name: string;
  status: RunStatus;
  target: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  planned: number;
  completed: number;
  concurrency: number;
  serverCache?: ServerCacheStats;
  /** Open model only: the arrival schedule and what came of it (arrivals, started, dropped, rates). */
  load?: OpenLoadReport;
  /** When the schedule started (`at`); with a start instant (`--start-at`, `startAt:`), that instant and, when it had passed, by how much. */
  start?: RunStart;
  /** Set by `troupe merge`: how far apart the shards started. */
  merge?: MergeReport;
  /** Closed model for a duration or in stages: the VU schedule and the active VUs per second. */
  vus?: VuReport;
  /** Set when `abortOn` stopped the run early (status `interrupted`). */
  abortedBy?: AbortVerdict;
  /** troupe's own health during the run: event-loop delay, CPU, whether it was saturated. */
  generator?: GeneratorHealth;
  /** Present when thresholds were set; the PDF cover, JUnit and Markdown show it. */
  thresholds?: ThresholdVerdict;
  /** Requests in flight cut when the grace period after an interrupt ran out; not in results.ndjson. */
  aborted?: number;
  /** When each `--resume` of this run started (ISO times); absent for a run that was never resumed. */
  resumedAt?: string[];
  /** A resumed run: the stretches it actually ran; every scope's `rps` and `durationMs` leave the pauses between them out. */
  segments?: RunSegment[];
  /** A resumed run: the sum of the segments' durations (ms); `durationMs` is wall time, pauses included. */
  activeMs?: number;
}

/** One `--resume` as run.json records it. */
export interface ResumeRecord {
  at: string;
  /** Visits already in results.ndjson. */
  done: number;
  /** Visits it set out to send. */
  toSend: number;
  /** Of those, visits before the stopped run's last recorded one without a result: almost surely sent before. */
  before: number;
  /** At most this many of the visits sent again may already have been answered by the target (inFlight + unflushed). */
  atMost: number;
  inFlight: number;
  unflushed: number;
}
