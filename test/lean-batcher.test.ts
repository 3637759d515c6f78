import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheStatus, EngineRecord, ResultRecord } from '../src/engine/records.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { resultLine } from '../src/run-dir/results-writer.js';
import { LeanBatcher, type LeanBatch } from '../src/run/lean-batcher.js';
import { FakeClock } from './helpers/fake-clock.js';

const START = Date.UTC(2026, 0, 1);

function result(i: number, persona: string, extra: Partial<ResultRecord> = {}): ResultRecord {
  const cache: CacheStatus = i % 3 === 0 ? 'miss' : 'hit';
  return {
    type: 'result', id: `${persona}/l${i % 4}/${Math.floor(i / 2)}`, persona, location: `l${i % 4}`, iteration: Math.floor(i / 2), step: 'request', method: 'GET', url: '/',
    status: i % 7 === 0 ? 500 : 200, ok: i % 7 !== 0, error: i % 7 === 0 ? 'http_5xx' : null, latencyMs: 1 + (i % 13) * 0.37, ttfbMs: 0.5, bytes: 11, cache, startedAt: START + i * 3, ...extra,
  };
}

test('a worker\'s batches carry its lines and metrics; merged, they equal the metrics of every record seen in one thread', () => {
  const clock = new FakeClock(START);
  const batches: LeanBatch[] = [];
  const lean = new LeanBatcher((b) => batches.push(b), clock, 5, 10, 250, START);
  const direct = new RunMetrics();
  direct.startAt(START);
  const records: EngineRecord[] = [{ type: 'persona-start', persona: 'A', planned: 40, at: START }];
  for (let i = 0; i < 40; i++) records.push(result(i, i < 20 ? 'A' : 'B'));
  records.splice(21, 0, { type: 'persona-end', persona: 'A', at: START + 60 });
  for (const r of records) {
    lean.add(r);
    if (r.type === 'result') direct.add(r);
  }
  lean.flush(true);

  const lines = batches.map((b) => b.lines).join('');
  assert.equal(lines, records.filter((r): r is ResultRecord => r.type === 'result').map(resultLine).join(''), 'every line, in order, as the main thread would write it');
  assert.equal(batches.reduce((n, b) => n + b.count, 0), 40);
  assert.ok(batches.every((b) => b.count <= 6), 'batches stay near their size');
  assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.type)), ['persona-start', 'persona-end'], 'the other records, in order');
  const endBatch = batches.find((b) => b.records.some((r) => r.type === 'persona-end'))!;
  assert.ok(endBatch.metrics, 'the batch with a persona\'s end carries the metrics its snapshot needs');
  assert.ok(batches.at(-1)!.metrics, 'the final batch carries the rest');

  const merged = new RunMetrics();
  merged.startAt(START);
  for (const b of batches) if (b.metrics) merged.merge(RunMetrics.fromSummary(b.metrics));
  assert.deepEqual(merged.toSummary(), direct.toSummary(), 'exact: counts, encoded histograms, warm-up curve');
  assert.deepEqual(merged.personaSnapshot('A'), direct.personaSnapshot('A'), 'persona × location figures too');
  assert.deepEqual(merged.personaSnapshot('B'), direct.personaSnapshot('B'));
});

test('a full batch is not split inside a visit, and spans cover the batch\'s results', () => {
  const clock = new FakeClock(START);
  const batches: LeanBatch[] = [];
  const lean = new LeanBatcher((b) => batches.push(b), clock, 2, 10, 250, START);
  // One visit of three steps: the batch of size 2 waits for its third line.
  for (const step of ['a', 'b', 'c']) lean.add(result(1, 'A', { id: 'A/l1/0', step, startedAt: START + (step === 'c' ? 50 : 10) }));
  lean.add(result(2, 'A', { id: 'A/l2/1', startedAt: START + 5 }));
  lean.flush(true);
  assert.deepEqual(batches.map((b) => b.count), [3, 1]);
  assert.equal(batches[0]!.firstStart, START + 10);
  assert.equal(batches[0]!.lastEnd, START + 50 + result(1, 'A').latencyMs);
  assert.deepEqual(batches[0]!.personas, ['A']);
});

test('lines wait at most flushMs; metrics ride along at most every metricsMs', async () => {
  const clock = new FakeClock(START);
  const batches: LeanBatch[] = [];
  const lean = new LeanBatcher((b) => batches.push(b), clock, 100, 10, 250, START);
  lean.add(result(1, 'A'));
  await clock.advance(10);
  assert.equal(batches.length, 1, 'flushed by time');
  assert.equal(batches[0]!.metrics, undefined, 'metrics not due yet');
  await clock.advance(250);
  lean.add(result(2, 'A'));
  await clock.advance(10);
  assert.equal(batches.length, 2);
  assert.ok(batches[1]!.metrics, 'due after 250 ms');
  assert.equal(batches[1]!.metrics!.global.requests, 2, 'everything since the last delta');
});
