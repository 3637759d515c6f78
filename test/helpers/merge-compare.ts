/**
 * Comparing a merged run with one process: every leaf of two summaries, and the one-process view of the
 * shards' own result lines (what a single RunMetrics and a single per-second series make of them).
 */
import type { ResultRecord } from '../../src/engine/records.js';
import { RunMetrics } from '../../src/metrics/run-metrics.js';
import { SecondSeries, type SecondRow } from '../../src/reports/timeseries.js';
import { runDirPaths } from '../../src/run-dir/layout.js';
import { readResults, type ResultLine } from '../../src/run-dir/results.js';

/** Every leaf path where a and b differ (arrays by index, objects by key, both sides' keys). */
export function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a === b) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [`${path}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
}

/**
 * Leaves that measure time (latencies, send and completion times, spans, rates over them, the time
 * windows), or name the run (its id, its target's port), or exist only on one side (a merge's start
 * report, a run's own start): two executions of one plan cannot agree on them. They are compared
 * instead with the one-process view of the shards' own lines (see below).
 */
export const TIMING: readonly RegExp[] = [
  /^(runId|target|startedAt|endedAt|durationMs)$/,
  /^(start|merge)(\.|$)/,
  /(^|\.)(latency|ttfb|hitLatency|missLatency|responseTime|histograms)(\.|$)/,
  /(^|\.)(rps|durationMs|startedAt|endedAt)$/,
  /^warmup\.(byWindow|windowMs|originAt|byPersonaOrder)(\.|$)/,
  /^load\.(elapsedMs|achievedRate|peakInFlight)$/,
  /^serverCache\.(source|scope)$/,
  // troupe's own health measures the machine, not the target: a merge keeps the worst shard's (generator-health.test.ts).
  /^generator(\.|$)/,
];

export const countDifferences = (a: unknown, b: unknown, extra: readonly RegExp[] = []) =>
  differences(a, b).filter((d) => ![...TIMING, ...extra].some((re) => re.test(d.slice(0, d.indexOf(':')))));

export async function linesOf(dir: string): Promise<ResultLine[]> {
  const out: ResultLine[] = [];
  for await (const line of readResults(runDirPaths(dir).results, { missingIsEmpty: true })) out.push(line);
  return out;
}

/** The metrics one process would have written for these lines, its warm-up curve starting at `origin`. */
export function oneProcessMetrics(lines: readonly ResultLine[], origin: number) {
  const metrics = new RunMetrics();
  metrics.startAt(origin);
  for (const line of lines) metrics.add({ type: 'result', ...line } as ResultRecord);
  return metrics.toSummary();
}

/** The per-second series of these lines, fed in completion order (as one process appends them), first attempts only. */
export function oneProcessSeries(lines: readonly ResultLine[]): SecondRow[] {
  const series = new SecondSeries();
  const sorted = [...lines].sort((a, b) => a.startedAt + a.latencyMs - (b.startedAt + b.latencyMs));
  for (const r of sorted) if (r.harnessCache === undefined && (r.attempt ?? 1) <= 1) series.add(r);
  return series.rows();
}

/** Hit and miss counts per window of `windowMs` from `origin`, from the lines' send times: the one time axis. */
export function windowsOf(lines: readonly ResultLine[], origin: number, windowMs: number): Array<{ hit: number; miss: number }> {
  const windows: Array<{ hit: number; miss: number }> = [];
  for (const r of lines) {
    if (r.harnessCache !== undefined || (r.attempt ?? 1) > 1 || (r.cache !== 'hit' && r.cache !== 'miss')) continue;
    const i = Math.max(0, Math.floor((r.startedAt - origin) / windowMs));
    while (windows.length <= i) windows.push({ hit: 0, miss: 0 });
    windows[i]![r.cache]++;
  }
  return windows;
}

/** Column sums of a series, the part of it that does not depend on when each request ran. */
export const seriesTotals = (rows: readonly SecondRow[]) =>
  rows.reduce((t, r) => ({ started: t.started + r.started, completed: t.completed + r.completed, errors: t.errors + r.errors, hits: t.hits + r.hits, misses: t.misses + r.misses }), { started: 0, completed: 0, errors: 0, hits: 0, misses: 0 });
