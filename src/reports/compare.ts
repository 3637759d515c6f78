/**
 * Baselines and regressions: two summaries in, comparison rows out (pure), plus the few functions that
 * read a summary and write compare.json / compare.csv. The PDF report renders `comparisonRows()`.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { DamagedFileError, RunDirError, UsageError } from '../errors.js';
import { shownPath } from '../run-dir/paths.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { COMPARE_METRICS, GATE_DEFAULTS, type CompareMetric } from '../inputs/threshold-config.js';
import { formatMetricValue } from '../metrics/threshold-format.js';
import type { RunMetricsSummary } from '../metrics/run-metrics.js';
import { runDirPaths } from '../run-dir/layout.js';
import { readComparableSummary, readManifest } from '../run-dir/json-files.js';
import { rebuildSummary } from '../run-dir/rebuild.js';
import { alignColumns } from './console.js';
import { encodeRow } from './csv/encode.js';

export { COMPARE_METRICS, type CompareMetric };

export interface CompareOptions {
  /** Relative tolerance (fraction) for latencies and throughput: 0.1 = 10 % slower or 10 % less throughput. */
  maxRegression: number;
  /** Per metric: relative for latencies and rps, percentage points (as a fraction) for error and hit rates. */
  tolerances: Partial<Record<CompareMetric, number>>;
  /** A scope with fewer requests on either side is reported but not judged. */
  minSamples: number;
  /** A latency change smaller than this (ms) is never a regression: timer noise on sub-millisecond hits. */
  minLatencyDeltaMs: number;
}

export const COMPARE_DEFAULTS: CompareOptions = GATE_DEFAULTS.compare;
/** Rates are judged in percentage points: +1 point of errors, −5 points of cache hits. */
const RATE_DEFAULTS: Partial<Record<CompareMetric, number>> = { error_rate: 0.01, cache_hit_rate: 0.05 };

export type Direction = 'worse' | 'better' | 'same' | 'n/a';

export interface ComparisonRow {
  /** `global`, `persona:NAME` or `step:NAME`. */
  scope: string;
  metric: CompareMetric;
  baseline: number | null;
  current: number | null;
  /** current − baseline, in the metric's unit (ms, fraction, req/s). */
  delta: number | null;
  /** delta / baseline; null when the baseline is 0 or missing. */
  change: number | null;
  direction: Direction;
  tolerance: number;
  toleranceKind: 'relative' | 'points';
  samples: { baseline: number; current: number };
  /** False when the scope had too few samples or a side is missing: shown, not judged. */
  judged: boolean;
  regressed: boolean;
  /** Why a row was not judged, or how far over the tolerance it went. */
  note: string;
}

export interface RunRef {
  runId: string | null;
  name: string | null;
  startedAt: string | null;
  source: string;
}

export interface Comparison {
  baseline: RunRef;
  current: RunRef;
  options: CompareOptions;
  passed: boolean;
  regressions: number;
  rows: ComparisonRow[];
}

export type ComparableSummary = Pick<RunMetricsSummary, 'global' | 'personas' | 'steps'> & { runId?: string; name?: string; startedAt?: string };

const KIND = { p50: 'latency', p95: 'latency', p99: 'latency', error_rate: 'rate', cache_hit_rate: 'rate', rps: 'rps' } as const;
/** Which way is worse: +1 when a higher value is worse. */
const WORSE_WHEN_HIGHER: Record<CompareMetric, boolean> = { p50: true, p95: true, p99: true, error_rate: true, cache_hit_rate: false, rps: false };

function value(s: ScopeSummary, metric: CompareMetric): number | null {
  switch (metric) {
    case 'p50':
    case 'p95':
    case 'p99':
      return s.latency.count > 0 ? s.latency[metric] : null;
    case 'error_rate':
      return s.requests > 0 ? s.errors / s.requests : null;
    case 'cache_hit_rate':
      return s.cache.hitRate;
    case 'rps':
      return s.rps;
  }
}

export function toleranceFor(metric: CompareMetric, options: CompareOptions): { tolerance: number; kind: 'relative' | 'points' } {
  const kind = KIND[metric] === 'rate' ? 'points' : 'relative';
  return { tolerance: options.tolerances[metric] ?? RATE_DEFAULTS[metric] ?? options.maxRegression, kind };
}

export function formatTolerance(t: number, kind: 'relative' | 'points'): string {
  const n = Number((t * 100).toFixed(2));
  return kind === 'points' ? `${n} pts` : `${n}%`;
}

