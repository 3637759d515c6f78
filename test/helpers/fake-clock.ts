/**
 * A Clock on fake time for scheduling tests: now() moves only when the test advances it, and sleep()
 * resolves (a timeout() fires) when the test moves time past its deadline. Between timers, advance() lets promise chains
 * run (one setImmediate turn), so code awaiting a sleep gets to schedule its next one.
 */
import type { Clock } from '../../src/engine/clock.js';

interface Timer {
  at: number;
  seq: number;
  /** A sleep's resolve, or a timeout's callback. */
  resolve: () => void;
}

export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(private readonly epoch = Date.UTC(2026, 0, 1)) {}

  now = (): number => this.time;
  wallNow = (): number => this.epoch + this.time;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const timer: Timer = { at: this.time + ms, seq: this.seq++, resolve };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  timeout = (ms: number, fn: () => void): (() => void) => {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, resolve: fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };

  /** Sleeps and timeouts not yet due (or cancelled). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const next = this.nextTimer();
      if (next === undefined || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await settle();
    }
    this.time = target;
    await settle();
  }

  /** Advances in `stepMs` steps until `done` settles (at most `maxMs` of fake time). */
  async runUntil<T>(done: Promise<T>, stepMs = 10, maxMs = 3_600_000): Promise<T> {
    let finished = false;
    const watched = done.finally(() => {
      finished = true;
    });
    for (let spent = 0; !finished && spent < maxMs; spent += stepMs) await this.advance(stepMs);
    if (!finished) throw new Error(`FakeClock.runUntil: not done after ${maxMs} ms of fake time`);
    return watched;
  }

  private nextTimer(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
