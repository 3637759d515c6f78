/**
 * zod schemas of the run directory's files: run.json, summary.json, one results.ndjson line, a persona
 * snapshot. The writers check what they write, the readers what they read; scripts/write-schema.mjs
 * turns the summary and manifest schemas into the JSON Schemas the package ships (schema/).
 *
 * `formatVersion` ("MAJOR.MINOR.PATCH") is the format's, not troupe's. A minor adds keys that older
 * readers ignore (objects are loose: unknown keys are kept); a major changes or removes one, and a
 * reader refuses a newer major than its own. A file without formatVersion was written by a troupe
 * before the format had one, and is read as 1.0.0.
 */
import { z } from 'zod';
import type { AbortVerdict } from '../engine/abort-on.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import type { ChecksSummary, HarnessCacheSummary, RetriesSummary, WarmupSummary } from '../metrics/journey-metrics.js';
import type { ThresholdVerdict } from '../metrics/thresholds.js';

export const FORMAT_VERSION = '1.0.0';
export const FORMAT_MAJOR = 1;
/** What a file without `formatVersion` is read as. */
export const UNVERSIONED_FORMAT = '1.0.0';

export const MANIFEST_SCHEMA_FILE = 'troupe.run.schema.json';
export const SUMMARY_SCHEMA_FILE = 'troupe.summary.schema.json';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A part whose shape another module owns (the open model's report, the thresholds verdict…): checked to
 * be an object here, typed as that module declares it, shown in the JSON Schema as an object.
 */
const objectOf = <T>(description: string, check: (v: Record<string, unknown>) => boolean = () => true) =>
  z.custom<T>((v) => isObject(v) && check(v)).meta({ type: 'object', description });

const count = z.number().int().min(0);
const ms = z.number().nullable();
const status = z.enum(['running', 'complete', 'interrupted', 'failed']);

export const formatVersionSchema = z.string().regex(/^\d+\.\d+\.\d+$/).meta({ description: `The run directory's format version (MAJOR.MINOR.PATCH); this troupe writes ${FORMAT_VERSION}. Absent: 1.0.0.` });

const latencyStats = z.object({ count, min: ms, mean: ms, p50: ms, p75: ms, p90: ms, p95: ms, p99: ms, p999: ms, max: ms });
const histograms = z.looseObject({ latency: z.string(), ttfb: z.string().optional(), hit: z.string().optional(), miss: z.string().optional(), responseTime: z.string().optional() })
  .meta({ description: 'Encoded HdrHistograms (base64, compressed): runs and shards merge exactly.' });

export const scopeSummarySchema = z.looseObject({
  requests: count,
  ok: count,
  errors: count,
  successRate: z.number().nullable(),
  bytes: z.number().meta({ description: 'Response body bytes as the wire carried them (compressed when responses were); headers are not counted.' }),
  decodedBytes: z.number().optional().meta({ description: 'Response body bytes after troupe decoded gzip/deflate/br; present only when some body was decoded (else equal to bytes).' }),
  rps: z.number().nullable(),
  durationMs: z.number().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  statusCodes: z.record(z.string(), count),
  errorCodes: z.record(z.string(), count),
  cache: z.looseObject({ hit: count, miss: count, stale: count, bypass: count, unknown: count, hitRate: z.number().nullable() }),
  latency: latencyStats,
  ttfb: latencyStats.optional(),
  hitLatency: latencyStats.optional(),
  missLatency: latencyStats.optional(),
  responseTime: latencyStats.optional(),
  histograms,
});

const sessionCounts = z.object({ sessions: count, failed: count });
/** summary.json `setup` / `teardown` (src/metrics/session-metrics.ts). */
const sessionPhaseSchema = scopeSummarySchema.extend({
  sessions: count.meta({ description: 'Setups (teardowns) run to their end: one per VU × persona, per open-model session, and the run-level one.' }),
  failed: count.meta({ description: 'Of those, failed after their last attempt.' }),
  attempts: count.meta({ description: 'Attempts, retries included.' }),
  stopped: count.meta({ description: 'Failed setups that stopped their session (setupFailure.then: stop).' }),
  byPersona: z.record(z.string(), sessionCounts),
  run: z.object({ ok: z.boolean(), message: z.string().optional() }).optional(),
  firstFailure: z.string().optional(),
});

/** The envelope check of a scope, for maps that can hold 100,000 of them. */
const scopeEnvelope = z.custom<ScopeSummary>((v) => isObject(v) && typeof v.requests === 'number' && isObject(v.latency) && isObject(v.histograms));

const shard = z.object({ index: z.number().int().min(1), count: z.number().int().min(1) });
const counters = z.object({ hits: z.number(), misses: z.number() });

const serverCache = z.looseObject({
  source: z.string(),
  hits: z.number(),
  misses: z.number(),
  hitRate: z.number().nullable(),
  observedHitRate: z.number().nullable().optional(),
  difference: z.number().nullable().optional(),
  before: counters.optional(),
  after: counters.optional(),
  error: z.string().optional(),
  scope: z.enum(['shard', 'shared']).optional(),
});

const segment = z.object({ startedAt: z.string(), endedAt: z.string(), durationMs: z.number().min(0), results: count })
  .meta({ description: 'A stretch the run actually ran: from its first request sent to its last result completed.' });
const segments = z.array(segment).meta({ description: 'The stretches the run ran (first run, then each --resume); rates divide by their sum.' });
const resumeRecord = z.object({ at: z.string(), done: count, toSend: count, before: count, atMost: count, inFlight: count, unflushed: count })
  .meta({ description: 'One --resume: visits done and to send; `before`: visits before the last recorded one without a result; `atMost`: a bound on the visits sent again that the target may already have answered.' });
const loopDelay = z.object({ p50: ms, p99: ms, max: ms }).meta({ description: 'Event-loop delay beyond the sampling interval, ms.' });
const meanMax = z.object({ mean: z.number().nullable(), max: z.number().nullable() });
const threadHealth = { loopDelayMs: loopDelay, busyPct: meanMax, monitoredMs: z.number(), longestBusyS: count };

const generator = z.looseObject({
  method: z.string(),
  ...threadHealth,
  cpuPct: meanMax.meta({ description: 'Process CPU (user + system), % of one core: above 100 with worker threads.' }),
  workers: z.array(z.looseObject({ worker: z.number().int().min(1), ...threadHealth })).optional(),
  seconds: z.array(z.looseObject({ at: z.number(), lagP99Ms: ms, lagMaxMs: ms, busyPct: z.number(), cpuPct: z.number() })),
  saturated: z.boolean(),
  reasons: z.array(z.string()),
  limits: z.looseObject({ lagP99Ms: z.number(), minMonitoredMs: z.number(), busyPct: z.number(), busySeconds: z.number() }),
  shards: z.number().int().optional(),
}).meta({ description: "troupe's own health during the run: event-loop delay, busy share and CPU, per second, and whether the load generator was saturated." });

/** What run.json and summary.json both say about the run they belong to. */
const runIdentity = {
  troupe: z.string().meta({ description: 'The troupe version that wrote the file.' }),
  formatVersion: formatVersionSchema.optional(),
  runId: z.string(),
  name: z.string(),
  status,
  target: z.string(),
};

/** `summary.vus`: a closed-model run for a duration or in stages (src/metrics/vu-timeline.ts VuReport). */
const vuReport = z.looseObject({
  model: z.enum(['constant-vus', 'ramping-vus']),
  durationMs: z.number().optional(),
  loop: z.boolean().optional(),
  stages: z.array(z.looseObject({ durationMs: z.number(), target: z.number() })).optional(),
  startVUs: z.number().optional(),
  gracefulRampDownMs: z.number().optional(),
  scheduledMs: z.number(),
  scheduleStartedAt: z.number(),
  resumedAfterMs: z.number().optional(),
  peak: z.number(),
  cut: z.number(),
  perSecond: z.looseObject({ fromSecond: z.number(), active: z.array(z.number()) }).meta({ description: 'active[i]: VUs active at the end of the second starting at fromSecond + i × 1000 (epoch ms).' }),
}).meta({ description: 'Closed model for a duration or in stages: the VU schedule and the active VUs per second.' });

/** summary.json, every scope checked in full: the JSON Schema, and the tests. */
export const summarySchema = z.looseObject({
  ...runIdentity,
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  planned: z.number(),
  completed: z.number(),
  concurrency: z.number(),
  aborted: count.optional(),
  resumedAt: z.array(z.string()).optional(),
  segments: segments.optional(),
  activeMs: z.number().min(0).optional().meta({ description: 'A resumed run: the sum of its segments (ms); rates use it, durationMs is wall time.' }),
  serverCache: serverCache.optional(),
  load: objectOf<OpenLoadReport>('Open model only: the arrival schedule and what came of it.', (v) => v.model === 'open').optional(),
  vus: vuReport.optional(),
  abortedBy: objectOf<AbortVerdict>('Set when abortOn stopped the run early.', (v) => typeof v.rule === 'string').optional(),
  generator: generator.optional(),
  start: z.looseObject({ at: z.string(), plannedAt: z.string().optional(), lateMs: z.number().optional() })
    .meta({ description: 'When the schedule started; with a start instant (--start-at, startAt:), that instant and how late it was reached.' }).optional(),
  merge: z.looseObject({
    shards: count,
    plannedAt: z.string().optional(),
    starts: z.array(z.looseObject({ index: z.number().int().min(1), startedAt: z.string(), firstRequestAt: z.string().nullable(), lateMs: z.number().optional() })),
    startSpreadMs: z.number(),
    firstRequestSpreadMs: z.number().nullable(),
    firstRequestFromPlannedMs: z.object({ min: z.number(), max: z.number() }).optional(),
  }).meta({ description: 'Set by troupe merge: when each shard started and how far apart.' }).optional(),
  global: scopeSummarySchema,
  personas: z.record(z.string(), scopeSummarySchema),
  locations: z.record(z.string(), scopeSummarySchema),
  steps: z.record(z.string(), scopeSummarySchema),
  cacheStatus: z.record(z.string(), scopeSummarySchema),
  personaLocations: z.record(z.string(), z.record(z.string(), scopeSummarySchema)).optional().meta({ description: 'Older runs only: persona → location → light scope (latency only, 2 significant digits). Now left out (100 × 1,000 of them made summary.json ~90 MB); csv/locations.csv rebuilds them from results.ndjson.' }),
  checks: objectOf<ChecksSummary>("Journey checks: steps[STEP][CHECK] = {passed, failed, firstFailure?} (the first failure's message), personas[PERSONA] and personaSteps[PERSONA][STEP] = {passed, failed}.").optional(),
  retries: objectOf<RetriesSummary>('Retried attempts, apart from first attempts.').optional(),
  harnessCache: objectOf<HarnessCacheSummary>("troupe's own response cache (cache.dedupe).").optional(),
  warmup: objectOf<WarmupSummary>('Warm-up requests, apart from the measured ones.').optional(),
  setup: sessionPhaseSchema.optional().meta({ description: 'Setup requests (run-level and per session), apart from the load: a scope, plus what came of each setup.' }),
  teardown: sessionPhaseSchema.optional().meta({ description: 'Teardown requests, apart from the load.' }),
  thresholds: objectOf<ThresholdVerdict>('The thresholds verdict.', (v) => typeof v.passed === 'boolean' && Array.isArray(v.results)).optional(),
});

/**
 * What the writer and the readers check: the envelope and its types, every scope but the per-location
 * ones in full. Those (up to persona × location of them, ~100 MB) are checked to be scopes, not field by field.
 */
export const summaryEnvelopeSchema = summarySchema.extend({
  locations: z.record(z.string(), scopeEnvelope),
  personaLocations: z.record(z.string(), z.custom<Record<string, ScopeSummary>>(isObject)).optional(),
});

/**
 * What `troupe compare` needs of a summary.json, which may be one a user trimmed to the scopes that
 * matter: the scopes it compares, each checked where present (compare says itself when `global` is missing).
 */
export const comparableSummarySchema = z.looseObject({
  formatVersion: formatVersionSchema.optional(),
  runId: z.string().optional(),
  name: z.string().optional(),
  startedAt: z.string().optional(),
  global: scopeSummarySchema.optional(),
  personas: z.record(z.string(), scopeEnvelope).optional(),
  steps: z.record(z.string(), scopeEnvelope).optional(),
});

const recordedConfig = z.looseObject({
  concurrency: z.number().optional(),
  iterations: z.number().optional(),
  gate: z.looseObject({ thresholds: z.array(z.string()).optional(), outputs: z.array(z.string()).optional() }).optional(),
  workers: z.number().optional(),
}).meta({ description: 'The resolved config, secrets redacted: the config file\'s keys for troupe run; {bench, workers} for troupe bench.' });

export const manifestSchema = z.looseObject({
  ...runIdentity,
  shard: shard.nullable(),
  mergedFrom: z.array(shard.extend({ runId: z.string(), dir: z.string(), status })).optional(),
  workers: z.number().int().min(1).optional(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  config: recordedConfig,
  personas: z.array(z.looseObject({ name: z.string(), slug: z.string() })),
  locations: z.object({ count, source: z.string() }),
  configHash: z.string(),
  planned: z.number(),
  node: z.string(),
  reason: z.string().optional(),
  inputDigests: z.object({ config: z.record(z.string(), z.string()), files: z.record(z.string(), z.string()) }).optional(),
  resumedAt: z.array(z.string()).optional(),
  segments: segments.optional(),
  resumes: z.array(resumeRecord).optional(),
  aborted: count.optional(),
  invocation: z.object({ flags: z.record(z.string(), z.unknown()), redacted: z.array(z.string()).optional() }).optional(),
});

const cacheStatus = z.enum(['hit', 'miss', 'stale', 'bypass', 'unknown']);

/** One line of results.ndjson. The reader checks only `id` per line (a million lines); the tests check this. */
export const resultLineSchema = z.looseObject({
  id: z.string(),
  persona: z.string(),
  location: z.string(),
  iteration: z.number().int(),
  step: z.string(),
  method: z.string(),
  url: z.string(),
  status: z.number().int().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
  message: z.string().optional(),
  latencyMs: z.number(),
  ttfbMs: z.number().nullable(),
  bytes: z.number(),
  decodedBytes: count.optional(),
  protocol: z.enum(['http/1.1', 'h2']).optional(),
  cache: cacheStatus,
  redirects: count.optional(),
  startedAt: z.number(),
  scheduledAt: z.number().optional(),
  responseTimeMs: z.number().optional(),
  attempt: z.number().int().min(1).optional(),
  checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean() })).optional(),
  harnessCache: z.enum(['reused', 'coalesced']).optional(),
});