function compareRow(scope: string, metric: CompareMetric, b: ScopeSummary | undefined, c: ScopeSummary | undefined, options: CompareOptions): ComparisonRow {
  const { tolerance, kind } = toleranceFor(metric, options);
  const bv = b ? value(b, metric) : null;
  const cv = c ? value(c, metric) : null;
  const samples = { baseline: b?.requests ?? 0, current: c?.requests ?? 0 };
  const delta = bv !== null && cv !== null ? cv - bv : null;
  const change = delta !== null && bv !== 0 && bv !== null ? delta / bv : null;
  const higherIsWorse = WORSE_WHEN_HIGHER[metric];
  const direction: Direction = delta === null ? 'n/a' : delta === 0 ? 'same' : delta > 0 === higherIsWorse ? 'worse' : 'better';
  const row: ComparisonRow = { scope, metric, baseline: bv, current: cv, delta, change, direction, tolerance, toleranceKind: kind, samples, judged: false, regressed: false, note: '' };

  if (!b) return { ...row, note: 'not in the baseline' };
  if (!c) return { ...row, note: 'not in the current run' };
  if (samples.baseline < options.minSamples || samples.current < options.minSamples) {
    return { ...row, note: `not judged: fewer than ${options.minSamples} requests (baseline ${samples.baseline}, current ${samples.current})` };
  }
  if (delta === null) return { ...row, note: 'not judged: no data on one side' };

  const worseBy = higherIsWorse ? delta : -delta;
  let over: boolean;
  if (kind === 'points') over = worseBy > tolerance + 1e-12;
  else if (bv === 0) over = worseBy > 0;
  else over = worseBy / Math.abs(bv!) > tolerance + 1e-12;
  if (over && KIND[metric] === 'latency' && worseBy < options.minLatencyDeltaMs) {
    return { ...row, judged: true, note: `within noise: changed by less than ${options.minLatencyDeltaMs} ms` };
  }
  const note = over ? `regression: worse by more than ${formatTolerance(tolerance, kind)}` : '';
  return { ...row, judged: true, regressed: over, note };
}

function scopesOf(b: Record<string, ScopeSummary>, c: Record<string, ScopeSummary>): string[] {
  return [...new Set([...Object.keys(b), ...Object.keys(c)])].sort();
}

const refOf = (s: ComparableSummary, source: string): RunRef => ({ runId: s.runId ?? null, name: s.name ?? null, startedAt: s.startedAt ?? null, source });

/** Pure: every tracked metric, globally and per persona and step, baseline vs current. */
export function compareSummaries(baseline: ComparableSummary, current: ComparableSummary, options: CompareOptions = COMPARE_DEFAULTS, sources = { baseline: 'baseline', current: 'current' }): Comparison {
  const rows: ComparisonRow[] = [];
  for (const metric of COMPARE_METRICS) rows.push(compareRow('global', metric, baseline.global, current.global, options));
  for (const [kind, b, c] of [['persona', baseline.personas, current.personas], ['step', baseline.steps, current.steps]] as const) {
    for (const name of scopesOf(b ?? {}, c ?? {})) {
      for (const metric of COMPARE_METRICS) rows.push(compareRow(`${kind}:${name}`, metric, b?.[name], c?.[name], options));
    }
  }
  const regressions = rows.filter((r) => r.regressed).length;
  return { baseline: refOf(baseline, sources.baseline), current: refOf(current, sources.current), options, passed: regressions === 0, regressions, rows };
}

/** A row as display strings, shared by the console, Markdown and the PDF comparison page. */
export interface ComparisonCells {
  scope: string;
  metric: string;
  baseline: string;
  current: string;
  change: string;
  direction: Direction;
  tolerance: string;
  verdict: 'regression' | 'ok' | 'not judged';
  note: string;
}

const show = (metric: CompareMetric, v: number | null): string => (v === null ? '-' : formatMetricValue(KIND[metric], v));

function changeText(r: ComparisonRow): string {
  if (r.delta === null) return '-';
  if (r.toleranceKind === 'points') return `${r.delta >= 0 ? '+' : ''}${Number((r.delta * 100).toFixed(2))} pts`;
  if (r.change === null) return r.delta === 0 ? '0%' : 'new';
  return `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`;
}

/** Pure: display cells for each row (for a PDF page, a table, a CSV). */
export function comparisonRows(comparison: Comparison): ComparisonCells[] {
  return comparison.rows.map((r) => ({
    scope: r.scope,
    metric: r.metric,
    baseline: show(r.metric, r.baseline),
    current: show(r.metric, r.current),
    change: changeText(r),
    direction: r.direction,
    tolerance: formatTolerance(r.tolerance, r.toleranceKind),
    verdict: r.regressed ? 'regression' : r.judged ? 'ok' : 'not judged',
    note: r.note,
  }));
}

