/** Progress that adds up: the sink driven with records directly, on fake time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ResultRecord } from '../src/engine/records.js';
import { fmtClock, progressFigures, ProgressSink, type ProgressOptions } from '../src/sinks/progress.js';
import { FakeClock } from './helpers/fake-clock.js';

function result(persona: string, step = 'request', attempt?: number): ResultRecord {
  return {
    type: 'result', id: `${persona}/l1/1`, persona, location: 'l1', iteration: 1, step, method: 'GET', url: '/', status: 200, ok: true,
    error: null, latencyMs: 1, ttfbMs: 1, bytes: 0, cache: 'unknown', startedAt: 0, ...(attempt !== undefined ? { attempt } : {}),
  };
}

function sink(options: Partial<ProgressOptions> & Pick<ProgressOptions, 'planned'>, isTTY = false) {
  const stream = new PassThrough();
  // cli-progress draws only on a stream that says it is a terminal.
  if (isTTY) Object.assign(stream, { isTTY: true, columns: 200, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const clock = new FakeClock();
  const progress = new ProgressSink({
    stream,
    terminal: { isTTY, color: false },
    source: { progress: () => ({ done: 0, errors: 1, p95Ms: 12, hitRate: 0.5 }) },
    lineIntervalMs: 1000,
    clock,
    ...options,
  });
  return { progress, clock, text: () => text };
}

describe('progress', () => {
  it('closed model: the plan\'s total, rate since start and ETA from it', async () => {
    const { progress, clock } = sink({ planned: new Map([['Ana', 10]]) });
    await progress.start();
    for (let i = 0; i < 4; i++) progress.write(result('Ana'));
    await clock.advance(2000);
    assert.equal(progress.progressLine(), 'progress: 4/10 requests (40%), 1 errors, 2.0/s, elapsed 0:02, ETA 0:03');
    await progress.stop();
  });

  it('open model: more arrivals than expected never show above 100 %; progress and ETA follow the schedule', async () => {
    // 639 arrivals expected, 677 arrived (a Poisson schedule): the total follows what arrived.
    const { progress, clock } = sink({ planned: new Map([['Ana', 639]]), scheduleMs: 60_000 });
    await progress.start();
    await clock.advance(45_000);
    for (let i = 0; i < 677; i++) progress.write(result('Ana'));
    assert.equal(progress.progressLine(), 'progress: 677/~677 requests (75%), 1 errors, 15.0/s, elapsed 0:45, ETA 0:15');
    await clock.advance(20_000);
    assert.equal(progress.progressLine(), 'progress: 677/~677 requests (100%), 1 errors, 10.4/s, elapsed 1:05, ETA 0:00');
    await progress.stop();
  });

  it('journeys: visits against the plan, requests (every step and attempt) apart', async () => {
    const { progress, clock } = sink({ planned: new Map([['Pat', 5]]), firstStep: new Map([['Pat', 'login']]) });
    await progress.start();
    for (const r of [result('Pat', 'login', 1), result('Pat', 'search', 1), result('Pat', 'search', 2), result('Pat', 'login', 1), result('Pat', 'search', 1)]) progress.write(r);
    await clock.advance(1000);
    assert.equal(progress.progressLine(), 'progress: 2/5 visits (40%), 5 requests, 1 errors, 2.0/s, elapsed 0:01, ETA 0:02');
    await progress.stop();
  });

  it('a resumed run: visits done before count towards the total, not towards this process\'s rate', async () => {
    const { progress, clock } = sink({ planned: new Map([['Ana', 10]]), alreadyDone: new Map([['Ana', 6]]) });
    await progress.start();
    progress.write(result('Ana'));
    await clock.advance(1000);
    assert.equal(progress.progressLine(), 'progress: 7/10 requests (70%), 1 errors, 1.0/s, elapsed 0:01, ETA 0:03');
    await progress.stop();
  });

  it('plain lines every interval, no carriage returns; the bars show elapsed, rate and ETA and never pass the total', async () => {
    const plain = sink({ planned: new Map([['Ana', 2]]) });
    await plain.progress.start();
    await plain.clock.advance(2000);
    await plain.progress.stop();
    assert.equal(plain.text(), 'progress: 0/2 requests (0%), 1 errors, 0.0/s, elapsed 0:01, ETA -\nprogress: 0/2 requests (0%), 1 errors, 0.0/s, elapsed 0:02, ETA -\n');

    const tty = sink({ planned: new Map([['Ana', 3]]) }, true);
    await tty.progress.start();
    for (let i = 0; i < 5; i++) tty.progress.write(result('Ana'));
    await tty.clock.advance(1000);
    await tty.progress.stop();
    const last = tty.text().split(/\r|\n/).filter((l) => l.includes('Ana')).at(-1)!;
    assert.match(last, /5\/5 requests \| 5\.0\/s \| 0:01 ETA 0:00/, JSON.stringify(last));
    assert.ok(!/\d+\/3 requests/.test(tty.text().split('Ana').slice(-1)[0]!), 'the total grew with what was done');
  });

  it('figures: done ≤ total whatever comes in; durations as m:ss', () => {
    for (const [done, planned] of [[0, 0], [5, 3], [3, 5]] as const) {
      const f = progressFigures(done, planned, 0, 1000);
      assert.ok(f.done <= f.total && f.percent <= 100, JSON.stringify(f));
    }
    assert.equal(fmtClock(3_723_000), '1:02:03');
    assert.equal(fmtClock(59_400), '0:59');
    assert.equal(fmtClock(null), '-');
  });
});