/** personas/<slug>.json: a scope's numbers without histograms, and its locations'. */
export const snapshotSchema = scopeSummarySchema.omit({ histograms: true }).extend({
  persona: z.string(),
  locations: z.record(z.string(), z.looseObject({ requests: count, ok: count, errors: count, p50: ms, p95: ms, hit: count, miss: count, hitRate: z.number().nullable() })),
});

/** The envelope check of a snapshot (rewritten every 500 ms while a persona runs). */
export const snapshotEnvelopeSchema = z.looseObject({ persona: z.string(), requests: count, latency: z.looseObject({ count }), locations: z.custom<Record<string, unknown>>(isObject) });

/** The JSON Schemas of summary.json and run.json (draft 2020-12), from the schemas above. */
export function runDirJsonSchemas(troupeVersion: string): [file: string, schema: Record<string, unknown>][] {
  const toJson = (schema: z.ZodType, file: string, title: string, description: string) => {
    const { $schema: _s, ...body } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
    return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `urn:troupe:${troupeVersion}:${file}`, title, description, ...body };
  };
  return [
    [SUMMARY_SCHEMA_FILE, toJson(summarySchema, SUMMARY_SCHEMA_FILE, 'troupe summary.json', `A run directory's summary.json: aggregates per scope with encoded HdrHistograms, thresholds verdict. Format ${FORMAT_VERSION}; see the README, "The run directory".`)],
    [MANIFEST_SCHEMA_FILE, toJson(manifestSchema, MANIFEST_SCHEMA_FILE, 'troupe run.json', `A run directory's run.json: status, target, shard, redacted config. Format ${FORMAT_VERSION}; see the README, "The run directory".`)],
  ];
}
