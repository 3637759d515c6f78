/**
 * Thresholds live outside the runner: a pure function of a summary (one run's, or merged shards'),
 * so `troupe run`, `troupe report` and merges all judge the same numbers the same way.
 */
import { slugify } from '../inputs/slug.js';
import { matchPersona } from '../inputs/threshold-scopes.js';
import type { ScopeSummary } from './aggregate.js';
import { worstLoopDelay, type GeneratorHealth } from './generator.js';
import type { CheckCounts, ChecksSummary } from './journey-metrics.js';
import type { RunMetricsSummary } from './run-metrics.js';
import { formatMetricValue, unitOf } from './threshold-format.js';
import { METRICS, scopeLabel, type Operator, type Threshold, type ThresholdScope } from '../inputs/threshold-parse.js';

export { parseThreshold, ThresholdSyntaxError, type Threshold } from '../inputs/threshold-parse.js';
export { matchPersona, resolveThresholdScopes, type PersonaRef, type ScopeCatalog } from '../inputs/threshold-scopes.js';

/** One threshold, evaluated on a summary (run.json and summary.json carry these). */
export interface ThresholdResult {
  /** As written, e.g. `persona:sarah p95 < 1s`. */
  expression: string;
  /** `global`, `persona:NAME`, `step:NAME`, `location:ID` or `cache:STATUS`. */
  scope: string;
  metric: string;
  operator: string;
  /** The limit in the metric's unit (ms for latencies, a 0..1 fraction for rates). */
  limit: number;
  /** What was measured, in the same unit; null when the scope had no data. */
  measured: number | null;
  /** The unit of `limit` and `measured`. */
  unit: 'ms' | 'fraction' | 'req/s' | 'count';
  passed: boolean;
  /** A sentence a person reads in a CI log, e.g. `p95 was 1.24 s, limit < 1 s`. */
  message: string;
}

export interface ThresholdVerdict {
  passed: boolean;
  results: ThresholdResult[];
}

/** What evaluation reads: the scopes of a summary, plus counters later features add (checks, dropped). */
export type EvaluableSummary = Pick<RunMetricsSummary, 'global' | 'personas' | 'locations' | 'steps' | 'cacheStatus'> & {
  /** Journey checks (src/metrics/journey-metrics.ts). */
  checks?: ChecksSummary;
  /** The open model's arrivals (src/engine/open-model.ts). */
  load?: { dropped?: number; droppedByPersona?: Record<string, number> };
  /** troupe's own health (src/metrics/generator.ts). */
  generator?: GeneratorHealth;
};

/** A generator metric: the worst thread's loop delay, or the process CPU as a fraction of one core. */
function generatorValue(summary: EvaluableSummary, metric: string): number | { noData: string } {
  const g = summary.generator;
  if (!g) return { noData: 'this run has no generator figures (written by an earlier troupe, rebuilt from results.ndjson, or troupe bench)' };
  if (metric === 'generator_cpu') return g.cpuPct.mean === null ? { noData: 'the generator was not sampled' } : g.cpuPct.mean / 100;
  const delay = worstLoopDelay(g);
  const v = metric === 'generator_lag_p50' ? delay.p50 : metric === 'generator_lag_p99' ? delay.p99 : delay.max;
  return v ?? { noData: 'the event loop was not sampled (the run was too short)' };
}

function sumCounts(counts: Iterable<CheckCounts>): CheckCounts {
  const total = { passed: 0, failed: 0 };
  for (const c of counts) {
    total.passed += c.passed;
    total.failed += c.failed;
  }
  return total;
}

/** Passed/failed checks of a threshold's scope: kept per persona and per step, so other scopes have none. */
function checkCountsFor(summary: EvaluableSummary, scope: ThresholdScope): CheckCounts | { noData: string } {
  const checks = summary.checks;
  if (!checks) return { noData: 'this run ran no checks (checks come from journey steps with expect:)' };
  switch (scope.kind) {
    case 'global':
      return sumCounts(Object.values(checks.personas));
    case 'persona':
      return checks.personas[scope.value] ?? { noData: `persona ${scope.value} ran no checks` };
    case 'step':
      return checks.steps[scope.value] ? sumCounts(Object.values(checks.steps[scope.value]!)) : { noData: `step ${scope.value} has no checks` };
    default:
      return { noData: 'checks are counted per persona and per step, not per location or cache status' };
  }
}

