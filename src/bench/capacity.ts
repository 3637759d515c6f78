/**
 * Capacity sweeps: run one load level after another (concurrency, or an arrival rate), measure each,
 * and find the knee. Pure parts (levels, knee, CSV, table) are separate from the runners, which take a
 * `measure(level)` function: autocannon against a URL, or troupe's own engine for a persona config.
 */
import { UsageError } from '../errors.js';
import { alignColumns } from '../reports/console.js';
import { encodeRow } from '../reports/csv/encode.js';
import type { DualAxisFigure } from '../reports/charts/figure.js';

export type LevelKind = 'connections' | 'rate';

/** What `troupe capacity --format` may name, in the order the files are written; all by default. */
export const CAPACITY_FORMATS: readonly string[] = ['csv', 'json', 'pdf'];

export interface LevelResult {
  level: number;
  requests: number;
  errors: number;
  /** errors / requests; null with no requests. */
  errorRate: number | null;
  /** Completed requests per second over the step. */
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface KneeRule {
  /** ms; a level whose p95 is above it is past the knee. */
  maxP95Ms?: number;
  /** fraction; a level whose error rate is above it is past the knee. */
  maxErrorRate?: number;
  /** A level that adds less than this share of throughput over the one before is past the knee. Default 0.05. */
  minGain: number;
}

export interface Knee {
  /**
   * `knee`: a level before which the target stopped scaling. `none-in-range`: every level scaled and
   * passed its limits (the capacity is above the range). `before-first`: even the first level broke a
   * limit. `refused`: the measurements are mostly errors, and a knee of failed requests would say
   * nothing about capacity (the CLI exits 1).
   */
  verdict: 'knee' | 'none-in-range' | 'before-first' | 'refused';
  /** Index into the levels; null unless the verdict is `knee`. */
  index: number | null;
  level: number | null;
  reason: string;
}

/** A sweep whose first level fails this share of its requests has no healthy baseline to find a knee against. */
export const REFUSE_ERROR_RATE = 0.5;

/** `1,5,10,25` → [1, 5, 10, 25] (positive, strictly increasing). */
export function parseLevelList(value: string, option: string): number[] {
  const levels = value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (levels.length === 0 || levels.some((n) => !Number.isFinite(n) || n <= 0)) throw new UsageError(`${option}: expected positive numbers separated by commas such as 1,5,10,25, got "${value}"`);
  for (let i = 1; i < levels.length; i++) if (levels[i]! <= levels[i - 1]!) throw new UsageError(`${option}: levels must increase, got "${value}"`);
  return levels;
}

/** from, from × factor, … up to `to` (rounded to whole numbers; `to` itself always included). */
export function geometricLevels(from: number, to: number, factor: number): number[] {
  if (!(from > 0) || !(to >= from) || !(factor > 1)) throw new UsageError(`--from/--to/--factor: expected 0 < from ≤ to and factor > 1, got from ${from}, to ${to}, factor ${factor}`);
  const levels: number[] = [];
  for (let x = from; x < to; x *= factor) {
    const n = Math.round(x);
    if (levels.at(-1) !== n) levels.push(n);
  }
  if (levels.at(-1) !== to) levels.push(to);
  return levels;
}

/**
 * The knee: the last level before one whose p95 or error rate passes its limit, or before the first
 * level whose throughput gain over the previous level is under `minGain`. When no level stops the sweep
 * there is no knee in the range — the top of the range is not called one. A sweep that is mostly errors
 * from its first level on (a 401 to everything) is refused.
 */
export function findKnee(levels: readonly LevelResult[], rule: KneeRule): Knee {
  if (levels.length === 0) return { verdict: 'none-in-range', index: null, level: null, reason: 'no levels measured' };
  const first = levels[0]!;
  if (first.requests === 0 || (first.errorRate ?? 0) >= REFUSE_ERROR_RATE) {
    const failed = levels.filter((l) => l.requests === 0 || (l.errorRate ?? 0) >= REFUSE_ERROR_RATE).length;
    const what = first.requests === 0 ? 'no request completed' : `${((first.errorRate ?? 0) * 100).toFixed(1)}% of requests failed`;
    return {
      verdict: 'refused',
      index: null,
      level: null,
      reason: `no knee: at the first level (${first.level}) ${what}, and ${failed} of ${levels.length} levels failed at least ${REFUSE_ERROR_RATE * 100}% — check the URL, method, headers and credentials; a knee of failed requests says nothing about capacity`,
    };
  }
  const at = (i: number, reason: string): Knee =>
    i < 0 ? { verdict: 'before-first', index: null, level: null, reason: `${reason}, already at the first level` } : { verdict: 'knee', index: i, level: levels[i]!.level, reason };
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (rule.maxP95Ms !== undefined && l.p95 !== null && l.p95 > rule.maxP95Ms) return at(i - 1, `p95 ${l.p95.toFixed(1)} ms at level ${l.level} exceeds --max-p95 ${rule.maxP95Ms} ms`);
    if (rule.maxErrorRate !== undefined && l.errorRate !== null && l.errorRate > rule.maxErrorRate) {
      return at(i - 1, `error rate ${(l.errorRate * 100).toFixed(2)}% at level ${l.level} exceeds --max-error-rate ${(rule.maxErrorRate * 100).toFixed(2)}%`);
    }
    if (i > 0) {
      const prev = levels[i - 1]!;
      if (l.rps < prev.rps * (1 + rule.minGain)) {
        return at(i - 1, `throughput went from ${prev.rps.toFixed(1)} to ${l.rps.toFixed(1)} req/s between levels ${prev.level} and ${l.level}, a gain under ${Math.round(rule.minGain * 100)}%`);
      }
    }
  }
  const top = levels.at(-1)!;
  return {
    verdict: 'none-in-range',
    index: null,
    level: null,
    reason: `no knee in the range: every level up to ${top.level} gained at least ${Math.round(rule.minGain * 100)}% throughput and passed its limits (${top.rps.toFixed(1)} req/s at the top); the capacity is above it — extend the range`,
  };
}

