/**
 * The active-VU chart's data (summary.vus → a line figure): samples at the end of each second, the
 * schedule as exact steps, each point held until the next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetAt } from '../src/engine/vu-schedule.js';
import { activeVusSpec } from '../src/reports/pdf/vu-chart.js';
import type { RunSummary } from '../src/run-dir/types.js';

// The schedule started 884 ms into an epoch second, as a real run does.
const fromSecond = 1_796_176_593_000;
const scheduleStartedAt = fromSecond + 884;
const summaryWith = (concurrency: number, vus: object) => ({ concurrency, vus }) as unknown as RunSummary;

test('10 VUs for 5 s: the schedule drops at 5.0 s, each sample sits at the end of its second, held until the next', () => {
  const spec = activeVusSpec(summaryWith(10, {
    model: 'constant-vus', loop: true, durationMs: 5000, scheduledMs: 5000, scheduleStartedAt, peak: 10, cut: 0,
    perSecond: { fromSecond, active: [10, 10, 10, 10, 10, 0] },
  }))!;
  assert.equal(spec.interpolate, 'step-after');
  const [active, scheduled] = spec.series;
  assert.deepEqual(active!.segments[0]!.map(([t, n]) => [Number(t.toFixed(3)), n]), [[0.116, 10], [1.116, 10], [2.116, 10], [3.116, 10], [4.116, 10], [5.116, 0]]);
  assert.deepEqual(scheduled!.segments[0], [[0, 10], [5, 0], [5.116, 0]]);
});

test('stages: the scheduled steps are the schedule\'s own target at every moment', () => {
  const stages = [{ durationMs: 2000, target: 4 }, { durationMs: 2000, target: 4 }, { durationMs: 1000, target: 0 }];
  const spec = activeVusSpec(summaryWith(4, {
    model: 'ramping-vus', loop: true, stages, startVUs: 0, scheduledMs: 5000, scheduleStartedAt, peak: 4, cut: 0,
    perSecond: { fromSecond, active: [0, 2, 4, 4, 2, 0] },
  }))!;
  const steps = spec.series[1]!.segments[0]!;
  // step-after: the value at t is the last step at or before t.
  const valueAt = (ms: number) => steps.filter(([s]) => s * 1000 <= ms).at(-1)![1];
  for (let ms = 0; ms <= 5000; ms += 50) assert.equal(valueAt(ms), targetAt(stages, 0, ms), `at ${ms} ms`);
});
