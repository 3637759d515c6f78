/**
 * The nightly trend: many runs of the same test, oldest first, each judged against the median of the
 * runs before it. A night that is worse than its recent past by more than the tolerance is marked; one
 * bad night does not move the median, so the nights after it are judged against the usual, not the bad.
 * Pure: summaries in, points out; trend.csv and trend.pdf are rendered from the points.
 */
import { COMPARE_METRICS, type CompareMetric } from '../inputs/compare-metrics.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { encodeRow } from './csv/encode.js';

export interface TrendRun {
  runId: string;
  name: string;
  startedAt: string;
  /** Where it was read from (run directory or summary.json), for messages. */
  source: string;
  requests: number;
  values: Record<CompareMetric, number | null>;
  /** The run's own global thresholds on tracked metrics (limit in the metric's unit), drawn as lines. */
  limits: Partial<Record<CompareMetric, number>>;
}

export interface TrendRegression {
  metric: CompareMetric;
  value: number;
  baseline: number;
  /** Relative for latency and throughput; percentage points for rates (as `troupe compare`). */
  change: number;
  kind: 'relative' | 'points';
}

export interface TrendPoint extends TrendRun {
  /** Median of the previous `window` judged runs per metric; null while there are fewer than `minHistory`. */
  baseline: Record<CompareMetric, number | null>;
  judged: boolean;
  regressions: TrendRegression[];
}

export interface TrendOptions {
  /** How many earlier runs make the baseline (their median). */
  window: number;
  /** Runs needed before a run is judged. */
  minHistory: number;
  /** Latency and throughput: relative tolerance. */
  maxRegression: number;
  /** Rates: tolerance in points (0.01 = one percentage point). */
  ratePoints: Partial<Record<CompareMetric, number>>;
  /** Runs with fewer requests are shown but neither judged nor part of a baseline. */
  minSamples: number;
}

export const TREND_DEFAULTS: TrendOptions = { window: 7, minHistory: 3, maxRegression: 0.2, ratePoints: { error_rate: 0.01, cache_hit_rate: 0.05 }, minSamples: 30 };

const HIGHER_IS_WORSE: Record<CompareMetric, boolean> = { p50: true, p95: true, p99: true, error_rate: true, cache_hit_rate: false, rps: false };

export function trendValues(global: ScopeSummary): Record<CompareMetric, number | null> {
  const has = global.latency.count > 0;
  return {
    p50: has ? global.latency.p50 : null,
    p95: has ? global.latency.p95 : null,
    p99: has ? global.latency.p99 : null,
    error_rate: global.requests > 0 ? global.errors / global.requests : null,
    cache_hit_rate: global.cache.hitRate,
    rps: global.rps,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function trendOf(runs: readonly TrendRun[], options: TrendOptions = TREND_DEFAULTS): TrendPoint[] {
  const ordered = [...runs].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const history: TrendRun[] = [];
  return ordered.map((run) => {
    const recent = history.slice(-options.window);
    const enough = recent.length >= options.minHistory;
    const baseline = Object.fromEntries(
      COMPARE_METRICS.map((m) => [m, enough ? median(recent.map((r) => r.values[m]).filter((v): v is number => v !== null)) : null]),
    ) as Record<CompareMetric, number | null>;
    const judged = enough && run.requests >= options.minSamples;
    const regressions: TrendRegression[] = [];
    if (judged) {
      for (const metric of COMPARE_METRICS) {
        const value = run.values[metric];
        const base = baseline[metric];
        if (value === null || base === null) continue;
        const points = options.ratePoints[metric];
        const worse = HIGHER_IS_WORSE[metric] ? value - base : base - value;
        if (points !== undefined) {
          if (worse > points) regressions.push({ metric, value, baseline: base, change: value - base, kind: 'points' });
        } else if (base > 0 && worse / base > options.maxRegression) {
          regressions.push({ metric, value, baseline: base, change: (value - base) / base, kind: 'relative' });
        }
      }
    }
    if (run.requests >= options.minSamples) history.push(run);
    return { ...run, baseline, judged, regressions };
  });
}

const fmt = (n: number | null, digits = 3) => (n === null ? '' : String(Number(n.toFixed(digits))));

/** trend.csv: one row per run, oldest first; `regressed` lists the metrics that were worse than the tolerance. */
export function trendCsv(points: readonly TrendPoint[]): string {
  const header = ['run_id', 'name', 'started_at', 'requests', ...COMPARE_METRICS.flatMap((m) => [`${m}`, `${m}_baseline`]), 'judged', 'regressed'];
  const rows = points.map((p) => [
    p.runId, p.name, p.startedAt, String(p.requests),
    ...COMPARE_METRICS.flatMap((m) => [fmt(p.values[m], 6), fmt(p.baseline[m], 6)]),
    p.judged ? '1' : '0', p.regressions.map((r) => r.metric).join(';'),
  ]);
  return [header, ...rows].map((r) => encodeRow(r)).join('');
}

/** One sentence per marked run, as the console and the PDF say it. */
export function describeRegression(point: TrendPoint): string {
  const parts = point.regressions.map((r) => {
    const unit = r.metric === 'rps' ? ' req/s' : r.metric.startsWith('p') ? ' ms' : '';
    const value = r.kind === 'points' ? `${(r.value * 100).toFixed(1)}%` : `${fmt(r.value, 1)}${unit}`;
    const base = r.kind === 'points' ? `${(r.baseline * 100).toFixed(1)}%` : `${fmt(r.baseline, 1)}${unit}`;
    const change = r.kind === 'points' ? `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)} points` : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(0)}%`;
    return `${r.metric} ${value} against a median of ${base} (${change})`;
  });
  return `${point.runId} (${point.startedAt.slice(0, 10)}) regressed: ${parts.join('; ')}`;
}
