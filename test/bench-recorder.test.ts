import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchRecord, benchResultLine, CacheMemo, cacheFromRawHeaders, uniformSnapshot } from '../src/bench/recorder.js';
import type { ResultRecord } from '../src/engine/records.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { resultLine } from '../src/run-dir/results-writer.js';

const response = (n: number, status: number, latencyMs: number, cache: ResultRecord['cache'], path = '/health?x="1"'): ResultRecord => {
  const r = benchRecord(`http://127.0.0.1:8080${path}`, path, 'GET');
  Object.assign(r, { id: `bench/${n}`, iteration: n, status, ok: status < 400, error: status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : null, latencyMs, bytes: 11 * n, cache, startedAt: 1_760_000_000_000 + n });
  return r;
};

test('bench lines are the lines resultLine writes, for responses, errors and odd values', () => {
  const records: ResultRecord[] = [
    response(1, 200, 1.234, 'hit'),
    response(2, 503, 0.5, 'miss'),
    response(3, 404, 1234567.891, 'unknown', '/a\\b\u2028"c"'),
    response(4, 200, 0, 'stale'),
    { ...response(6, 200, 3, 'hit'), redirects: 1 },
    { ...response(5, 200, 2, 'hit'), status: null, ok: false, error: 'timeout_total', message: 'timed out "x"', protocol: undefined } as ResultRecord,
  ];
  delete (records[4] as Partial<ResultRecord>).protocol;
  for (const r of records) {
    const line = benchResultLine(r);
    assert.equal(line, resultLine(r));
    assert.deepEqual(JSON.parse(line), JSON.parse(resultLine(r)));
  }
});

test('the cache memo answers as the classifier does, Date set aside, repeated headers kept', () => {
  const memo = new CacheMemo();
  const sets: string[][] = [
    ['Date', 'Mon, 01 Dec 2026 10:00:00 GMT', 'X-Cache', 'HIT'],
    ['Date', 'Mon, 01 Dec 2026 10:00:01 GMT', 'X-Cache', 'HIT'],
    ['X-Cache', 'MISS', 'X-Cache', 'HIT'],
    ['Age', '12'],
    ['Age', '0'],
    ['Cache-Control', 'no-store'],
    ['Content-Type', 'application/json'],
    ['CF-Cache-Status', 'EXPIRED'],
  ];
  for (let round = 0; round < 2; round++) for (const raw of sets) assert.equal(memo.status(raw), cacheFromRawHeaders(raw), raw.join(' '));
});

test('addUniform + mirrorGlobal give the summary add gives, and the live snapshot its numbers', () => {
  const full = new RunMetrics();
  const uniform = new RunMetrics();
  for (let n = 1; n <= 300; n++) {
    const r = response(n, n % 10 === 0 ? 503 : 200, (n % 37) + 0.25, n % 3 === 0 ? 'miss' : 'hit', '/p');
    full.add(r);
    uniform.addUniform(r);
  }
  const snapshot = uniformSnapshot(uniform, 'bench', '/p');
  uniform.mirrorGlobal('bench', '/p', 'request');
  assert.deepEqual(uniform.toSummary(), full.toSummary());
  const expected = full.personaSnapshot('bench');
  // The location's percentiles come from the global histogram (3 digits), not the pair's lighter one.
  const { p50, p95, ...counts } = snapshot.locations['/p']!;
  const { p50: e50, p95: e95, ...expectedCounts } = expected.locations['/p']!;
  assert.deepEqual(counts, expectedCounts);
  assert.ok(Math.abs(p50! - e50!) / e50! < 0.01 && Math.abs(p95! - e95!) / e95! < 0.01, `${p50}/${e50} ${p95}/${e95}`);
  assert.deepEqual({ ...snapshot, locations: {} }, { ...expected, locations: {} });
});
