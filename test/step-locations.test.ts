/** The slowest-locations table of a journey run ranks step × location pairs: a location's steps are never mixed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResultLine } from '../src/run-dir/results.js';
import { StepLocationTally } from '../src/reports/step-locations.js';

const line = (step: string, location: string, latencyMs: number, extra: Partial<ResultLine> = {}): ResultLine => ({
  id: `p/${location}/1`, persona: 'P', location, iteration: 1, step, method: 'GET', url: '/', status: 200, ok: true, error: null,
  latencyMs, ttfbMs: 1, bytes: 10, cache: 'hit', startedAt: 1_700_000_000_000, ...extra,
});

test('each step ranks its own locations; retries and harness-cache answers stay out', () => {
  const tally = new StepLocationTally();
  for (let i = 0; i < 10; i++) {
    tally.add(line('login', 'a', 300));
    tally.add(line('report', 'a', 5));
    tally.add(line('report', 'b', 50, { cache: 'miss' }));
  }
  tally.add(line('report', 'a', 9000, { attempt: 2 }));
  tally.add(line('report', 'a', 9000, { harnessCache: 'reused' }));
  const facts = tally.facts(10);
  assert.equal(facts.pairs, 3);
  assert.equal(facts.capped, false);
  assert.deepEqual(facts.rows.map((r) => [r.step, r.location, r.requests]), [['login', 'a', 10], ['report', 'b', 10], ['report', 'a', 10]]);
  const reportA = facts.rows.find((r) => r.step === 'report' && r.location === 'a')!;
  assert.ok(reportA.p95! < 10, `report at a is its own figure, not mixed with login: p95 ${reportA.p95}`);
  assert.equal(facts.rows.find((r) => r.location === 'b')!.hitRate, 0);
  assert.equal(tally.facts(1).rows.length, 1);
});
