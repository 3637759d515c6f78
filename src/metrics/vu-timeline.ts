/**
 * Active virtual users over time, from the closed model's VU start/end records: one number per second
 * (VUs active when that second ended), so that shards and resumed sessions add up by second and the
 * timeseries shows the curve beside the requests. Memory: one entry per second that saw a change.
 */
import type { VuRecord } from '../engine/records.js';

/** What summary.json says about a timed closed-model run (`summary.vus`). */
export interface VuReport {
  model: 'constant-vus' | 'ramping-vus';
  /** constant-vus: how long, and whether the VUs looped over the plan (false: `iterations` given too, whichever ends first). */
  durationMs?: number;
  loop?: boolean;
  /** ramping-vus: the schedule as run (durations in ms). */
  stages?: { durationMs: number; target: number }[];
  startVUs?: number;
  gracefulRampDownMs?: number;
  /** The schedule's length: the duration, or the stages' sum. */
  scheduledMs: number;
  /** Epoch ms of the schedule's second 0 (for a resumed run: as if it had never stopped). */
  scheduleStartedAt: number;
  /** A resumed run: load time already run before this session; it ran the rest of the schedule. */
  resumedAfterMs?: number;
  /** Most VUs active at once. */
  peak: number;
  /** Visits cut by design: a ramped-down VU past gracefulRampDown, or in flight past the grace once the time was up. Not in results. */
  cut: number;
  /** `active[i]`: VUs active at the end of the second starting at `fromSecond + i × 1000` (epoch ms). */
  perSecond: { fromSecond: number; active: number[] };
}

export class VuTimeline {
  private active = 0;
  private peakActive = 0;
  private readonly deltas = new Map<number, number>();

  add(record: VuRecord): void {
    const delta = record.event === 'start' ? 1 : -1;
    this.active += delta;
    if (this.active > this.peakActive) this.peakActive = this.active;
    const second = Math.floor(record.at / 1000);
    this.deltas.set(second, (this.deltas.get(second) ?? 0) + delta);
  }

  /** A resumed run: the earlier sessions' curve (from their summary.json), ending at 0 VUs. */
  addSeries(series: VuReport['perSecond'], peak: number): void {
    let before = 0;
    series.active.forEach((value, i) => {
      const second = series.fromSecond / 1000 + i;
      this.deltas.set(second, (this.deltas.get(second) ?? 0) + value - before);
      before = value;
    });
    if (before !== 0) {
      const after = series.fromSecond / 1000 + series.active.length;
      this.deltas.set(after, (this.deltas.get(after) ?? 0) - before);
    }
    if (peak > this.peakActive) this.peakActive = peak;
  }

  get current(): number {
    return this.active;
  }

  get peak(): number {
    return this.peakActive;
  }

  /** Every second from the first VU start to the last change; null when no VU ran. */
  perSecond(): VuReport['perSecond'] | null {
    if (this.deltas.size === 0) return null;
    const seconds = [...this.deltas.keys()].sort((a, b) => a - b);
    const first = seconds[0]!;
    const last = seconds[seconds.length - 1]!;
    const active: number[] = [];
    let value = 0;
    for (let s = first; s <= last; s++) {
      value += this.deltas.get(s) ?? 0;
      active.push(value);
    }
    return { fromSecond: first * 1000, active };
  }
}

/** The active VUs of the second starting at `secondMs` (epoch ms); null outside the series. */
export function activeAt(series: VuReport['perSecond'] | undefined, secondMs: number): number | null {
  if (!series) return null;
  const i = Math.round((secondMs - series.fromSecond) / 1000);
  if (i < 0) return null;
  // After the last change nothing ran: the series ends at 0 VUs.
  return i < series.active.length ? series.active[i]! : 0;
}

/** Shards' curves added up by second (they share one time axis: epoch seconds). */
export function mergeVuReports(reports: VuReport[]): VuReport | undefined {
  if (reports.length === 0) return undefined;
  const timeline = new VuTimeline();
  for (const r of reports) timeline.addSeries(r.perSecond, 0);
  const perSecond = timeline.perSecond() ?? { fromSecond: reports[0]!.perSecond.fromSecond, active: [] };
  const first = reports[0]!;
  return {
    ...first,
    scheduleStartedAt: Math.min(...reports.map((r) => r.scheduleStartedAt)),
    peak: Math.max(0, ...perSecond.active, ...reports.map((r) => r.peak)),
    cut: reports.reduce((n, r) => n + r.cut, 0),
    perSecond,
  };
}
