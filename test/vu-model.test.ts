/**
 * The closed model as virtual users, on fake time: k6's ramping-vus schedule, the active-VU curve
 * against it each second, duration runs looping over the plan with distinct ids, VU ids split across
 * shards, and a persona's own concurrency fed lazily and in plan order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClosedModel, type ClosedModelOptions } from '../src/engine/closed-model.js';
import type { EngineRecord, ResultRecord, VuRecord } from '../src/engine/records.js';
import { localVUs, splitNumbering, targetAt, targetChanges, vuId, SINGLE_PROCESS } from '../src/engine/vu-schedule.js';
import type { Stage } from '../src/inputs/stages.js';
import type { Location, Persona } from '../src/inputs/types.js';
import { VuTimeline } from '../src/metrics/vu-timeline.js';
import { buildPlan, type Plan } from '../src/plan/plan.js';
import { Redactor } from '../src/redact.js';
import { vuNumbering } from '../src/run/shard.js';
import { FakeClock } from './helpers/fake-clock.js';

const persona = (name: string, extra: Partial<Persona> = {}): Persona => ({ name, slug: name, weight: 1, headers: {}, params: {}, source: 'test', ...extra });
const location = (id: string): Location => ({ id, row: 1, fields: { id } });

/**
 * A visit that sends nothing: the request builder throws, so the journey ends at once with a template
 * record. Think time (fake) paces the VUs.
 */
function options(plan: Plan, locations: Location[], clock: FakeClock, extra: Partial<ClosedModelOptions>): ClosedModelOptions & { records: EngineRecord[]; vuRecords: VuRecord[] } {
  const records: EngineRecord[] = [];
  const vuRecords: VuRecord[] = [];
  return {
    plan,
    locations: new Map(locations.map((l) => [l.id, l])),
    concurrency: 1,
    buildRequest: () => {
      throw new Error('no request in this test');
    },
    dispatcher: null as never,
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000, totalMs: 1000 },
    maxResponseBytes: 1024,
    cache: {},
    redactor: new Redactor(),
    clock,
    random: () => 0.5,
    onRecord: (r: EngineRecord) => records.push(r),
    onVu: (r: VuRecord) => vuRecords.push(r),
    records,
    vuRecords,
    ...extra,
  };
}

test('the schedule is k6 ramping-vus: linear per stage in whole VUs, reaching each target as its stage ends', () => {
  const stages: Stage[] = [{ durationMs: 10_000, target: 10 }, { durationMs: 5_000, target: 10 }, { durationMs: 4_000, target: 2 }, { durationMs: 0, target: 5 }];
  assert.equal(targetAt(stages, 0, 0), 0);
  assert.equal(targetAt(stages, 0, 999), 0);
  assert.equal(targetAt(stages, 0, 1000), 1);
  assert.equal(targetAt(stages, 0, 9_999), 9);
  assert.equal(targetAt(stages, 0, 10_000), 10);
  assert.equal(targetAt(stages, 0, 14_000), 10);
  // Down 8 over 4 s: one VU less every 500 ms, still 10 until the first step is due.
  assert.equal(targetAt(stages, 0, 15_499), 10);
  assert.equal(targetAt(stages, 0, 15_500), 9);
  assert.equal(targetAt(stages, 0, 18_999), 3);
  // A zero-length stage jumps.
  assert.equal(targetAt(stages, 0, 19_000), 5);
  const changes = [...targetChanges(stages, 0, 0)];
  assert.equal(changes.length, 10 + 8 + 1);
  // Each change is what the schedule says from then on (two at one instant: the later one holds).
  changes.forEach((c, i) => {
    if (changes[i + 1]?.atMs !== c.atMs) assert.equal(targetAt(stages, 0, c.atMs), c.target, `at ${c.atMs}`);
  });
  // From the middle (a resumed run): only what comes after.
  assert.deepEqual([...targetChanges(stages, 0, 17_000)].map((c) => c.target), [5, 4, 3, 2, 5]);
  assert.equal(targetAt([{ durationMs: 1000, target: 4 }], 1, 0), 1, 'startVUs is where the first stage starts');
});

