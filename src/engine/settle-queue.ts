/**
 * When the follow-up work of a completed response runs: its record, its result line, the next request
 * (0.1–0.2 ms each at light load). A server's timers answer requests in batches, and the answers of one
 * batch reach troupe over a few hundred µs, across several turns of the event loop; follow-up work run
 * in the check phase right after its own response was read held up the reads, and so the timestamps,
 * of the answers still arriving (issue 12, latency truth: +0.6–0.7 ms at p50 against a 20 ms server,
 * where wrk has +0.46).
 *
 * So, when the loop was idle before (nothing ran for `idleMs`), the work waits while responses keep
 * coming: a check phase that follows a poll phase which completed responses passes it on to the next
 * turn (whose poll does not block, an immediate being pending), and the first turn that completed none
 * runs it all, in one immediate, at most `waitMs` or `waitTurns` after the first. A busy loop
 * (something ran moments ago) runs it in the first check phase: there the extra turns would cost CPU
 * per request and no timestamp gains from them.
 *
 * The clock and the scheduler are injected (the tests drive both); http.ts uses the event loop's own,
 * `performance.now` and `setImmediate`, not a run's clock: this is scheduling, not a figure.
 */
export interface SettleQueueOptions {
  now: () => number;
  /** Runs `fn` in the next check phase (setImmediate). */
  defer: (fn: () => void) => void;
  idleMs?: number;
  waitMs?: number;
  waitTurns?: number;
}

/** What waits: an object, not a closure, so that queuing a response allocates nothing. */
export interface Settleable {
  settle(): void;
}

export class SettleQueue {
  private readonly pending: Settleable[] = [];
  /** Items added since the last check phase. */
  private fresh = 0;
  private turns = 0;
  private since = 0;
  private lastRanAt = -Infinity;
  private waits = false;
  private readonly now: () => number;
  private readonly defer: (fn: () => void) => void;
  private readonly idleMs: number;
  private readonly waitMs: number;
  private readonly waitTurns: number;
  private readonly onCheck = () => this.check();

  constructor(options: SettleQueueOptions) {
    this.now = options.now;
    this.defer = options.defer;
    this.idleMs = options.idleMs ?? 0.5;
    this.waitMs = options.waitMs ?? 1;
    this.waitTurns = options.waitTurns ?? 8;
  }

  /** Queues one response's follow-up work. */
  add(item: Settleable): void {
    if (this.pending.length === 0) {
      this.since = this.now();
      this.waits = this.since - this.lastRanAt >= this.idleMs;
      this.defer(this.onCheck);
    }
    this.pending.push(item);
    this.fresh++;
  }

  private check(): void {
    if (this.waits && this.fresh > 0 && this.turns < this.waitTurns && this.now() - this.since < this.waitMs) {
      this.fresh = 0;
      this.turns++;
      this.defer(this.onCheck);
      return;
    }
    this.fresh = 0;
    this.turns = 0;
    this.lastRanAt = this.now();
    // The list is taken first: work that queues more (a redirect's next hop) starts a new round.
    const items = this.pending.splice(0);
    for (const item of items) item.settle();
  }
}
