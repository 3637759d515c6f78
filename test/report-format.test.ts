import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uncachedText } from '../src/reports/content.js';
import { closedLoadText, completionText, workUnit } from '../src/reports/format.js';

test('completion text counts requests, journeys or expected arrivals, whichever the run planned', () => {
  assert.equal(workUnit({ steps: { request: {} } }), 'requests');
  assert.equal(completionText({ steps: { request: {} }, planned: 80, completed: 80 }), '80 of 80 planned requests completed');
  // A journey run plans visits of several steps: 80 journeys are 240 requests.
  assert.equal(completionText({ steps: { health: {}, analyze: {}, stats: {} }, planned: 80, completed: 75 }), '75 of 80 planned journeys completed');
  assert.equal(completionText({ load: { dropped: 0 }, steps: { request: {} }, planned: 1000, completed: 998 }), '998 of 1,000 expected arrivals completed');
});

test('a run whose VUs loop over the plan for a duration says so, never "1,208 of 24"', () => {
  const journeys = { health: {}, analyze: {} };
  const looped = { steps: journeys, planned: 24, completed: 1208, concurrency: 10, vus: { loop: true, model: 'constant-vus', peak: 10, scheduledMs: 5000 } };
  assert.equal(completionText(looped), '1,208 journeys completed, looping over a plan of 24');
  assert.equal(closedLoadText(looped, 2, 6, 2), '2 personas × 6 locations × 2 iteration(s) = 24 journeys a pass, looped by 10 VUs for 5.0 s');
  const staged = { ...looped, vus: { loop: true, model: 'ramping-vus', peak: 20, scheduledMs: 120_000 } };
  assert.equal(closedLoadText(staged, 2, 6), '2 personas × 6 locations = 24 journeys a pass, looped by up to 20 VUs in stages for 2 min 0 s');
  // A plan run once (no duration) keeps its count against the plan.
  assert.equal(closedLoadText({ steps: journeys, planned: 24, concurrency: 5 }, 2, 6, 2), '2 personas × 6 locations × 2 iteration(s) = 24 planned journeys, concurrency 5');
  // A bench for a duration, killed before its summary: no plan to count against (the summary is rebuilt from its results).
  assert.equal(completionText({ steps: { request: {} }, planned: 0, completed: 205_011 }), '205,011 requests completed');
  assert.equal(closedLoadText({ steps: { request: {} }, planned: 0, concurrency: 20 }, 1, 1), '1 persona × 1 location, concurrency 20');
});

test('responses outside the hit rate: steps that never carry a cache status are named, not blamed on the cache', () => {
  const none = { hit: 0, miss: 0, stale: 0, bypass: 0 };
  const steps = {
    health: { requests: 80, cache: { ...none, unknown: 80 } },
    analyze: { requests: 80, cache: { ...none, hit: 60, miss: 20, unknown: 0 } },
    stats: { requests: 80, cache: { ...none, unknown: 80 } },
  };
  const global = { ...none, hit: 60, miss: 20, unknown: 160 };
  assert.equal(uncachedText(steps, global, 160), '160 responses from the steps health, stats, which carried no cache status at all, are not in the hit rate.');
  assert.equal(uncachedText({ health: steps.health, analyze: steps.analyze }, { ...global, unknown: 1 }, 1).startsWith('1 response had no hit/miss status'), true, 'not all from the silent step: the counts');
  const one = { health: { requests: 1, cache: { ...none, unknown: 1 } }, analyze: steps.analyze };
  assert.equal(uncachedText(one, { ...global, unknown: 1 }, 1), '1 response from the step health, which carried no cache status at all, is not in the hit rate.');
  // A plain request run (one step): the counts, as before, with the plural right.
  assert.equal(uncachedText({ request: { requests: 10, cache: { ...none, hit: 5, stale: 1, unknown: 4 } } }, { ...none, hit: 5, stale: 1, unknown: 4 }, 5), '5 responses had no hit/miss status (stale 1, bypass 0, unknown 4); they are not in the hit rate.');
  assert.equal(uncachedText({ request: { requests: 2, cache: { ...none, hit: 1, unknown: 1 } } }, { ...none, hit: 1, unknown: 1 }, 1), '1 response had no hit/miss status (stale 0, bypass 0, unknown 1); it is not in the hit rate.');
});