/** Pure: compare.csv (the shared encoder: RFC 4180, formula-like names neutralised). Raw numbers (ms, fractions, req/s) so spreadsheets can compute with them. */
export function renderComparisonCsv(comparison: Comparison): string {
  const header = ['scope', 'metric', 'baseline', 'current', 'delta', 'change', 'direction', 'tolerance', 'tolerance_kind', 'samples_baseline', 'samples_current', 'judged', 'regressed', 'note'];
  const rows = comparison.rows.map((r) => [r.scope, r.metric, r.baseline, r.current, r.delta, r.change, r.direction, r.tolerance, r.toleranceKind, r.samples.baseline, r.samples.current, r.judged, r.regressed, r.note]);
  return [header, ...rows].map(encodeRow).join('');
}

/** Just the colours the console table uses; a chalk instance fits. */
interface Paint {
  red(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/**
 * Pure: the console view. Global rows always; other scopes only when judged worse, so a run with 100
 * personas stays readable (compare.csv has every row).
 */
export function renderComparisonTable(comparison: Comparison, c: Paint): string {
  const cells = comparisonRows(comparison);
  const shown = cells.filter((cell, i) => cell.scope === 'global' || (comparison.rows[i]!.judged && cell.direction === 'worse'));
  const table = [['scope', 'metric', 'baseline', 'current', 'change', 'tolerance', 'verdict'], ...shown.map((r) => [r.scope, r.metric, r.baseline, r.current, `${r.change} ${r.direction === 'n/a' ? '' : r.direction}`.trim(), r.tolerance, r.verdict])];
  const aligned = alignColumns(table, { left: [0, 1] });
  const lines = table.map((row, n) => {
    const text = aligned[n]!;
    if (n === 0) return c.bold(text);
    const verdict = row[6];
    return verdict === 'regression' ? c.red(text) : verdict === 'not judged' ? c.dim(text) : text;
  });
  const b = comparison.baseline;
  const head = `compared with baseline ${b.runId ?? b.source} (latency and throughput tolerance ${formatTolerance(comparison.options.maxRegression, 'relative')}, at least ${comparison.options.minSamples} requests per scope)`;
  const hidden = cells.length - shown.length;
  const tail = comparison.passed
    ? c.green(`no regressions (${comparison.rows.filter((r) => r.judged).length} checks judged${hidden ? `, ${hidden} rows not shown` : ''})`)
    : c.red(c.bold(`${comparison.regressions} regression${comparison.regressions === 1 ? '' : 's'} found`));
  return `${head}\n${lines.join('\n')}\n${tail}\n`;
}

/**
 * A summary from a run directory or a summary.json. Throws a UsageError naming the path when it is
 * neither, so a wrong --baseline stops before the run starts. A run directory killed before it wrote
 * summary.json is compared on a summary rebuilt from its results.ndjson.
 */
export async function readSummary(path: string, label: string): Promise<ComparableSummary> {
  let file = path;
  let dir: string | null = null;
  try {
    if ((await stat(path)).isDirectory()) {
      dir = path;
      file = runDirPaths(path).summary;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`${label} ${JSON.stringify(path)}: not found; expected a run directory or a summary.json`);
    throw new RunDirError(`${label} ${JSON.stringify(path)}: cannot be read: ${(err as Error).message}`);
  }
  let data: unknown = await readComparableSummary(file);
  if (data === null && dir !== null) {
    const manifest = await readManifest(dir);
    if (manifest !== null) data = await rebuildSummary(dir, manifest);
  }
  if (data === null) throw new UsageError(`${label} ${JSON.stringify(file)} not found; expected a run directory or a summary.json written by troupe`);
  const s = data as Partial<ComparableSummary>;
  if (typeof s.global !== 'object' || s.global === null || typeof s.global.latency !== 'object') {
    throw new UsageError(`${label} ${JSON.stringify(file)} is not a troupe summary (no global latency); expected a run directory or a summary.json written by troupe`);
  }
  return { ...s, personas: s.personas ?? {}, steps: s.steps ?? {} } as ComparableSummary;
}

/** compare.json and compare.csv into a folder (the run directory, or `troupe compare --out`). */
export async function writeComparison(dir: string, comparison: Comparison): Promise<void> {
  const paths = runDirPaths(dir);
  await writeFile(paths.compare, `${JSON.stringify(comparison, null, 2)}\n`);
  await writeFile(paths.compareCsv, renderComparisonCsv(comparison));
}

/** For reports: the comparison a run directory holds, or null when the run had no baseline. */
export async function readComparison(runDir: string): Promise<Comparison | null> {
  const file = runDirPaths(runDir).compare;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunDirError(`${shownPath(file)} cannot be read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Comparison;
  } catch (err) {
    throw new DamagedFileError(file, `${shownPath(file)} is damaged: ${(err as Error).message}; remove it, or run troupe compare again`);
  }
}
