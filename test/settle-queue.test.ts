/**
 * The settle queue's policy on a driven clock and a driven event loop: after an idle loop, follow-up
 * work waits while responses keep arriving (bounded in time and turns); on a busy loop it runs in the
 * first check phase. Each `turn()` is one check phase: what was deferred in the previous one runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SettleQueue } from '../src/engine/settle-queue.js';

function loop() {
  let now = 1000;
  let deferred: Array<() => void> = [];
  const ran: string[] = [];
  const queue = new SettleQueue({ now: () => now, defer: (fn) => deferred.push(fn) });
  return {
    queue,
    ran,
    item: (name: string) => ({ settle: () => ran.push(name) }),
    advance: (ms: number) => (now += ms),
    /** One check phase: runs what was deferred before it; returns how many callbacks ran. */
    turn: () => {
      const due = deferred;
      deferred = [];
      due.forEach((fn) => fn());
      return due.length;
    },
    pending: () => deferred.length,
  };
}

test('after an idle loop, work waits while responses keep arriving, then all of it runs in one turn, in order', () => {
  const l = loop();
  l.queue.add(l.item('a'));
  l.advance(0.1);
  l.turn(); // a arrived in this turn's poll: pass it on
  assert.deepEqual(l.ran, []);
  l.queue.add(l.item('b'));
  l.advance(0.1);
  l.turn(); // b arrived: wait once more
  assert.deepEqual(l.ran, []);
  l.advance(0.1);
  l.turn(); // a turn with no new response runs them all
  assert.deepEqual(l.ran, ['a', 'b']);
  assert.equal(l.pending(), 0, 'nothing left scheduled');
});

test('the wait ends after waitMs even while responses keep arriving', () => {
  const l = loop();
  l.queue.add(l.item('first'));
  for (let i = 0; i < 3 && l.ran.length === 0; i++) {
    l.advance(0.4);
    l.turn();
    l.queue.add(l.item(`more-${i}`));
  }
  // 0.4, 0.8 ms: waits; at 1.2 ms (≥ 1 ms since the first) it runs what has come.
  assert.deepEqual(l.ran, ['first', 'more-0', 'more-1']);
  l.turn();
  assert.deepEqual(l.ran, ['first', 'more-0', 'more-1', 'more-2']);
});

test('the wait ends after waitTurns turns when time does not move', () => {
  const l = loop();
  l.queue.add(l.item('x0'));
  let turns = 0;
  while (l.ran.length === 0) {
    l.turn();
    turns++;
    if (l.ran.length === 0) l.queue.add(l.item(`x${turns}`));
    assert.ok(turns <= 20, 'bounded');
  }
  assert.equal(turns, 9, '8 turns of waiting, then the ninth runs them');
  assert.equal(l.ran.length, 9);
});

test('on a busy loop (work ran moments ago) the next work runs in the first check phase', () => {
  const l = loop();
  l.queue.add(l.item('a'));
  l.turn();
  l.turn();
  assert.deepEqual(l.ran, ['a']);
  l.advance(0.2); // < idleMs (0.5) since a ran
  l.queue.add(l.item('b'));
  l.turn();
  assert.deepEqual(l.ran, ['a', 'b'], 'no waiting turn');
  l.advance(0.6); // idle again
  l.queue.add(l.item('c'));
  l.turn();
  assert.deepEqual(l.ran, ['a', 'b'], 'after an idle stretch it waits a turn again');
  l.turn();
  assert.deepEqual(l.ran, ['a', 'b', 'c']);
});

test('work queued while the queue runs starts a round of its own', () => {
  const l = loop();
  const chained = { settle: () => { l.ran.push('first'); l.queue.add(l.item('next')); } };
  l.queue.add(chained);
  l.turn();
  l.turn();
  assert.deepEqual(l.ran, ['first']);
  assert.equal(l.pending(), 1, 'the new round is scheduled');
  l.turn();
  assert.deepEqual(l.ran, ['first', 'next']);
});
