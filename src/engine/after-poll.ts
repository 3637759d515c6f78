/**
 * Where a response's continuation (its record, results line, metrics, the next request) runs: after
 * the poll phase that read it, as before (so responses read together are each timestamped before any
 * one's continuation runs), but at most `BUDGET_MS` of continuations per turn of the event loop. Past
 * the budget the rest wait one turn, and the loop polls its sockets in between.
 *
 * Why (issue 12, latency truth at 20 ms, 10 connections): the connections of a closed model answer
 * in bunches, and one check phase ran every continuation of a bunch back to back, 10 × ~0.15 ms. A
 * response that arrived meanwhile sat in the socket buffer until the bunch was done, and the wait was
 * counted as the target's latency (troupe's end timestamp is taken when its bytes are read): p99 2 ms
 * above the server's own figure. With a budget, a response waits at most about one budget for its
 * read. Under full load the loop polls once per budget rather than once per bunch: a few µs each.
 */

/** Continuation time per loop turn before the loop polls again, ms. */
export const BUDGET_MS = 0.25;

type Now = () => number;

export class ContinuationPacer {
  /** When this turn's first continuation ran; -1 when none has yet. */
  private turnStart = -1;
  private readonly endTurn = (): void => {
    this.turnStart = -1;
  };

  constructor(private readonly now: Now, private readonly budgetMs = BUDGET_MS) {}

  /** Runs `fn` after this poll phase, or a turn later when this turn's budget is spent. */
  schedule(fn: () => void): void {
    setImmediate(run, this, fn);
  }

  /** Called from the immediate: runs `fn` now or defers it again. */
  run(fn: () => void): void {
    const at = this.now();
    if (this.turnStart < 0) {
      this.turnStart = at;
      // Queued behind this turn's continuations, it runs first in the next check phase: every deferred
      // continuation is queued after it, so each turn has its own budget and the first always runs.
      setImmediate(this.endTurn);
    } else if (at - this.turnStart >= this.budgetMs) {
      setImmediate(run, this, fn);
      return;
    }
    fn();
  }
}

function run(pacer: ContinuationPacer, fn: () => void): void {
  pacer.run(fn);
}

/** One per process: continuations from every connection share the loop's turns. */
export const afterPoll = new ContinuationPacer(() => performance.now());
