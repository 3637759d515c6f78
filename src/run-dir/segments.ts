/**
 * The stretches of time a run actually ran. A run started once and resumed twice has three sessions
 * (run.json `startedAt`, then each `resumedAt`); each session's segment goes from its first request
 * sent to its last result completed, as results.ndjson shows them. A killed session never got to say
 * when it stopped, so the results are the one account every session has: the segments of a killed
 * run and of a cleanly stopped one are measured the same way, and a resume rebuilds them exactly.
 *
 * Rates of a resumed run divide by active time (the sum of the segments), not by wall time including
 * the pauses; reports draw each segment apart, with a gap for each pause.
 */
import type { ScopeStats } from '../metrics/aggregate.js';

/** One segment as run.json and summary.json record it. */
export interface RunSegment {
  /** ISO time of the segment's first request sent. */
  startedAt: string;
  /** ISO time of its last result completed. */
  endedAt: string;
  /** endedAt − startedAt in ms (exact; the ISO times are rounded to the ms). */
  durationMs: number;
  /** Result lines it wrote. */
  results: number;
}

/**
 * Active time so far: the sum of the segments' durations, in ms. A run that continues for a set time
 * (the closed model with a duration) runs for what is left after this.
 */
export function activeTimeMs(segments: readonly RunSegment[]): number {
  let total = 0;
  for (const s of segments) total += s.durationMs;
  return total;
}

/** The pauses between segments, as [from, to] epoch ms. */
export function pausesOf(segments: readonly RunSegment[]): Array<[number, number]> {
  const pauses: Array<[number, number]> = [];
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1]!;
    const from = Date.parse(prev.startedAt) + prev.durationMs;
    const to = Date.parse(segments[i]!.startedAt);
    if (to > from) pauses.push([from, to]);
  }
  return pauses;
}

/** Time of [start, end] (epoch ms) that falls in no pause. */
export function activeSpanMs(start: number, end: number, pauses: readonly (readonly [number, number])[]): number {
  let span = end - start;
  for (const [from, to] of pauses) span -= Math.max(0, Math.min(end, to) - Math.max(start, from));
  return span;
}

/** Which segment (0-based) epoch time `at` belongs to: the last one that started at or before it. */
export function segmentIndexAt(segments: readonly RunSegment[], at: number): number {
  let index = 0;
  for (let i = 1; i < segments.length; i++) if (Date.parse(segments[i]!.startedAt) <= at) index = i;
  return index;
}

/**
 * Builds the segments from results as they are replayed or recorded: session `i` starts at
 * `sessionStarts[i]` (epoch ms; a result sent at or after it belongs to it).
 */
export class SegmentTracker {
  private readonly first: number[];
  private readonly last: number[];
  private readonly counts: number[];

  constructor(private readonly sessionStarts: readonly number[]) {
    this.first = sessionStarts.map(() => Infinity);
    this.last = sessionStarts.map(() => -Infinity);
    this.counts = sessionStarts.map(() => 0);
  }

  /** A new session begins now (a resume): later results belong to it. */
  static continuing(previous: SegmentTracker, start: number): SegmentTracker {
    const next = new SegmentTracker([...previous.sessionStarts, start]);
    for (let i = 0; i < previous.first.length; i++) {
      next.first[i] = previous.first[i]!;
      next.last[i] = previous.last[i]!;
      next.counts[i] = previous.counts[i]!;
    }
    return next;
  }

  /** A result (or `count` results sent from `startedAt` on, the last one done `latencyMs` later: a worker's batch). */
  add(startedAt: number, latencyMs: number, count = 1): void {
    let i = this.sessionStarts.length - 1;
    while (i > 0 && startedAt < this.sessionStarts[i]!) i--;
    if (startedAt < this.first[i]!) this.first[i] = startedAt;
    const end = startedAt + latencyMs;
    if (end > this.last[i]!) this.last[i] = end;
    this.counts[i]! += count;
  }

  /** The sessions that wrote at least one result. */
  segments(): RunSegment[] {
    const out: RunSegment[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      if (this.counts[i] === 0) continue;
      const start = this.first[i]!;
      const end = this.last[i]!;
      out.push({ startedAt: new Date(start).toISOString(), endedAt: new Date(end).toISOString(), durationMs: Math.round((end - start) * 1000) / 1000, results: this.counts[i]! });
    }
    return out;
  }
}

/** The epoch ms at which each session of a run began: run.json `startedAt`, then every `resumedAt`. */
export function sessionStarts(manifest: { startedAt: string; resumedAt?: readonly string[] }): number[] {
  return [manifest.startedAt, ...(manifest.resumedAt ?? [])].map((t) => Date.parse(t));
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * A scope's duration and rate over its active time: its span (first send to last completion) less
 * the pauses inside it. Unchanged when there are no pauses.
 */
export function withActiveRate<S extends Pick<ScopeStats, 'requests' | 'rps' | 'durationMs' | 'startedAt' | 'endedAt'>>(scope: S, pauses: readonly (readonly [number, number])[]): S {
  if (pauses.length === 0 || scope.startedAt === null || scope.endedAt === null) return scope;
  const span = activeSpanMs(scope.startedAt, scope.endedAt, pauses);
  return { ...scope, durationMs: round3(span), rps: span > 0 ? round3(scope.requests / (span / 1000)) : null };
}
