import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalNumbering } from '../src/run/shard.js';

test('open-model arrival numbers never collide across shards and worker threads', () => {
  const seen = new Set<number>();
  const shards = 3;
  const parts = 2;
  for (let s = 1; s <= shards; s++) {
    for (let p = 1; p <= parts; p++) {
      const { stride, offset } = arrivalNumbering({ index: s, count: shards }, { index: p, count: parts });
      assert.equal(stride, shards * parts);
      for (let n = 0; n < 100; n++) {
        const number = n * stride + offset;
        assert.ok(!seen.has(number), `shard ${s} part ${p} arrival ${n} reuses ${number}`);
        seen.add(number);
      }
    }
  }
  // Together they number 0, 1, 2, … without gaps.
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
  assert.deepEqual(arrivalNumbering(null), { stride: 1, offset: 0 });
});
