import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckWindow } from '../src/run/ack-window.js';

test('a full window makes every VU wait, and the ack that opens it wakes all of them (not only the last to ask)', async () => {
  const acks = new AckWindow(2);
  assert.equal(acks.ready(), undefined, 'room: no wait');
  acks.sent();
  acks.sent();
  const waits = Array.from({ length: 25 }, () => acks.ready());
  assert.ok(waits.every((w) => w instanceof Promise), 'full: every VU waits');
  let woken = 0;
  const all = waits.map((w) => w!.then(() => woken++));
  acks.acked();
  await Promise.all(all);
  assert.equal(woken, 25);
  assert.equal(acks.pending, 1);
  assert.equal(acks.ready(), undefined, 'room again after the ack');
});

test('a window filled again after opening makes the next askers wait on a new promise', async () => {
  const acks = new AckWindow(1);
  acks.sent();
  const first = acks.ready()!;
  acks.acked();
  await first;
  acks.sent();
  const second = acks.ready();
  assert.ok(second instanceof Promise);
  assert.notEqual(second, first);
  let done = false;
  void second!.then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false, 'still full: still waiting');
  acks.acked();
  await second;
  assert.equal(done, true);
});