/** Dropped arrivals of a threshold's scope: the open model counts them in all and per persona. */
function droppedFor(summary: EvaluableSummary, scope: ThresholdScope): number | { noData: string } {
  const load = summary.load;
  if (!load || typeof load.dropped !== 'number') return { noData: 'dropped arrivals are measured by the open model (load.phases); this run used the closed model' };
  if (scope.kind === 'global') return load.dropped;
  if (scope.kind === 'persona') return load.droppedByPersona?.[scope.value] ?? 0;
  return { noData: 'dropped arrivals are counted in all and per persona' };
}

const compare: Record<Operator, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

type Lookup = { scope: ScopeSummary; label: string } | { missing: string };

function findScope(summary: EvaluableSummary, scope: ThresholdScope): Lookup {
  switch (scope.kind) {
    case 'global':
      return { scope: summary.global, label: 'global' };
    case 'persona': {
      const refs = Object.keys(summary.personas).map((name) => ({ name, slug: slugify(name) }));
      const match = matchPersona(scope.value, refs);
      if (match === null) return { missing: `persona ${JSON.stringify(scope.value)} had no requests in this run` };
      if ('ambiguous' in match) return { missing: `persona ${JSON.stringify(scope.value)} matches ${match.ambiguous.map((n) => JSON.stringify(n)).join(', ')}; use the full name` };
      return { scope: summary.personas[match.name]!, label: `persona:${match.name}` };
    }
    case 'location':
    case 'step': {
      const map = scope.kind === 'step' ? summary.steps : summary.locations;
      const found = map[scope.value];
      return found ? { scope: found, label: scopeLabel(scope) } : { missing: `${scope.kind} ${JSON.stringify(scope.value)} had no requests in this run` };
    }
    case 'cache': {
      const found = summary.cacheStatus[scope.value as keyof EvaluableSummary['cacheStatus']];
      return found ? { scope: found, label: scopeLabel(scope) } : { missing: `no response had cache status ${JSON.stringify(scope.value)}` };
    }
  }
}

/** The measured value, or why there is none. Latencies in ms, rates as fractions. */
function measure(summary: EvaluableSummary, s: ScopeSummary, metric: string, scope: ThresholdScope): number | { noData: string } {
  const spec = METRICS[metric]!;
  if (spec.generator) return generatorValue(summary, metric);
  if (spec.stat !== undefined) {
    const v = s.latency.count > 0 ? s.latency[spec.stat] : null;
    return v ?? { noData: 'no requests completed in this scope' };
  }
  switch (metric) {
    case 'error_rate':
      return s.requests > 0 ? s.errors / s.requests : { noData: 'no requests in this scope' };
    case 'success_rate':
      return s.successRate ?? { noData: 'no requests in this scope' };
    case 'cache_hit_rate':
      return s.cache.hitRate ?? { noData: 'no cache hits or misses were seen (every response was stale, bypass or unknown)' };
    case 'rps':
      return s.rps ?? { noData: 'the scope spans no time' };
    case 'requests':
      return s.requests;
    case 'checks': {
      const counts = checkCountsFor(summary, scope);
      if ('noData' in counts) return counts;
      return counts.passed + counts.failed > 0 ? counts.passed / (counts.passed + counts.failed) : { noData: 'no checks ran in this scope' };
    }
    case 'dropped':
      return droppedFor(summary, scope);
    default:
      return { noData: `metric ${metric} is not measured` };
  }
}

/** Judges one threshold against a summary. */
export function evaluateThreshold(summary: EvaluableSummary, t: Threshold): ThresholdResult {
  const base = { expression: t.expression, metric: t.metric, operator: t.operator, limit: t.limit, unit: unitOf(t.kind) };
  const limitText = `${t.operator} ${formatMetricValue(t.kind, t.limit)}`;
  const found = findScope(summary, t.scope);
  if ('missing' in found) {
    return { ...base, scope: scopeLabel(t.scope), measured: null, passed: false, message: `no data: ${found.missing}; limit ${limitText}` };
  }
  const value = measure(summary, found.scope, t.metric, t.scope);
  const where = found.label === 'global' ? '' : ` for ${found.label}`;
  if (typeof value !== 'number') {
    return { ...base, scope: found.label, measured: null, passed: false, message: `no data for ${t.metric}${where}: ${value.noData}; limit ${limitText}` };
  }
  const passed = compare[t.operator](value, t.limit);
  const message = `${t.metric}${where} was ${formatMetricValue(t.kind, value)}, limit ${limitText}`;
  return { ...base, scope: found.label, measured: value, passed, message };
}

/** Pure: the verdict of every threshold on a summary. Passes when there are none. */
export function evaluateThresholds(summary: EvaluableSummary, thresholds: readonly Threshold[]): ThresholdVerdict {
  const results = thresholds.map((t) => evaluateThreshold(summary, t));
  return { passed: results.every((r) => r.passed), results };
}
