/** Open model on fake time: arrival counts, ramps, Poisson mean, persona weights, dropped arrivals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalOffsets, expectedArrivals, rateAt } from '../src/engine/arrivals.js';
import type { JourneyJob, JourneyResult } from '../src/engine/journey.js';
import { runOpenModel } from '../src/engine/open-model.js';
import type { EngineRecord, ResultRecord } from '../src/engine/records.js';
import type { LoadConfig, LoadPhase } from '../src/inputs/load.js';
import type { Location, Persona } from '../src/inputs/types.js';
import { mulberry32 } from '../src/util/random.js';
import { FakeClock } from './helpers/fake-clock.js';

function persona(name: string, weight = 1): Persona {
  return { name, slug: name, weight, headers: {}, params: {}, source: 'test' };
}
const LOCATIONS: Location[] = ['a', 'b', 'c'].map((id, i) => ({ id, row: i + 2, fields: { id } }));

function record(job: JourneyJob, clock: FakeClock, latencyMs: number): ResultRecord {
  return {
    type: 'result', id: job.id, persona: job.persona.name, location: job.location.id, iteration: job.iteration, step: 'request',
    method: 'GET', url: 'http://x/', status: 200, ok: true, error: null, latencyMs, ttfbMs: latencyMs, bytes: 1, cache: 'unknown',
    startedAt: clock.wallNow(), responseTimeMs: clock.now() - job.dueAt!,
  };
}

/** Runs the open model with journeys that take `serviceMs` of fake time. */
async function runFake(load: LoadConfig, personas: Persona[], serviceMs = 50, seed = 7) {
  const clock = new FakeClock();
  const records: EngineRecord[] = [];
  const jobs: JourneyJob[] = [];
  const runJourney = async (job: JourneyJob): Promise<JourneyResult> => {
    jobs.push(job);
    await clock.sleep(serviceMs);
    return { records: [record(job, clock, serviceMs)], aborted: false };
  };
  const done = runOpenModel({
    load, personas, locationsOf: () => LOCATIONS, randomLocations: false, runJourney,
    onRecord: (r) => records.push(r), clock, random: mulberry32(seed),
  });
  const outcome = await clock.runUntil(done, 25);
  return { outcome, records, jobs, clock };
}

test('phases produce the configured number of arrivals (±1), and a ramp is linear', () => {
  const phases: LoadPhase[] = [{ durationMs: 30_000, rate: 5, rampTo: 50 }, { durationMs: 120_000, rate: 50 }];
  const offsets = [...arrivalOffsets(phases, 'uniform', Math.random)];
  const expected = expectedArrivals(phases);
  console.log(`uniform: ${offsets.length} arrivals, expected ${expected}`);
  assert.equal(expected, 825 + 6000);
  assert.ok(Math.abs(offsets.length - expected) <= 1, `${offsets.length} vs ${expected}`);
  // Linear ramp: arrivals in each second of the ramp match the rate at its middle within one.
  for (let s = 0; s < 30; s++) {
    const n = offsets.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length;
    const want = rateAt(phases, s * 1000 + 500);
    assert.ok(Math.abs(n - want) <= 1, `second ${s}: ${n} arrivals, rate ${want}`);
  }
  // Steady phase: exactly 50 a second.
  for (let s = 30; s < 150; s += 17) assert.equal(offsets.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length, 50);
  assert.ok(offsets.every((t, i) => i === 0 || t >= offsets[i - 1]!), 'in order');
});

