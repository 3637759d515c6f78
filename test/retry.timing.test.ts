/** Retries (backoff, jitter, Retry-After, reported apart) and abortOn (parsing, the sliding window, a real early stop). */
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortMonitor } from '../src/engine/abort-on.js';
import type { ResultRecord } from '../src/engine/records.js';
import { isRetryable, parseRetryAfter, retryDelay } from '../src/engine/retry.js';
import { parseAbortRule, type RetryPolicy } from '../src/inputs/load.js';
import { ThresholdSyntaxError } from '../src/inputs/threshold-parse.js';
import type { RunManifest, RunSummary } from '../src/run-dir/types.js';
import { onlyRunDir, runCli, tempDir } from './helpers/cli.js';
import { FakeClock } from './helpers/fake-clock.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const POLICY: RetryPolicy = { attempts: 4, backoffMs: 200, maxBackoffMs: 1000, statuses: [429, 503], codes: ['conn_reset'] };

test('backoff doubles with jitter up to maxBackoff; Retry-After is honoured (capped)', () => {
  const none = { status: 500, headers: {} };
  assert.deepEqual([2, 3, 4, 5].map((n) => retryDelay(POLICY, n, none, () => 0, 0).ms), [100, 200, 400, 500]);
  assert.deepEqual([2, 3, 4, 5].map((n) => retryDelay(POLICY, n, none, () => 0.999999, 0).ms.toFixed(0)), ['200', '400', '800', '1000']);
  assert.deepEqual(retryDelay(POLICY, 2, { status: 429, headers: { 'retry-after': '1' } }, () => 0, 0), { ms: 1000, retryAfter: true });
  assert.deepEqual(retryDelay(POLICY, 2, { status: 503, headers: { 'retry-after': '30' } }, () => 0, 0), { ms: 1000, retryAfter: true });
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
  assert.equal(parseRetryAfter('soon', 0), null);
  assert.equal(isRetryable(POLICY, { status: 429, error: 'http_4xx' }), true);
  assert.equal(isRetryable(POLICY, { status: 500, error: 'http_5xx' }), false);
  assert.equal(isRetryable(POLICY, { status: null, error: 'conn_reset' }), true);
  assert.equal(isRetryable(POLICY, { status: 200, error: null }), false);
});

test('abortOn rules parse, and bad ones are refused', () => {
  assert.deepEqual(parseAbortRule('error_rate > 50% over 10s'), { expression: 'error_rate > 50% over 10s', metric: 'error_rate', operator: '>', value: 0.5, windowMs: 10_000, minRequests: 20 });
  assert.equal(parseAbortRule('p95 >= 2s over 1m')!.value, 2000);
  assert.equal(parseAbortRule('p99 > 250ms over 5s')!.value, 250);
  // 'p99 > 250 over 5s': the one duration rule, a latency needs its unit.
  // The part before `over` is the threshold grammar: the same reasons, with the column under the whole rule.
  const refused: Array<[string, RegExp]> = [
    ['error_rate > 150% over 10s', /^a rate cannot be above 100%\n  error_rate > 150% over 10s\n {15}\^$/],
    ['errors > 5% over 10s', /^unknown metric "errors"; expected one of: /],
    ['p95 > 2s', /^expected "over WINDOW" at the end, e\.g\. a rule like/],
    ['error_rate > 5s over 10s', /^unit "s" does not fit for error_rate; expected a percentage/],
    ['p99 > 250 over 5s', /^250: add a unit, e\.g\. 250ms or 250s/],
    ['p95 > 2s over soon', /^expected a window such as 10s or 1m after "over", got "soon"/],
    ['persona:a p95 > 2s over 10s', /^abortOn judges the whole run; a scope/],
    ['rps < 5 over 10s', /^abortOn watches error_rate, p50, p75, p90, p95, p99; got rps/],
    ['p95 == 2s over 10s', /^abortOn compares with > >= < <=; got ==/],
  ];
  for (const [bad, reason] of refused) assert.throws(() => parseAbortRule(bad), (err: unknown) => err instanceof ThresholdSyntaxError && reason.test(err.message), bad);
});

function result(ok: boolean, latencyMs = 5): ResultRecord {
  return { type: 'result', id: 'p/l/1', persona: 'p', location: 'l', iteration: 1, step: 'request', method: 'GET', url: '/', status: ok ? 200 : 500, ok, error: ok ? null : 'http_5xx', latencyMs, ttfbMs: latencyMs, bytes: 1, cache: 'unknown', startedAt: 0 };
}

