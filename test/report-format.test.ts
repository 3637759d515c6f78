import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionText, workUnit } from '../src/reports/format.js';

test('completion text counts requests, journeys or expected arrivals, whichever the run planned', () => {
  assert.equal(workUnit({ steps: { request: {} } }), 'requests');
  assert.equal(completionText({ steps: { request: {} }, planned: 80, completed: 80 }), '80 of 80 planned requests completed');
  // A journey run plans visits of several steps: 80 journeys are 240 requests.
  assert.equal(completionText({ steps: { health: {}, analyze: {}, stats: {} }, planned: 80, completed: 75 }), '75 of 80 planned journeys completed');
  assert.equal(completionText({ load: { dropped: 0 }, steps: { request: {} }, planned: 1000, completed: 998 }), '998 of 1,000 expected arrivals completed');
});
