/**
 * Must-show 4 of issue 11: a run whose header check fails on half the responses (the realistic API's
 * /cdn/products/ID answers X-Cache MISS, then HIT, per id) prints the checks table with 50 % and exits 1
 * on `checks >= 99%`; --verbose prints each failed check; summary.json and the PDF have the figures.
 * One CLI spawn: the console table and the exit code are the subject.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '../src/run-dir/types.js';
import { onlyRunDir, runCli, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { pdfPages } from './fixtures/reports/read.js';
import { startRealisticApi } from './helpers/realistic-api.js';

const LOCATIONS = 5;
const PERSONA = `name: Shopper
journey:
  - name: product
    request: { path: "/cdn/products/{{location.id}}" }
    expect: [{ status: 2xx }, { header: X-Cache, equals: HIT }, { header: cache-control, matches: "max-age=\\\\d+" }]
    onFail: continue
  - name: private
    request: { path: "/cdn/products/{{location.id}}", query: { private: "1" } }
    expect: [{ status: 200-299 }, { header: x-cache, exists: false }]
`;

test('half the header checks fail: the console shows 50 %, --verbose each failure, exit 1 on checks >= 99%; the PDF has the tables', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const dir = await writeProject({ config: `name: cdn\ntarget: ${api.url}\npersonas: personas\nlocations: locations.csv\nconcurrency: 3\niterations: 2\n`, personas: { 'shopper.yaml': PERSONA }, locations: `id\n${Array.from({ length: LOCATIONS }, (_, i) => `p${i + 1}`).join('\n')}\n` });
  const out = await tempDir('checks-visible-out-');

  const started = performance.now();
  const result = await runCli(['run', '--out', out, '--verbose', '--threshold', 'checks >= 99%'], { cwd: dir, timeoutMs: 60_000 });
  console.log(`troupe run took ${Math.round(performance.now() - started)} ms`);
  const shown = result.stderr;
  console.log(shown);
  assert.equal(result.code, 1, shown);
  assert.equal(api.stats.cdn.misses, LOCATIONS);
  assert.equal(api.stats.cdn.hits, LOCATIONS);

  // The table goes to stderr (stdout stays clean for --json).
  // The persona table no longer reads as a clean run: `http ok` beside the checks' pass rate.
  assert.match(shown, /persona\s+requests\s+http ok\s+checks\s+p50/);
  assert.match(shown, /0 request errors, 5 of 50 checks failed/);
  assert.doesNotMatch(shown, /100\.0% success/);
  // The checks table: worst first, with 50 % and the first failure's message.
  const row = shown.split('\n').find((l) => l.startsWith('product ') && l.includes('header x-cache equals "HIT"'));
  assert.ok(row, shown);
  assert.match(row, /^product\s+header x-cache equals "HIT"\s+5\s+5\s+50\.0%\s+got "MISS"$/);
  assert.match(shown, /checks: 45 passed, 5 failed \(90\.0% passed\)/);
  assert.match(shown, /^private\s+header x-cache absent\s+10\s+0\s+100\.0%$/m);
  // The steps table: per step requests, errors, percentiles and hit rate (the private step has no cache status).
  assert.match(shown, /step\s+requests\s+errors\s+p50\s+p95\s+p99\s+hit rate/);
  assert.match(shown, /^product\s+10\s+0\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+50\.0%$/m);
  assert.match(shown, /^private\s+10\s+0\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+-$/m);
  // --verbose: one stderr line per failed check.
  const failedLines = shown.split('\n').filter((l) => l.startsWith('troupe: check failed '));
  assert.equal(failedLines.length, 5, shown);
  assert.match(failedLines[0]!, /^troupe: check failed shopper\/p\d\/\d step product: header x-cache equals "HIT": got "MISS"$/);
  assert.match(shown, /checks >= 99%/);

  const runDir = await onlyRunDir(out);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  assert.deepEqual(summary.checks!.steps['product']!['header x-cache equals "HIT"'], { passed: 5, failed: 5, firstFailure: 'got "MISS"' });
  assert.deepEqual(summary.checks!.steps['private']!['status 200-299'], { passed: 10, failed: 0 });
  const verdict = summary.thresholds!.results[0]!;
  assert.equal(verdict.passed, false);
  assert.equal(verdict.measured, 0.9);

  const text = (await pdfPages(join(runDir, 'report.pdf'))).join('\n');
  for (const expected of ['Checks', 'First failure', 'header x-cache equals "HIT"', 'got "MISS"', '50.0%', 'Journey steps', 'Slowest locations by step', 'Step × location pairs by p95 latency']) {
    assert.ok(text.includes(expected), `the PDF has ${JSON.stringify(expected)}`);
  }
  assert.doesNotMatch(text, /Slowest locations\n/);
});
