/**
 * The continuation pacer (src/engine/after-poll.ts): continuations run in order after the poll phase,
 * at most a budget of them per turn of the event loop (the rest a turn later, so the loop reads its
 * sockets in between), and the first of a turn always runs. Time is a fake `now`: each continuation
 * "takes" what it adds to it; a marker immediate queued behind them shows where a turn ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContinuationPacer } from '../src/engine/after-poll.js';

/** Schedules `count` continuations that each take `costMs`, and a marker that re-queues itself `turns` times. */
async function order(costMs: number, count: number, turns: number): Promise<string[]> {
  let t = 0;
  const pacer = new ContinuationPacer(() => t, 0.25);
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    for (let i = 1; i <= count; i++) pacer.schedule(() => {
      t += costMs;
      seen.push(`c${i}`);
    });
    let marks = 0;
    const mark = (): void => {
      seen.push(`M${++marks}`);
      if (marks < turns) setImmediate(mark);
      else resolve();
    };
    setImmediate(mark);
  });
  return seen;
}

test('continuations past the budget wait one turn, in order', async () => {
  // 0.1 ms each, 0.25 ms a turn: three a turn (at 0, 0.1, 0.2), the fourth starts at 0.3.
  assert.deepEqual(await order(0.1, 8, 3), ['c1', 'c2', 'c3', 'M1', 'c4', 'c5', 'c6', 'M2', 'c7', 'c8', 'M3']);
});

test('the first continuation of a turn always runs, however long the one before took', async () => {
  assert.deepEqual(await order(10, 3, 3), ['c1', 'M1', 'c2', 'M2', 'c3', 'M3']);
});

test('within the budget every continuation runs in the turn after its poll', async () => {
  assert.deepEqual(await order(0.01, 5, 1), ['c1', 'c2', 'c3', 'c4', 'c5', 'M1']);
});