test('shards split VU ids round-robin: at every target their VUs add up to the single run, ids never repeat', () => {
  for (const n of [1, 2, 3, 7]) {
    for (let target = 0; target <= 30; target++) {
      const ids: number[] = [];
      for (let i = 1; i <= n; i++) {
        const shard = vuNumbering({ index: i, count: n }, true, 30);
        // Worker threads split a shard's ids the same way.
        for (const w of [1, 2]) {
          const part = splitNumbering(shard, { index: w, count: 2 });
          for (let j = 0; j < localVUs(part, target); j++) ids.push(vuId(part, j));
        }
      }
      assert.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: target }, (_, k) => k + 1), `n=${n} target=${target}`);
    }
  }
  // An iterations run: each shard keeps the whole concurrency, with its own ids.
  const second = vuNumbering({ index: 2, count: 3 }, false, 5);
  assert.equal(localVUs(second, 5), 5);
  assert.deepEqual(Array.from({ length: 5 }, (_, j) => vuId(second, j)), [6, 7, 8, 9, 10]);
  assert.equal(vuId(SINGLE_PROCESS, 0), 1);
});

test('stages up to 30 VUs and down to 0: the active VUs at the end of each second are within ±1 of the schedule', async () => {
  const clock = new FakeClock();
  const locations = ['a', 'b', 'c'].map(location);
  const plan = buildPlan([persona('p', { thinkTime: { minMs: 300, maxMs: 300 } })], locations, { order: 'persona', iterations: 1, seed: 1 });
  const stages: Stage[] = [{ durationMs: 10_000, target: 30 }, { durationMs: 5_000, target: 30 }, { durationMs: 10_000, target: 0 }];
  const o = options(plan, locations, clock, { vus: { model: 'ramping-vus', stages, startVUs: 0, gracefulRampDownMs: 1000 } });
  const starts = new Map<number, number>();
  let overlap = false;
  const seen = new Set<number>();
  const outcome = await clock.runUntil(
    runClosedModel({
      ...o,
      onVuStart: (vu) => {
        if (starts.has(vu)) overlap = true;
        starts.set(vu, clock.now());
        seen.add(vu);
      },
      onVuEnd: (vu) => {
        starts.delete(vu);
      },
    }),
    100,
  );
  assert.equal(overlap, false, 'a VU id never runs twice at once');
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 30 }, (_, k) => k + 1));
  const timeline = new VuTimeline();
  for (const r of o.vuRecords) timeline.add(r);
  const series = timeline.perSecond()!;
  const origin = clock.wallNow() - clock.now();
  let worst = 0;
  series.active.forEach((active, i) => {
    const endOfSecond = series.fromSecond + (i + 1) * 1000 - origin;
    worst = Math.max(worst, Math.abs(active - targetAt(stages, 0, Math.min(endOfSecond - 1, 25_000))));
  });
  assert.ok(worst <= 1, `worst second off by ${worst} VUs`);
  assert.equal(timeline.peak, 30);
  assert.equal(timeline.current, 0);
  assert.equal(outcome.stoppedEarly, false);
  assert.equal(outcome.cut, 0);
  assert.ok(outcome.completed > 500, `${outcome.completed} visits`);
});

test('a duration run loops over the plan in its order until the time is up; later passes get distinct ids', async () => {
  const clock = new FakeClock();
  const locations = ['a', 'b', 'c'].map(location);
  const plan = buildPlan([persona('p', { thinkTime: { minMs: 1000, maxMs: 1000 } })], locations, { order: 'persona', iterations: 2, seed: 1 });
  const o = options(plan, locations, clock, { concurrency: 2, iterations: 2, vus: { model: 'constant-vus', durationMs: 10_000, loop: true } });
  const outcome = await clock.runUntil(runClosedModel(o), 100);
  const results = o.records.filter((r): r is ResultRecord => r.type === 'result');
  // 2 VUs, a visit a second for 10 s (the last visits start just before the end).
  assert.equal(results.length, 20);
  assert.equal(new Set(results.map((r) => r.id)).size, 20, 'no id twice');
  assert.deepEqual(results.slice(0, 8).map((r) => r.id), ['p/a/1', 'p/b/1', 'p/c/1', 'p/a/2', 'p/b/2', 'p/c/2', 'p/a/3', 'p/b/3']);
  assert.ok(clock.now() <= 10_000 + 100, `ended at ${clock.now()} ms`);
  assert.equal(outcome.stoppedEarly, false);
  assert.deepEqual(o.vuRecords.map((v) => `${v.vu}:${v.event}`), ['1:start', '2:start', '1:end', '2:end']);
});

