import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberText, resultLine } from '../src/run-dir/results-writer.js';
import type { ResultRecord } from '../src/engine/records.js';

/** What resultLine wrote before it was built by hand: the record serialised without `type`. */
function serialised(record: ResultRecord): string {
  const { type: _type, ...line } = record;
  return `${JSON.stringify(line)}\n`;
}

/** A deterministic sequence (a test must not depend on Math.random). */
function* lcg(seed: number, count: number): Generator<number> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x / 2 ** 31;
  }
}

test('a latency rounded to whole microseconds is written as String writes it: every value to 2,000 s, a sample to 11.5 days', () => {
  // The engine's rounding (journey.ts round3): Math.round(ms * 1000) / 1000.
  for (let us = 0; us <= 2_000_000; us++) {
    const ms = us / 1000;
    if (numberText(ms) !== String(ms)) assert.fail(`${us} µs: ${numberText(ms)} ≠ ${String(ms)}`);
  }
  let checked = 0;
  for (const r of lcg(7, 300_000)) {
    const us = Math.floor(r * 1e12);
    const ms = Math.round((us / 1000) * 1000) / 1000;
    if (numberText(ms) !== String(ms)) assert.fail(`${us} µs: ${numberText(ms)} ≠ ${String(ms)}`);
    checked++;
  }
  assert.equal(checked, 300_000);
});

test('any other number is written as JSON writes it', () => {
  const values = [0, -0, 1, -1, 42, 1796155605365, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-7, 0.1 + 0.2, -6.74, 1 / 3, 5e-324, Number.MAX_VALUE, 1e12 / 1000 + 0.0005, 1e9 + 0.001, 1e10 + 0.001, NaN, Infinity, -Infinity];
  for (const r of lcg(11, 2000)) values.push(r * 1e6, -r * 1000, Math.round(r * 1e9) / 1e6);
  for (const n of values) assert.equal(numberText(n), JSON.stringify(n), String(n));
});

test('resultLine is JSON.stringify of the record without its type, whatever the shape', () => {
  const base: ResultRecord = {
    type: 'result',
    id: 'bench/local/1',
    persona: 'bench',
    location: 'local',
    iteration: 1,
    step: 'request',
    method: 'GET',
    url: 'http://127.0.0.1:32815/',
    status: 200,
    ok: true,
    error: null,
    latencyMs: 6.74,
    ttfbMs: 6.67,
    bytes: 11,
    protocol: 'http/1.1',
    cache: 'hit',
    startedAt: 1796155605365,
  };
  const records: ResultRecord[] = [
    base,
    { ...base, id: 'bench/local/2', latencyMs: 0, ttfbMs: null, bytes: 0 },
    { ...base, status: null, ok: false, error: 'timeout_headers', message: 'headers timeout after 10000 ms', protocol: undefined },
    { ...base, message: undefined, decodedBytes: 120, redirects: 2, scheduledAt: 1796155605364.123, responseTimeMs: 7.5 },
    { ...base, attempt: 2, checks: [{ name: 'status 200', ok: true }, { name: 'json "a"', ok: false, message: 'got "b"\n' }] },
    { ...base, harnessCache: 'coalesced', persona: 'Anne "the tester"', location: 'Zürich\\Nord', step: 'log\tin', url: 'http://x/?q=🙂&r=\u2028' },
    { ...base, persona: 'lone \ud800 surrogate', location: '\u0000\u001f', method: '' },
    // A template failure's key order: message before latencyMs.
    { type: 'result', id: 'p/l/1', persona: 'p', location: 'l', iteration: 1, step: 'request', method: '', url: '', status: null, ok: false, error: 'template', message: 'no {{x}}', latencyMs: 0, ttfbMs: null, bytes: 0, cache: 'unknown', startedAt: 1 } as ResultRecord,
    // `type` elsewhere than first, a key that is not a record's.
    { id: 'x', type: 'result', extra: { nested: [1, 'two', null] } } as unknown as ResultRecord,
    { type: 'result' } as ResultRecord,
  ];
  for (const r of lcg(3, 500)) records.push({ ...base, id: `bench/local/${Math.floor(r * 1e6)}`, latencyMs: Math.round(r * 1e7) / 1000, ttfbMs: Math.round(r * 9e6) / 1000, startedAt: 1796155605365 + Math.floor(r * 1e5) });
  // Twice: the second pass meets the strings cached by the first.
  for (let pass = 0; pass < 2; pass++) for (const record of records) assert.equal(resultLine(record), serialised(record));
});