test('the abortOn monitor judges the last window only, after minRequests', async () => {
  const clock = new FakeClock();
  const monitor = new AbortMonitor(parseAbortRule('error_rate > 50% over 10s')!, clock);
  // 10 s of 90 % errors...
  for (let i = 0; i < 100; i++) {
    await clock.advance(100);
    monitor.observe(result(i % 10 === 0));
    if (i === 10) assert.equal(monitor.signal.aborted, false, 'fewer than 20 results: not judged yet');
  }
  assert.equal(monitor.signal.aborted, true);
  assert.match(monitor.verdict!.message, /error_rate was 9\d\.\d% \(\d+\/\d+\) in the last 10 s/);
  // ...while a window whose errors are older than 10 s is fine.
  const calm = new AbortMonitor(parseAbortRule('error_rate > 50% over 10s')!, clock);
  for (let i = 0; i < 30; i++) calm.observe(result(false));
  await clock.advance(11_000);
  for (let i = 0; i < 150; i++) {
    await clock.advance(10);
    calm.observe(result(true));
  }
  assert.equal(calm.signal.aborted, false);
  const slow = new AbortMonitor(parseAbortRule('p95 > 100ms over 5s')!, clock);
  for (let i = 0; i < 40; i++) slow.observe(result(true, 300));
  await clock.advance(200);
  slow.observe(result(true, 300));
  assert.equal(slow.signal.aborted, true);
});

/** First request to each path: 429 with Retry-After: 1; later ones: 200. /reset always resets. */
async function startLimiter(): Promise<{ url: string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    if (req.url!.startsWith('/reset')) return req.socket.resetAndDestroy();
    if (req.url!.startsWith('/fail')) return void res.writeHead(500, { 'content-length': 2 }).end('no');
    if (n === 1) return void res.writeHead(429, { 'retry-after': '1', 'content-length': 4 }).end('slow');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function runProject(target: string, extra: string, locations: string) {
  const dir = await writeProject({
    config: `name: retry\ntarget: ${target}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/{{location.route}}" }\n${extra}\n`,
    personas: { 'p.yaml': 'name: Pat\n' },
    locations,
  });
  const out = await tempDir('troupe-retry-');
  const run = await runCli(['run', '--no-reports', '--out', out, '--no-progress'], { cwd: dir, timeoutMs: 60_000 });
  const runDir = await onlyRunDir(out);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const manifest = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as RunManifest;
  const results = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
  return { run, summary, manifest, results };
}

// The three runs side by side: each is a spawned CLI that mostly waits (a Retry-After second, a
// limiter), so together they take the longest one's time; the Retry-After gap keeps its range
// (0.95-2.5 s), which two CLI start-ups beside it stay well inside.
describe('retries and abortOn in a run', { concurrency: true }, () => {
  it('a 429 with Retry-After: 1 is retried about 1 s later and reported as a retry', async (t) => {
    const server = await startLimiter();
    t.after(() => server.close());
    const { run, summary, results } = await runProject(
      server.url,
      'retries: { attempts: 3, backoff: 50ms, maxBackoff: 5s, on: [429, 503, conn_reset] }',
      'id,route\nslow,limited\nreset,reset\n',
    );
    assert.equal(run.code, 0, run.stderr);
    const limited = results.filter((r) => r.location === 'slow');
    assert.deepEqual(limited.map((r) => [r.attempt, r.status]), [[1, 429], [2, 200]]);
    const gap = limited[1]!.startedAt - (limited[0]!.startedAt + limited[0]!.latencyMs);
    console.log(`retry after Retry-After: 1 waited ${gap.toFixed(0)} ms; conn_reset attempts ${results.filter((r) => r.location === 'reset').length}`);
    assert.ok(gap >= 950 && gap < 2500, `waited ${gap} ms`);
    // conn_reset: retried up to the cap of 3 attempts.
    assert.deepEqual(results.filter((r) => r.location === 'reset').map((r) => [r.attempt, r.error]), [[1, 'conn_reset'], [2, 'conn_reset'], [3, 'conn_reset']]);
    assert.equal(server.hits.get('/reset'), 3);
    // First attempts are the run's figures; retries are apart.
    assert.equal(summary.global.requests, 2);
    assert.deepEqual(summary.global.statusCodes, { '429': 1 });
    assert.equal(summary.retries!.requests, 3);
    assert.equal(summary.retries!.ok, 1);
    assert.deepEqual(summary.retries!.byPersona, { Pat: 3 });
    assert.match(run.stderr, /retries: 3 retried attempt\(s\), 1 succeeded/);
  });

  it('retries are off by default', async (t) => {
    const server = await startLimiter();
    t.after(() => server.close());
    const { results, summary } = await runProject(server.url, '', 'id,route\nslow,limited\n');
    assert.equal(results.length, 1);
    assert.equal(results[0]!.attempt, undefined);
    assert.equal(summary.retries, undefined);
  });

  it('abortOn stops the run early and gracefully, with the reason in run.json and summary.json (exit 1)', async (t) => {
    const server = await startLimiter();
    t.after(() => server.close());
    const { run, summary, manifest } = await runProject(
      server.url,
      'abortOn: "error_rate > 50% over 10s"',
      locationsCsv(2000, (i) => `fail-${i}`),
    );
    console.log(`abortOn: exit ${run.code}, ${summary.completed} of ${summary.planned} done; ${summary.abortedBy?.message}`);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(summary.status, 'interrupted');
    assert.ok(summary.completed < 2000 && summary.completed >= 20, `${summary.completed}`);
    assert.equal(summary.abortedBy!.rule, 'error_rate > 50% over 10s');
    assert.match(manifest.reason!, /stopped early by abortOn "error_rate > 50% over 10s": error_rate was 100\.0%/);
    assert.match(run.stderr, /the run stopped early/);
    assert.ok(summary.global.requests === summary.completed, 'everything started was written');
  });
});
