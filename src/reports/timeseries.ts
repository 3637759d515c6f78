/**
 * The per-second series, built in one pass over results.ndjson with bounded memory: a second's latency
 * histogram lives only while results may still complete in it (results are appended as they complete, so
 * the file is in completion order give or take the concurrency), then shrinks to a row of numbers.
 */
import { LatencyHistogram } from '../metrics/histogram.js';
import type { ResultLine } from '../run-dir/results.js';
import { pausesOf, segmentIndexAt, type RunSegment } from '../run-dir/segments.js';

export interface SecondRow {
  /** Epoch ms of the start of this second. */
  at: number;
  /** Seconds since the first request was sent (wall time: a resumed run's pause is in it). */
  elapsed: number;
  /** Which stretch of the run (1: the first run, 2: its first resume, …); charts draw each apart. */
  segment: number;
  started: number;
  completed: number;
  errors: number;
  /** Requests sent but not completed at the end of this second. */
  inFlight: number;
  /** Latency of the requests that completed in this second; null when none did. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  hits: number;
  misses: number;
  hitRate: number | null;
}

interface OpenSecond {
  completed: number;
  errors: number;
  hits: number;
  misses: number;
  latency: LatencyHistogram | null;
}

/** A second closes once results have completed this far past it. */
const CLOSE_AFTER_S = 60;

export class SecondSeries {
  private readonly started = new Map<number, number>();
  private readonly open = new Map<number, OpenSecond>();
  private readonly closed = new Map<number, Omit<SecondRow, 'at' | 'elapsed' | 'segment' | 'started' | 'inFlight'>>();
  private watermark = -Infinity;
  private lastSweep = -Infinity;

  add(r: ResultLine): void {
    const startS = Math.floor(r.startedAt / 1000);
    this.started.set(startS, (this.started.get(startS) ?? 0) + 1);
    const endS = Math.floor((r.startedAt + r.latencyMs) / 1000);
    const late = this.closed.get(endS);
    if (late !== undefined) {
      // Completed more than CLOSE_AFTER_S out of order: counted, but its second's percentiles are already fixed.
      late.completed++;
      if (!r.ok) late.errors++;
      if (r.cache === 'hit') late.hits++;
      else if (r.cache === 'miss') late.misses++;
      return;
    }
    let second = this.open.get(endS);
    if (second === undefined) this.open.set(endS, (second = { completed: 0, errors: 0, hits: 0, misses: 0, latency: null }));
    second.completed++;
    if (!r.ok) second.errors++;
    if (r.cache === 'hit') second.hits++;
    else if (r.cache === 'miss') second.misses++;
    (second.latency ??= new LatencyHistogram(3)).record(r.latencyMs);
    if (endS > this.watermark) this.watermark = endS;
    if (this.watermark - this.lastSweep >= 10) this.sweep(this.watermark - CLOSE_AFTER_S);
  }

  private sweep(before: number): void {
    this.lastSweep = this.watermark;
    for (const [s, second] of this.open) {
      if (s >= before) continue;
      this.closed.set(s, shrink(second));
      this.open.delete(s);
    }
  }

  /**
   * Every second from the first send to the last completion, gaps filled with zeros, except the seconds
   * wholly inside a resumed run's pause (between `segments`): those are left out, so the pause shows as a gap.
   */
  rows(segments: readonly RunSegment[] = []): SecondRow[] {
    const pauses = pausesOf(segments);
    this.sweep(Infinity);
    const seconds = [...this.started.keys(), ...this.closed.keys()];
    if (seconds.length === 0) return [];
    let first = Infinity;
    let last = -Infinity;
    for (const s of seconds) {
      if (s < first) first = s;
      if (s > last) last = s;
    }
    const rows: SecondRow[] = [];
    let inFlight = 0;
    for (let s = first; s <= last; s++) {
      const done = this.closed.get(s) ?? { completed: 0, errors: 0, hits: 0, misses: 0, hitRate: null, p50: null, p95: null, p99: null };
      const started = this.started.get(s) ?? 0;
      inFlight += started - done.completed;
      const at = s * 1000;
      if (pauses.some(([from, to]) => from <= at && at + 1000 <= to)) continue;
      rows.push({ at, elapsed: s - first, segment: segments.length > 1 ? segmentIndexAt(segments, at + 999) + 1 : 1, started, inFlight, ...done });
    }
    return rows;
  }
}

function shrink(s: OpenSecond): Omit<SecondRow, 'at' | 'elapsed' | 'segment' | 'started' | 'inFlight'> {
  const h = s.latency;
  const seen = s.hits + s.misses;
  return {
    completed: s.completed,
    errors: s.errors,
    hits: s.hits,
    misses: s.misses,
    hitRate: seen === 0 ? null : Math.round((s.hits / seen) * 1e6) / 1e6,
    p50: h === null ? null : h.percentileMs(50),
    p95: h === null ? null : h.percentileMs(95),
    p99: h === null ? null : h.percentileMs(99),
  };
}