test('duration with iterations: one run of the plan, whichever ends first (k6 shared-iterations with maxDuration)', async () => {
  const clock = new FakeClock();
  const locations = ['a', 'b', 'c'].map(location);
  const plan = buildPlan([persona('p', { thinkTime: { minMs: 1000, maxMs: 1000 } })], locations, { order: 'persona', iterations: 1, seed: 1 });
  const done = options(plan, locations, clock, { concurrency: 3, vus: { model: 'constant-vus', durationMs: 60_000, loop: false } });
  await clock.runUntil(runClosedModel(done), 100);
  assert.equal(done.records.filter((r) => r.type === 'result').length, 3);
  assert.ok(clock.now() < 2000, 'the plan ended first');
});

test("a persona's own concurrency is fed lazily: a 1M-item plan materialises at most the VUs' items, and stopping is immediate", async () => {
  const clock = new FakeClock();
  const locations = Array.from({ length: 1000 }, (_, i) => location(`l${i}`));
  const whole = buildPlan([persona('bounded', { concurrency: 2 })], locations, { order: 'persona', iterations: 1000, seed: 1 });
  assert.equal(whole.size, 1_000_000);
  let pulled = 0;
  const counted: Plan = {
    ...whole,
    *[Symbol.iterator]() {
      for (const item of whole) {
        pulled++;
        yield item;
      }
    },
  };
  const stop = new AbortController();
  let results = 0;
  let worstAhead = 0;
  const o = options(counted, locations, clock, { concurrency: 20, signal: stop.signal });
  const outcome = await runClosedModel({
    ...o,
    onRecord: () => {
      results++;
      worstAhead = Math.max(worstAhead, pulled - results);
      if (results === 2000) stop.abort();
    },
  });
  assert.ok(worstAhead <= 20, `at most the 20 VUs' items taken and not done; worst ${worstAhead}`);
  assert.ok(pulled <= 2000 + 20, `${pulled} items taken from the plan for 2000 visits`);
  assert.equal(outcome.stoppedEarly, true);
});

test("order: persona holds with a persona's own concurrency: each location is visited by the personas in their order", async () => {
  const clock = new FakeClock();
  const locations = Array.from({ length: 10 }, (_, i) => location(`l${i}`));
  const personas = [persona('first', { concurrency: 2 }), persona('second'), persona('third')];
  const plan = buildPlan(personas, locations, { order: 'persona', iterations: 1, seed: 1 });
  const o = options(plan, locations, clock, { concurrency: 5 });
  const outcome = await runClosedModel(o);
  assert.equal(outcome.completed, 30);
  const visits = o.records.filter((r): r is ResultRecord => r.type === 'result').map((r) => `${r.persona}/${r.location}`);
  for (const l of locations) {
    const at = personas.map((p) => visits.indexOf(`${p.name}/${l.id}`));
    assert.ok(at[0]! < at[1]! && at[1]! < at[2]!, `${l.id}: ${at.join(' < ')}`);
  }
});

test('a VU ramped down finishes its visit within gracefulRampDown, else the visit is cut (not recorded, counted apart)', async () => {
  const clock = new FakeClock();
  const locations = [location('a')];
  // A visit that waits 10 s before its only step: longer than the 500 ms the ramp-down allows.
  const slow = persona('slow', { journey: [{ name: 'wait', think: { minMs: 10_000, maxMs: 10_000 }, request: { method: 'GET', path: '/' } as never, expect: [], capture: [], onFail: 'stop' }] });
  const plan = buildPlan([slow], locations, { order: 'persona', iterations: 1, seed: 1 });
  const o = options(plan, locations, clock, { vus: { model: 'ramping-vus', stages: [{ durationMs: 0, target: 2 }, { durationMs: 1000, target: 2 }, { durationMs: 0, target: 0 }], startVUs: 0, gracefulRampDownMs: 500 } });
  const outcome = await clock.runUntil(runClosedModel(o), 50);
  assert.equal(outcome.cut, 2);
  assert.equal(outcome.completed, 0);
  assert.equal(outcome.stoppedEarly, false, 'a cut by design is not an interrupted run');
  assert.equal(o.records.filter((r) => r.type === 'result').length, 0);
  assert.ok(clock.now() >= 1500 && clock.now() <= 1600, `ended at ${clock.now()} ms`);
});
