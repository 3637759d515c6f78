import { GraceAbortError } from './classify-error.js';
import type { Clock } from './clock.js';

/**
 * One shared sweep for every request's deadlines, instead of an AbortController and two timers per
 * request (measured: that alone cost about a fifth of troupe's CPU per request). The sweep runs every
 * few milliseconds only while requests are in flight, so a timeout fires within a few ms of its setting.
 */
export interface Deadline {
  /** Monotonic ms at which the current phase (headers, or the gap between body chunks) times out. */
  phaseAt: number;
  phaseError: () => Error;
  /** Monotonic ms at which the whole request times out. */
  totalAt: number;
  totalError: () => Error;
  /** An outside stop (the grace period after an interrupt ran out) also expires the request. */
  signal?: AbortSignal;
  /** Called once when a deadline passes. */
  expire: (reason: Error) => void;
  /** Where the sweeper keeps it (its own bookkeeping: -1 or absent while not in flight). */
  sweepSlot?: number;
}

const SWEEP_MS = 4;

/**
 * The requests in flight are an array with swap-remove (each deadline knows its slot), not a Set. A
 * Set that takes and drops an entry per request rehashes every few dozen requests, and V8 leaves each
 * old table pointing to its successor, with its entries (the requests, and all they hold) still in it.
 * Once a full GC had moved a live table to the old generation, that dead table kept the next one alive
 * through every scavenge, and so on down the chain: ~1 MB of requests promoted per scavenge (35 KB
 * before), old space filling at ~6 MB/s, scavenges 3× longer, until the next full GC started it again
 * (issue 12: persona mode's RSS rising from 10 s to the end, and req/s falling, after the first
 * full GC). The array's store only grows to the most requests in flight, and a removed slot is cleared.
 */
export class DeadlineSweeper {
  private readonly live: Deadline[] = [];
  private cancel: (() => void) | null = null;

  constructor(private readonly clock: Pick<Clock, 'now' | 'timeout'>) {}

  add(deadline: Deadline): void {
    if (deadline.sweepSlot !== undefined && deadline.sweepSlot >= 0) return;
    deadline.sweepSlot = this.live.length;
    this.live.push(deadline);
    this.arm();
  }

  delete(deadline: Deadline): void {
    const slot = deadline.sweepSlot;
    if (slot === undefined || slot < 0 || this.live[slot] !== deadline) return;
    deadline.sweepSlot = -1;
    const last = this.live.pop()!;
    if (last !== deadline) {
      this.live[slot] = last;
      last.sweepSlot = slot;
    }
    if (this.live.length === 0 && this.cancel) {
      this.cancel();
      this.cancel = null;
    }
  }

  /** Requests in flight: the sweep runs every SWEEP_MS until there are none. */
  get active(): number {
    return this.live.length;
  }

  private arm(): void {
    if (this.cancel || this.live.length === 0) return;
    this.cancel = this.clock.timeout(SWEEP_MS, () => {
      this.cancel = null;
      this.sweep();
      this.arm();
    });
  }

  private sweep(): void {
    const t = this.clock.now();
    // Found first, expired after: an expiry can end or start other requests, which moves slots.
    let due: Deadline[] | null = null;
    for (const d of this.live) {
      if (d.signal?.aborted || t >= d.totalAt || t >= d.phaseAt) (due ??= []).push(d);
    }
    if (due === null) return;
    for (const d of due) {
      // Ended, or ended and started again with new deadlines, by an earlier expiry of this sweep.
      if (d.sweepSlot === undefined || d.sweepSlot < 0 || !(d.signal?.aborted || t >= d.totalAt || t >= d.phaseAt)) continue;
      this.delete(d);
      if (d.signal?.aborted) d.expire(new GraceAbortError());
      else if (t >= d.totalAt) d.expire(d.totalError());
      else d.expire(d.phaseError());
    }
  }
}
