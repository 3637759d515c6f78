/** Pure row builders for the summary CSVs: summary (and the scan's facts) in, header + rows out. */
import type { ScopeStats, ScopeSummary } from '../../metrics/aggregate.js';
import { PERCENTILE_KEYS, PERCENTILES, type LatencyStats } from '../../metrics/histogram.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { ErrorRow } from '../errors-table.js';
import type { PersonaLocations } from '../run-data.js';
import type { SecondRow } from '../timeseries.js';
import type { GeneratorSecond } from '../../metrics/generator.js';
import { activeAt, type VuReport } from '../../metrics/vu-timeline.js';
import type { Cell } from './writer.js';

export interface Table {
  header: string[];
  rows: Iterable<Cell[]> | AsyncIterable<Cell[]>;
}

const LATENCY_HEADER = ['p50_ms', 'p75_ms', 'p90_ms', 'p95_ms', 'p99_ms', 'p999_ms', 'max_ms', 'mean_ms'];
const SCOPE_HEADER = [
  'requests', 'ok', 'errors', 'success_rate', 'throughput_rps', ...LATENCY_HEADER,
  'cache_hits', 'cache_misses', 'cache_stale', 'cache_bypass', 'cache_unknown', 'hit_rate',
];

function scopeCells(s: ScopeStats): Cell[] {
  const l = s.latency;
  return [
    s.requests, s.ok, s.errors, s.successRate, s.rps, l.p50, l.p75, l.p90, l.p95, l.p99, l.p999, l.max, l.mean,
    s.cache.hit, s.cache.miss, s.cache.stale, s.cache.bypass, s.cache.unknown, s.cache.hitRate,
  ];
}

/** Open model: response time (from when a request was due) beside the service time, before `run_status`. */
const RESPONSE_HEADER = LATENCY_HEADER.map((h) => `response_${h}`);

/** The run measured response times (open model); otherwise the tables keep their closed-model columns exactly. */
export const hasResponseTime = (summary: RunSummary): boolean => summary.global.responseTime !== undefined;

function responseCells(s: ScopeStats): Cell[] {
  const r = s.responseTime;
  return r ? [r.p50, r.p75, r.p90, r.p95, r.p99, r.p999, r.max, r.mean] : RESPONSE_HEADER.map(() => null);
}

/** A scope table's columns and row cells, with the response-time columns when the run has them. */
function scopeTable(summary: RunSummary): { header: string[]; cells: (s: ScopeStats) => Cell[] } {
  return hasResponseTime(summary)
    ? { header: [...SCOPE_HEADER, ...RESPONSE_HEADER], cells: (s) => [...scopeCells(s), ...responseCells(s)] }
    : { header: SCOPE_HEADER, cells: scopeCells };
}

export function personasTable(summary: RunSummary, status: string): Table {
  const t = scopeTable(summary);
  return {
    header: ['persona', ...t.header, 'run_status'],
    rows: Object.entries(summary.personas).map(([name, s]) => [name, ...t.cells(s), status]),
  };
}

export function stepsTable(summary: RunSummary, status: string): Table {
  const t = scopeTable(summary);
  return {
    header: ['step', ...t.header, 'run_status'],
    rows: Object.entries(summary.steps).map(([name, s]) => [name, ...t.cells(s), status]),
  };
}

/** Per location (scope `location`, persona empty), then per persona × location (scope `persona_location`). */
export function locationsTable(summary: RunSummary, pairs: PersonaLocations, status: string): Table {
  const t = scopeTable(summary);
  async function* rows(): AsyncGenerator<Cell[]> {
    for (const [id, s] of Object.entries(summary.locations)) yield ['location', '', id, ...t.cells(s), status];
    for await (const [persona, id, s] of pairs()) yield ['persona_location', persona, id, ...t.cells(s), status];
  }
  return { header: ['scope', 'persona', 'location', ...t.header, 'run_status'], rows: rows() };
}

const LEVELS: [label: string, percentile: number, key: keyof LatencyStats][] = [
  ...PERCENTILES.map((p, i) => [PERCENTILE_KEYS[i]!, p, PERCENTILE_KEYS[i]!] as [string, number, keyof LatencyStats]),
  ['max', 100, 'max'],
];

/**
 * Long format: one row per scope × percentile, for charts and comparisons. An open-model run adds a
 * `measure` column: `service` rows (latency) then `response` rows (response time) per scope; retried
 * attempts, reported apart, are scope type `retries`.
 */
