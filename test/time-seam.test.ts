/**
 * Deadlines, the grace period, the snapshot throttle and worker flushing run on the Clock, so these
 * tests move fake time instead of waiting for real time to pass.
 */
import { test } from 'node:test';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { DeadlineSweeper, type Deadline } from '../src/engine/deadlines.js';
import type { EngineRecord, ResultRecord } from '../src/engine/records.js';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { RecordBatcher } from '../src/run/record-batcher.js';
import { SnapshotSink } from '../src/sinks/snapshots.js';
import { tempDir } from './helpers/cli.js';
import { FakeClock } from './helpers/fake-clock.js';
import { locationsCsv, writeProject } from './helpers/project.js';

function deadline(clock: FakeClock, totalMs: number, log: string[], signal?: AbortSignal): Deadline {
  return {
    phaseAt: Infinity,
    phaseError: () => new Error('phase'),
    totalAt: clock.now() + totalMs,
    totalError: () => new Error(`total ${totalMs}`),
    ...(signal ? { signal } : {}),
    expire: (reason) => log.push(`${clock.now()}: ${reason.message}`),
  };
}

test('deadlines: a request expires within one sweep (4 ms) of its deadline, on the clock; no sweep runs with nothing in flight', async () => {
  const clock = new FakeClock();
  const sweeper = new DeadlineSweeper(clock);
  const log: string[] = [];
  sweeper.add(deadline(clock, 100, log));
  await clock.advance(99);
  assert.deepEqual(log, []);
  await clock.advance(5);
  assert.deepEqual(log, ['100: total 100']);
  assert.equal(sweeper.active, 0);
  assert.equal(clock.pending, 0, 'the sweep stops when no request is in flight');

  const stop = new AbortController();
  sweeper.add(deadline(clock, 60_000, log, stop.signal));
  stop.abort();
  await clock.advance(4);
  assert.equal(log[1], '108: cut when the grace period after an interrupt ran out');
});

test('deadlines: requests ending out of order leave the others in the sweep, each expiring once, at its own deadline', async () => {
  const clock = new FakeClock();
  const sweeper = new DeadlineSweeper(clock);
  const log: string[] = [];
  // Slots are reused by swap-remove (deadlines.ts): ending the first, a middle and the last one must
  // leave exactly the others in flight.
  const all = [10, 20, 30, 40, 50, 60].map((ms) => deadline(clock, ms, log));
  for (const d of all) sweeper.add(d);
  sweeper.delete(all[0]!);
  sweeper.delete(all[3]!);
  sweeper.delete(all[5]!);
  sweeper.delete(all[3]!); // twice: nothing more
  assert.equal(sweeper.active, 3);
  await clock.advance(64);
  assert.deepEqual(log, ['20: total 20', '32: total 30', '52: total 50']);
  assert.equal(sweeper.active, 0);
  assert.equal(clock.pending, 0);
  // An expiry that ends another request in flight (a visit's next step failing it, say): that one is not expired too.
  const log2: string[] = [];
  const second = deadline(clock, 4, log2);
  const first = { ...deadline(clock, 4, log2), expire: (reason: Error) => (log2.push(`first: ${reason.message}`), sweeper.delete(second)) };
  sweeper.add(first);
  sweeper.add(second);
  await clock.advance(4);
  assert.deepEqual(log2, ['first: total 4']);
  assert.equal(sweeper.active, 0);
});

test('snapshots: the first write at once, then at most one per interval, and once more at the end', async () => {
  const clock = new FakeClock();
  const dir = await tempDir('troupe-snap-');
  let writes = 0;
  const sink = new SnapshotSink(dir, new Map([['Ana', 'ana']]), { snapshot: () => (writes++, new RunMetrics().personaSnapshot('Ana')) }, 500, clock);
  await sink.start();
  const record = { type: 'result', persona: 'Ana' } as EngineRecord;
  sink.write(record);
  await clock.advance(0);
  assert.equal(writes, 1);
  await clock.advance(100);
  sink.write(record);
  sink.write(record);
  await clock.advance(399);
  assert.equal(writes, 1, 'throttled until 500 ms after the last write');
  await clock.advance(1);
  assert.equal(writes, 2);
  sink.write(record);
  await sink.stop();
  assert.equal(writes, 3, 'stop writes what is pending');
  assert.equal(clock.pending, 0);
});

function result(id: string, step: string): ResultRecord {
  return { type: 'result', id, persona: 'p', location: 'l', iteration: 1, step, method: 'GET', url: '/', status: 200, ok: true, error: null, latencyMs: 1, ttfbMs: 1, bytes: 1, cache: 'unknown', startedAt: 0 };
}

test('worker batches: flushed flushMs after the first record, and a full batch never splits a visit', async () => {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const batcher = new RecordBatcher((records) => sent.push(records.map((r) => `${(r as ResultRecord).id}:${(r as ResultRecord).step}`)), clock, 2, 20);
  batcher.add(result('a', 'one'));
  await clock.advance(19);
  assert.deepEqual(sent, []);
  await clock.advance(1);
  assert.deepEqual(sent, [['a:one']]);
  batcher.add(result('b', 'one'));
  batcher.add(result('b', 'two'));
  batcher.add(result('b', 'three'));
  assert.deepEqual(sent.length, 1, 'the batch is full, but visit b goes on');
  batcher.add(result('c', 'one'));
  assert.deepEqual(sent[1], ['b:one', 'b:two', 'b:three']);
  batcher.flush();
  assert.deepEqual(sent[2], ['c:one']);
  assert.equal(clock.pending, 0);
});

test('grace: after the stop signal, a request still in flight is cut when the grace period ends on the clock', async (t) => {
  const arrived = new PassThrough({ objectMode: true });
  let cutAt: number | null = null;
  const server = http.createServer((req, res) => {
    req.resume();
    res.once('close', () => (cutAt ??= clock.now()));
    arrived.write(req.url);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const clock = new FakeClock(Date.now());
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const project = await writeProject({
    config: ['name: grace', `target: http://127.0.0.1:${port}`, 'locations: locations.csv', 'request: { path: "/{{location.route}}" }', 'concurrency: 1', 'out: out', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n' },
    locations: locationsCsv(2, (i) => `hang${i}`),
  });
  const stop = new AbortController();
  const run = executeRun({ inputs: await loadInputs({ cwd: project, overrides: {} }), progress: { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false }, clock, signal: stop.signal, graceMs: 5000 });
  await once(arrived, 'data');
  stop.abort();
  const startedAt = clock.now();
  const result = await clock.runUntil(run, 10);
  // The client's socket closes when the request is cut; the server sees it a few event-loop turns later.
  const waited = cutAt! - startedAt;
  t.diagnostic(`cut after ${waited} ms of fake time (grace 5000 ms)`);
  assert.ok(waited >= 5000 && waited <= 5100, `cut after ${waited} ms`);
  assert.equal(result.status, 'interrupted');
  assert.equal(result.summary.aborted, 1);
});