test('Poisson arrivals have the configured mean, and exponential gaps', () => {
  const phases: LoadPhase[] = [{ durationMs: 100_000, rate: 100 }];
  const offsets = [...arrivalOffsets(phases, 'poisson', mulberry32(42))];
  const gaps = offsets.slice(1).map((t, i) => t - offsets[i]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  console.log(`poisson: ${offsets.length} arrivals (expected 10000 ± 300), mean gap ${mean.toFixed(3)} ms, cv ${(sd / mean).toFixed(3)}`);
  assert.ok(Math.abs(offsets.length - 10_000) <= 300, `${offsets.length}`);
  assert.ok(Math.abs(mean - 10) < 0.3, `mean gap ${mean}`);
  assert.ok(Math.abs(sd / mean - 1) < 0.05, 'coefficient of variation of exponential gaps is 1');
  // A Poisson ramp keeps its expected count too.
  const ramp: LoadPhase[] = [{ durationMs: 60_000, rate: 0, rampTo: 200 }];
  const counts = [1, 2, 3, 4, 5].map((seed) => [...arrivalOffsets(ramp, 'poisson', mulberry32(seed))].length);
  console.log(`poisson ramp 0→200/s over 60 s: ${counts.join(', ')} (expected 6000 ± 232)`);
  for (const n of counts) assert.ok(Math.abs(n - 6000) <= 3 * Math.sqrt(6000), `${n}`);
});

test('on fake time, the open model starts one journey per arrival, due on schedule, with unique ids', async () => {
  const load: LoadConfig = { phases: [{ durationMs: 10_000, rate: 5, rampTo: 50 }, { durationMs: 20_000, rate: 50 }], arrival: 'uniform', maxInFlight: 1000 };
  const { outcome, records, jobs } = await runFake(load, [persona('p')]);
  console.log(`fake open model: ${JSON.stringify(outcome.load)}`);
  assert.ok(Math.abs(outcome.started - 1275) <= 1, `${outcome.started}`);
  assert.equal(outcome.load.dropped, 0);
  assert.equal(outcome.completed, outcome.started);
  const results = records.filter((r): r is ResultRecord => r.type === 'result');
  assert.equal(results.length, outcome.started);
  assert.equal(new Set(results.map((r) => r.id)).size, results.length, 'ids are unique');
  assert.match(results[5]!.id, /^p\/[abc]\/5$/);
  // Locations in order, per persona.
  assert.deepEqual(jobs.slice(0, 4).map((j) => j.location.id), ['a', 'b', 'c', 'a']);
  // The scheduler is never late on fake time: every journey started when due.
  assert.ok(results.every((r) => Math.abs(r.responseTimeMs! - 50) < 1e-6), 'response time = service time when nothing queues');
  assert.ok(Math.abs(outcome.load.achievedRate! - outcome.load.targetRate) / outcome.load.targetRate < 0.01, `${outcome.load.achievedRate} vs ${outcome.load.targetRate}`);
  assert.equal(records[0]!.type, 'persona-start');
  assert.equal(records.at(-1)!.type, 'persona-end');
});

test('persona weights are honoured within statistical tolerance', async () => {
  const load: LoadConfig = { phases: [{ durationMs: 40_000, rate: 100 }], arrival: 'poisson', maxInFlight: 1000 };
  const { jobs } = await runFake(load, [persona('heavy', 3), persona('light', 1), persona('mid', 2)], 10);
  const share = (name: string) => jobs.filter((j) => j.persona.name === name).length / jobs.length;
  console.log(`weights 3:1:2 over ${jobs.length} arrivals → ${share('heavy').toFixed(3)}, ${share('light').toFixed(3)}, ${share('mid').toFixed(3)}`);
  // 4000 draws: one standard deviation of a share is under 0.008; allow four.
  assert.ok(Math.abs(share('heavy') - 3 / 6) < 0.032);
  assert.ok(Math.abs(share('light') - 1 / 6) < 0.032);
  assert.ok(Math.abs(share('mid') - 2 / 6) < 0.032);
});

test('an arrival that finds maxInFlight journeys running is dropped and counted', async () => {
  const load: LoadConfig = { phases: [{ durationMs: 1000, rate: 10 }], arrival: 'uniform', maxInFlight: 2 };
  const { outcome, records } = await runFake(load, [persona('p')], 1000);
  console.log(`maxInFlight 2, 10 arrivals of 1 s journeys: ${JSON.stringify({ started: outcome.started, dropped: outcome.load.dropped, peak: outcome.load.peakInFlight })}`);
  assert.equal(outcome.load.arrivals, 10);
  assert.equal(outcome.started, 2);
  assert.equal(outcome.load.dropped, 8);
  assert.deepEqual(outcome.load.droppedByPersona, { p: 8 });
  assert.equal(outcome.load.peakInFlight, 2);
  assert.equal(records.filter((r) => r.type === 'result').length, 2);
});

test('the stop signal ends arrivals; journeys in flight finish', async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const done = runOpenModel({
    load: { phases: [{ durationMs: 60_000, rate: 10 }], arrival: 'uniform', maxInFlight: 100 },
    personas: [persona('p')], locationsOf: () => LOCATIONS, randomLocations: true, clock, random: mulberry32(1), signal: controller.signal,
    onRecord: () => {},
    runJourney: async (job) => {
      await clock.sleep(500);
      return { records: [record(job, clock, 500)], aborted: false };
    },
  });
  await clock.advance(2050);
  controller.abort();
  const outcome = await clock.runUntil(done);
  assert.equal(outcome.started, 21);
  assert.equal(outcome.completed, 21);
  assert.equal(outcome.stoppedEarly, true);
});