export function percentilesTable(summary: RunSummary, status: string): Table {
  const scopes: [string, string, ScopeSummary][] = [['global', 'all', summary.global]];
  for (const [kind, map] of [['persona', summary.personas], ['location', summary.locations], ['step', summary.steps], ['cache', summary.cacheStatus]] as const) {
    for (const [name, s] of Object.entries(map)) if (s !== undefined) scopes.push([kind, name, s]);
  }
  if (summary.retries) scopes.push(['retries', 'retried attempts', summary.retries]);
  const measured = hasResponseTime(summary);
  function* rows(): Generator<Cell[]> {
    for (const [kind, name, s] of scopes) {
      if (!measured) {
        for (const [label, p, key] of LEVELS) yield [kind, name, label, p, s.latency[key], s.latency.count, status];
        continue;
      }
      for (const [label, p, key] of LEVELS) yield [kind, name, label, p, s.latency[key], s.latency.count, 'service', status];
      const r = s.responseTime;
      if (r) for (const [label, p, key] of LEVELS) yield [kind, name, label, p, r[key], r.count, 'response', status];
    }
  }
  const header = ['scope_type', 'scope', 'percentile', 'percentile_value', 'latency_ms', 'samples'];
  return { header: [...header, ...(measured ? ['measure'] : []), 'run_status'], rows: rows() };
}

const speedUp = (s: ScopeSummary): number | null => {
  const hit = s.hitLatency?.p50;
  const miss = s.missLatency?.p50;
  return hit && miss ? Math.round((miss / hit) * 100) / 100 : null;
};

/**
 * The target's cache per persona and location. With `cache.dedupe`, `harness_cache_hits` (requests troupe
 * answered itself, persona rows only) sits apart, before `run_status`: never in hits, misses or hit_rate.
 */
export function cacheTable(summary: RunSummary, status: string): Table {
  const harness = summary.harnessCache;
  function* rows(): Generator<Cell[]> {
    for (const [kind, map] of [['persona', summary.personas], ['location', summary.locations]] as const) {
      for (const [name, s] of Object.entries(map)) {
        const c = s.cache;
        const row: Cell[] = [
          kind, name, c.hit, c.miss, c.stale, c.bypass, c.unknown, c.hitRate,
          s.hitLatency?.p50 ?? null, s.hitLatency?.p95 ?? null, s.missLatency?.p50 ?? null, s.missLatency?.p95 ?? null, speedUp(s),
        ];
        if (harness) row.push(kind === 'persona' ? (harness.byPersona[name] ?? 0) : null);
        yield [...row, status];
      }
    }
  }
  return {
    header: [
      'scope_type', 'scope', 'hits', 'misses', 'stale', 'bypass', 'unknown', 'hit_rate',
      'hit_p50_ms', 'hit_p95_ms', 'miss_p50_ms', 'miss_p95_ms', 'speedup_miss_p50_over_hit_p50', ...(harness ? ['harness_cache_hits'] : []), 'run_status',
    ],
    rows: rows(),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** n / of rounded to 6 decimals; null when `of` is 0. */
export const share = (n: number, of: number): number | null => (of === 0 ? null : Math.round((n / of) * 1e6) / 1e6);

export function errorsTable(errors: ErrorRow[], totalRequests: number, status: string): Table {
  const totalErrors = errors.reduce((n, e) => n + e.count, 0);
  return {
    header: ['error_code', 'http_status', 'count', 'share_of_errors', 'share_of_requests', 'first_seen', 'last_seen', 'example_message', 'run_status'],
    rows: errors.map((e) => [e.code, e.status, e.count, share(e.count, totalErrors), share(e.count, totalRequests), iso(e.firstSeen), iso(e.lastSeen), e.example, status]),
  };
}

/**
 * `generator`: troupe's own health per second (summary.json `generator.seconds`), joined on the second;
 * empty cells where it was not sampled. With `vus` (a timed closed-model run): an `active_vus` column,
 * VUs active at the end of each second.
 */
export function timeseriesTable(series: SecondRow[], status: string, generator: readonly GeneratorSecond[] = [], vus?: VuReport['perSecond']): Table {
  const health = new Map(generator.map((g) => [g.at, g]));
  return {
    header: ['second', 'elapsed_s', 'started', 'completed', 'errors', 'in_flight', 'p50_ms', 'p95_ms', 'p99_ms', 'hits', 'misses', 'hit_rate', ...(vus ? ['active_vus'] : []), 'segment', 'generator_lag_p99_ms', 'generator_lag_max_ms', 'generator_busy_pct', 'generator_cpu_pct', 'run_status'],
    rows: series.map((s) => {
      const g = health.get(s.at);
      return [iso(s.at), s.elapsed, s.started, s.completed, s.errors, s.inFlight, s.p50, s.p95, s.p99, s.hits, s.misses, s.hitRate, ...(vus ? [activeAt(vus, s.at)] : []), s.segment, g?.lagP99Ms ?? null, g?.lagMaxMs ?? null, g?.busyPct ?? null, g?.cpuPct ?? null, status];
    }),
  };
}
