/**
 * Every CSV troupe writes goes through the one encoder with the formula-injection guard: a persona or
 * location named like a spreadsheet formula is written as text, not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityCsv } from '../src/bench/capacity.js';
import { compareSummaries, COMPARE_DEFAULTS, renderComparisonCsv } from '../src/reports/compare.js';
import { encodeRow } from '../src/reports/csv/encode.js';
import { summaryOf } from './helpers/summaries.js';

const FORMULA = `=cmd|' /C calc'!A0`;
const flat = (ms: number) => () => ms;

test('compare.csv: a persona named like a formula is neutralised with a leading quote', () => {
  const baseline = summaryOf([{ persona: FORMULA, n: 50, latency: flat(100) }, { persona: '+SUM(A1)', n: 50, latency: flat(100) }]);
  const current = summaryOf([{ persona: FORMULA, n: 50, latency: flat(120) }, { persona: '+SUM(A1)', n: 50, latency: flat(100) }]);
  const csv = renderComparisonCsv(compareSummaries(baseline, current, COMPARE_DEFAULTS));
  const lines = csv.split('\r\n');
  assert.equal(lines.at(-1), '', 'CRLF after every record');
  const scopes = new Set(lines.slice(1, -1).map((l) => l.split(',')[0]));
  assert.ok(scopes.has(`persona:${FORMULA}`) && scopes.has('persona:+SUM(A1)'), [...scopes].join(' | '));
  // A scope name starts with `persona:`, so the first cell is already safe; the guard is for any cell that starts a formula.
  assert.equal(encodeRow([FORMULA, -1, true, null]), `'${FORMULA},-1,true,\r\n`);
  for (const line of lines.slice(1, -1)) assert.doesNotMatch(line, /(^|,)[=+@]/, `no cell starts a formula: ${line}`);
});

test('capacity.csv: written by the shared encoder (CRLF, numbers as numbers, missing values empty)', () => {
  const levels = [
    { level: 1, requests: 10, errors: 0, errorRate: 0, rps: 100.12345, p50: 1.23456, p95: 2, p99: null },
    { level: 2, requests: 20, errors: 1, errorRate: 0.05, rps: 180, p50: 1.5, p95: 3, p99: 4 },
  ];
  const csv = capacityCsv('connections', levels, { verdict: 'knee', index: 1, level: 2, reason: 'test' } as never);
  assert.equal(csv, 'connections,requests,errors,error_rate,rps,p50_ms,p95_ms,p99_ms,knee\r\n1,10,0,0,100.123,1.235,2,,0\r\n2,20,1,0.05,180,1.5,3,4,1\r\n');
});