const num = (n: number | null, digits: number) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);

/** capacity.csv: the shared encoder (RFC 4180, CRLF, formula-like text neutralised), one row per level, `knee` 1 on the knee's row. */
export function capacityCsv(kind: LevelKind, levels: readonly LevelResult[], knee: Knee): string {
  const header = [kind, 'requests', 'errors', 'error_rate', 'rps', 'p50_ms', 'p95_ms', 'p99_ms', 'knee'];
  const rows = levels.map((l, i) => [l.level, l.requests, l.errors, num(l.errorRate, 6), num(l.rps, 3), num(l.p50, 3), num(l.p95, 3), num(l.p99, 3), i === knee.index ? 1 : 0]);
  return [header, ...rows].map(encodeRow).join('');
}

export function renderCapacityTable(kind: LevelKind, levels: readonly LevelResult[], knee: Knee): string {
  const fmt = (n: number | null, unit = '') => (n === null ? '-' : `${n.toFixed(1)}${unit}`);
  const rows = [[kind, 'req/s', 'p50', 'p95', 'p99', 'errors', ''], ...levels.map((l, i) => [String(l.level), fmt(l.rps), fmt(l.p50, ' ms'), fmt(l.p95, ' ms'), fmt(l.p99, ' ms'), l.errorRate === null ? '-' : `${(l.errorRate * 100).toFixed(2)}%`, i === knee.index ? '← knee' : ''])];
  const lines = alignColumns(rows, { left: [0, rows[0]!.length - 1], trimEnd: true });
  lines.push('', knee.level === null ? `knee: none (${knee.reason})` : `knee: ${kind} ${knee.level} (${knee.reason})`);
  return lines.join('\n') + '\n';
}

/** Throughput and p95 against the level, two y axes, the knee marked with a green rule (charts/scene.ts draws it). */
export function capacityFigure(kind: LevelKind, levels: readonly LevelResult[], knee: Knee): DualAxisFigure {
  return {
    kind: 'dual',
    title: 'Throughput and p95 against load',
    subtitle: knee.level === null ? 'no knee found' : `knee at ${knee.level} (green rule)`,
    width: 420,
    height: 240,
    xTitle: kind === 'rate' ? 'Arrival rate (req/s)' : 'Concurrency (connections)',
    xs: levels.map((l) => l.level),
    xLog: levels.length > 2 && levels.at(-1)!.level / levels[0]!.level >= 16,
    left: { title: 'Throughput (req/s)', color: '#4c9be8', values: levels.map((l) => l.rps) },
    right: { title: 'p95 latency (ms)', color: '#c0392b', values: levels.map((l) => l.p95), dashed: true },
    xRule: knee.level === null ? null : { x: knee.level, color: '#1e7f4f' },
  };
}
