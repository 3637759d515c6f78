/**
 * Exact resumes without real time: the open model continues its schedule where it stopped (fake
 * clock), segments and active-time rates, the pause as a gap in the time series and charts, the
 * loss window of results.ndjson, and what a resume says it may send twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { arrivalSequence } from '../src/engine/arrival-sequence.js';
import type { JourneyJob, JourneyResult } from '../src/engine/journey.js';
import { runOpenModel } from '../src/engine/open-model.js';
import type { EngineRecord, ResultRecord } from '../src/engine/records.js';
import type { LoadConfig } from '../src/inputs/load.js';
import type { LoadedInputs, Location, Persona } from '../src/inputs/types.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { buildPlan } from '../src/plan/plan.js';
import { latencyOverTimeSpec, windowSeries } from '../src/reports/pdf/charts.js';
import { SecondSeries } from '../src/reports/timeseries.js';
import { RESULTS_FLUSH } from '../src/run-dir/results-writer.js';
import { activeSpanMs, activeTimeMs, pausesOf, SegmentTracker, withActiveRate } from '../src/run-dir/segments.js';
import { buildSummary } from '../src/run-dir/summary.js';
import { describeResumeNote, resumeNote } from '../src/run/resume-note.js';
import { NdjsonSink } from '../src/sinks/ndjson.js';
import { mulberry32 } from '../src/util/random.js';
import { tempDir } from './helpers/cli.js';
import { FakeClock } from './helpers/fake-clock.js';

const persona = (name: string, weight = 1): Persona => ({ name, slug: name.toLowerCase(), weight, headers: {}, params: {}, source: 'test' });
const PERSONAS = [persona('Ana'), persona('Ben', 3)];
const LOCATIONS: Location[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, row: i + 2, fields: { id } }));
const LOAD: LoadConfig = { arrival: 'poisson', phases: [{ durationMs: 2_000, rate: 100 }], maxInFlight: 100 } as LoadConfig;
const SEED = 11;
const source = { phases: LOAD.phases, process: LOAD.arrival, personas: PERSONAS, locationsOf: () => LOCATIONS, randomLocations: true, numbering: { stride: 1, offset: 0 } };

function result(id: string, startedAt: number, latencyMs: number): ResultRecord {
  return {
    type: 'result', id, persona: 'Ana', location: 'a', iteration: 0, step: 'request', method: 'GET', url: 'http://x/', status: 200, ok: true,
    error: null, latencyMs, ttfbMs: latencyMs, bytes: 1, cache: 'miss', startedAt,
  };
}

async function openRun(options: { stopAfter?: number; done?: ReadonlySet<string> }) {
  const clock = new FakeClock();
  const controller = new AbortController();
  const jobs: JourneyJob[] = [];
  const recorded: string[] = [];
  const runJourney = async (job: JourneyJob): Promise<JourneyResult> => {
    jobs.push(job);
    await clock.sleep(30);
    return { records: [result(job.id, clock.wallNow() - 30, 30)], aborted: false };
  };
  const onRecord = (r: EngineRecord) => {
    if (r.type !== 'result') return;
    recorded.push(r.id);
    if (recorded.length === options.stopAfter) controller.abort();
  };
  const done = options.done;
  const outcome = await clock.runUntil(runOpenModel({
    load: LOAD, personas: PERSONAS, locationsOf: () => LOCATIONS, randomLocations: true, runJourney, onRecord, clock, random: mulberry32(SEED), signal: controller.signal,
    ...(done ? { resume: { isDone: (id: string) => done.has(id), random: mulberry32(SEED) } } : {}),
  }), 5);
  return { outcome, jobs, recorded };
}

test('open model: a resume sends each arrival not yet recorded once, at its place in the schedule shifted by the pause', async () => {
  const schedule = [...arrivalSequence(source, mulberry32(SEED))];
  const first = await openRun({ stopAfter: 60 });
  // As after a kill -9: the last few results never reached the disk, and two earlier ones were cut.
  const done = new Set(first.recorded.slice(0, 54).filter((_, i) => i !== 40 && i !== 45));
  const second = await openRun({ done });
  const sent = second.jobs.map((j) => j.id);
  assert.equal(sent.filter((id) => done.has(id)).length, 0, 'nothing recorded is sent again');
  assert.deepEqual(new Set([...done, ...sent]), new Set(schedule.map((a) => a.id)), 'every arrival once in all');
  assert.equal(done.size + sent.length, schedule.length);
  assert.equal(second.outcome.load.arrivals, schedule.length);
  assert.equal(second.outcome.load.started, schedule.length);
  assert.equal(second.outcome.load.resumed, 52);

  const resumeAt = Math.max(...schedule.filter((a) => done.has(a.id)).map((a) => a.offset));
  const before = schedule.filter((a) => !done.has(a.id) && a.offset < resumeAt).length;
  assert.ok(before > 0, 'some arrivals before the last recorded one had no result');
  assert.equal(second.outcome.load.unrecordedBeforeResume, before);
  const offsetOf = new Map(schedule.map((a) => [a.id, a.offset]));
  for (const job of second.jobs) assert.equal(job.dueAt, Math.max(0, offsetOf.get(job.id)! - resumeAt), `${job.id} due at its shifted time`);
  // The schedule's time, the pause left out: the whole 2 s, not 2 s plus the first run's part again.
  assert.ok(Math.abs(second.outcome.load.elapsedMs - 2_000) < 1, `elapsed ${second.outcome.load.elapsedMs}`);
});

test('segments: one per session from its results; active time, pauses, and rates over active time', () => {
  const sessions = new SegmentTracker([0, 10_000]);
  sessions.add(1_000, 100);
  sessions.add(3_900, 100); // the first session's last completion: 4,000
  const resumed = SegmentTracker.continuing(sessions, 10_000);
  resumed.add(10_500, 200);
  resumed.add(14_000, 0);
  const segments = resumed.segments();
  assert.deepEqual(segments.map((s) => [s.durationMs, s.results]), [[3_000, 2], [3_500, 2]]);
  assert.equal(activeTimeMs(segments), 6_500);
  assert.deepEqual(pausesOf(segments), [[4_000, 10_500]]);
  assert.equal(activeSpanMs(1_000, 14_000, pausesOf(segments)), 6_500);
  const scope = withActiveRate({ requests: 65, rps: 5, durationMs: 13_000, startedAt: 1_000, endedAt: 14_000 }, pausesOf(segments));
  assert.deepEqual(scope, { requests: 65, rps: 10, durationMs: 6_500, startedAt: 1_000, endedAt: 14_000 });
  assert.deepEqual(new SegmentTracker([0]).segments(), [], 'a session without results ran no stretch');
});

test('summary.json of a resumed run: segments, activeMs, and every scope\'s rps over active time', () => {
  const metrics = new RunMetrics();
  const sessions = new SegmentTracker([0, 20_000]);
  for (const [at, latency] of [[1_000, 10], [1_990, 10], [21_000, 10], [21_990, 10]] as const) {
    metrics.add(result(`ana/a/${at}`, at, latency));
    sessions.add(at, latency);
  }
  const facts = { runId: 'r', name: 'n', status: 'complete' as const, target: 't', startedAt: new Date(0), endedAt: new Date(22_000), planned: 4, completed: 4, concurrency: 1 };
  const summary = buildSummary({ ...facts, resumedAt: [new Date(20_000).toISOString()], segments: sessions.segments() }, metrics.toSummary());
  assert.equal(summary.activeMs, 2_000);
  assert.equal(summary.segments!.length, 2);
  assert.equal(summary.global.durationMs, 2_000);
  assert.equal(summary.global.rps, 2);
  assert.equal(summary.personas['Ana']!.rps, 2);
  assert.equal(summary.locations['a']!.rps, 2);
  assert.equal(summary.durationMs, 22_000, 'durationMs stays wall time');
  const once = buildSummary({ ...facts, segments: new SegmentTracker([0]).segments() }, metrics.toSummary());
  assert.equal(once.segments, undefined, 'a run that ran in one go keeps its summary as it was');
  assert.equal(once.activeMs, undefined);
});

test('time series: the seconds of a pause are left out, each row names its segment, and no chart line crosses the pause', () => {
  const series = new SecondSeries();
  const t0 = 1_000_000_000;
  for (let s = 0; s < 3; s++) for (const ms of [100, 600]) series.add({ ...result('x', t0 + s * 1000 + ms, 20) });
  for (let s = 10; s < 13; s++) for (const ms of [100, 600]) series.add({ ...result('x', t0 + s * 1000 + ms, 20) });
  const tracker = new SegmentTracker([t0, t0 + 9_000]);
  for (let s = 0; s < 3; s++) tracker.add(t0 + s * 1000 + 100, 520);
  for (let s = 10; s < 13; s++) tracker.add(t0 + s * 1000 + 100, 520);
  const rows = series.rows(tracker.segments());
  assert.deepEqual(rows.map((r) => [r.elapsed, r.segment]), [[0, 1], [1, 1], [2, 1], [10, 2], [11, 2], [12, 2]]);
  assert.equal(series.rows().length, 13, 'without segments every second is a row');
  const { points } = windowSeries(rows);
  assert.deepEqual(points.map((p) => p.segment), [1, 1, 1, 2, 2, 2]);
  const charts = latencyOverTimeSpec(rows).parts;
  assert.equal(charts.length, 2);
  for (const chart of charts) {
    for (const series of chart.kind === 'lines' ? chart.series : []) {
      assert.deepEqual(series.segments.map((line) => line.map(([t]) => t)), [[0, 1, 2], [10, 11, 12]], `${chart.title}: ${series.name} is a line per segment`);
    }
  }
});

test(`results.ndjson: ${RESULTS_FLUSH.lines} waiting results are written at once, one alone within ${RESULTS_FLUSH.ms} ms`, async () => {
  // On fake time: the flush timer fires only when the test moves the clock (on real time a loaded
  // machine fired it while the test was still reading the file).
  const clock = new FakeClock();
  const dir = await tempDir('resume-flush-');
  const sink = new NdjsonSink(dir, { clock });
  await sink.start();
  const lines = async () => (await readFile(join(dir, 'results.ndjson'), 'utf8')).split('\n').length - 1;
  for (let i = 0; i < RESULTS_FLUSH.lines - 1; i++) sink.write(result(`a/${i}`, 0, 1));
  await clock.advance(RESULTS_FLUSH.ms - 1);
  assert.equal(await lines(), 0, 'below the count, nothing is written before the timer');
  sink.write(result('a/last', 0, 1));
  assert.equal(await lines(), RESULTS_FLUSH.lines, 'the count reached: written at once, without the timer');
  sink.write(result('b/0', 0, 1));
  await clock.advance(RESULTS_FLUSH.ms - 1);
  assert.equal(await lines(), RESULTS_FLUSH.lines, 'one alone waits for the timer');
  await clock.advance(1);
  assert.equal(await lines(), RESULTS_FLUSH.lines + 1, `one alone is written ${RESULTS_FLUSH.ms} ms after it came`);
  await sink.stop();
});

test('resume note: visits before the last recorded one without a result, and the bound on what the target may have answered', () => {
  const config = { concurrency: 4, order: 'persona', iterations: 1, seed: 1 };
  const plan = buildPlan(PERSONAS, LOCATIONS, { order: 'persona', iterations: 1, seed: 1 });
  const ids = [...plan].map((item) => item.id);
  const done = new Set(ids.slice(0, 6).filter((_, i) => i !== 2 && i !== 4));
  const inputs = { config, personas: PERSONAS, locations: LOCATIONS } as unknown as LoadedInputs;
  const note = resumeNote({ inputs, plan, load: null, shard: null, seed: 1, workers: 1, done });
  assert.deepEqual(note, { done: 4, toSend: 4, before: 2, atMost: 4 + RESULTS_FLUSH.lines - 1, inFlight: 4, unflushed: RESULTS_FLUSH.lines - 1 });
  assert.equal(
    describeResumeNote(note),
    `resuming: 4 visits already in results.ndjson, 4 visits to send. The stopped run may have sent some of these already, and the target answered them: 2 come before its last recorded visit without a result; at most ${note.atMost} in all (up to 4 in flight when it stopped, up to ${note.unflushed} completed but not yet written at a kill -9).`,
  );
});
