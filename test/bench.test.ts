import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LatencyHistogram } from '../src/metrics/histogram.js';
import { buildReports } from '../src/reports/build.js';
import { executeBench } from '../src/bench/run.js';
import { COMPARE_DEFAULTS, compareSummaries, readSummary } from '../src/reports/compare.js';
import { selectOutputs } from '../src/sinks/registry.js';
import { onlyRunDir, runCli, startCli, tempDir, whileRunning } from './helpers/cli.js';
import { rebuildSummary } from '../src/run-dir/rebuild.js';
import { readManifest } from '../src/run-dir/json-files.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';

async function startServer(): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    // Every 10th request fails; cache status alternates.
    const i = n++;
    res.writeHead(i % 10 === 9 ? 503 : 200, { 'Content-Type': 'application/json', 'X-Cache': i % 2 ? 'HIT' : 'MISS' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api?x=1`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * A server that answers `{"ok":true}` and counts: `reached` resolves once it has answered `n` requests,
 * the signal a test acts on (no sleep). `cache(i)` is the i-th answer's X-Cache.
 */
async function countingServer(n: number, cache: (i: number) => string): Promise<{ url: string; answered(): number; reached: Promise<void>; close(): Promise<void> }> {
  let answered = 0;
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Cache': cache(answered) });
    res.end('{"ok":true}');
    if (++answered === n) done();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered: () => answered,
    reached,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('troupe bench writes a run directory that report, thresholds and compare understand', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const out = await tempDir('troupe-bench-');
  // --no-reports: report.pdf is the report tests'; what bench selects without the flag is asserted below.
  const r = await runCli(['bench', server.url, '-c', '4', '--amount', '400', '-o', join(out, 'a'), '--threshold', 'error_rate < 50%', '--threshold', 'error_rate < 5%', '--json', '--no-reports']);
  // Every 10th answer is a 503: error_rate is 10 % on any machine, so the second threshold fails, always.
  assert.equal(r.code, 1, r.stderr);
  const dir = await onlyRunDir(join(out, 'a'));
  const lines = (await readFile(join(dir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  console.log(`bench: ${lines.length} result lines, summary ${summary.global.requests} requests, p99 ${summary.global.latency.p99} ms, codes ${JSON.stringify(summary.global.statusCodes)}`);
  assert.ok(lines.length >= 400 && lines.length <= 404, `about --amount requests (${lines.length})`);
  assert.equal(summary.global.requests, lines.length);
  assert.ok(!(await readdir(dir)).includes('results.tape'), 'the tape is gone once results.ndjson is written');
  assert.deepEqual([...new Set(lines.map((l) => l.bytes))], [11], 'body bytes, without the headers');
  assert.deepEqual(lines.map((l) => l.id), lines.map((_, i) => `bench/${i + 1}`));
  assert.equal(summary.global.statusCodes['503'], summary.global.errorCodes.http_5xx);
  assert.ok(summary.global.cache.hit > 0 && summary.global.cache.miss > 0, 'cache status read from X-Cache');
  const h = new LatencyHistogram(3);
  for (const l of lines) h.record(l.latencyMs);
  assert.equal(summary.global.histograms.latency, h.encode(), 'the encoded histogram holds every response latency');
  assert.deepEqual(JSON.parse(r.stdout).thresholds.results.map((x: { passed: boolean }) => x.passed), [true, false]);
  assert.ok(!(await readdir(dir)).some((f) => f === 'csv' || f === 'report.pdf'), '--no-reports');
  // Without --no-reports the command selects csv and pdf, as `troupe run` does.
  assert.deepEqual(selectOutputs({ command: 'bench', progress: false, reports: true }).map((o) => o.name), ['ndjson', 'snapshots', 'csv', 'pdf']);

  // `troupe report` reads a bench run directory (in-process: the command is tested in reports*.test.ts).
  const rebuilt = await buildReports(dir, ['csv']);
  assert.deepEqual(rebuilt.failed, []);
  assert.ok((await readdir(join(dir, 'csv'))).includes('requests.csv'));
  await assertRunDirValid(dir);
  // Two workers, in-process: what `troupe bench URL -c 4 --workers 2 --amount 400 --no-reports` calls.
  const w = await executeBench({
    bench: { url: server.url, connections: 4, durationS: 10, amount: 400, method: 'GET', headers: {}, pipelining: 1, timeoutS: 10 },
    workers: 2,
    outDir: join(out, 'b'),
    name: 'bench',
    thresholds: [],
    outputs: selectOutputs({ command: 'bench', progress: false, reports: false }),
  });
  assert.equal(w.status, 'complete');
  const dirB = await onlyRunDir(join(out, 'b'));
  assert.equal(dirB, w.runDir);
  const linesB = (await readFile(join(dirB, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(new Set(linesB.map((l) => l.id)).size, linesB.length, 'ids unique across bench workers');
  assert.ok(linesB.length >= 400 && linesB.length <= 408, `${linesB.length}`);
  // `troupe compare A B --min-samples 100000` (exit 0 when it passes; the command is spawned in ci-gate.test.ts).
  const cmp = compareSummaries(await readSummary(dir, 'baseline'), await readSummary(dirB, 'current'), { ...COMPARE_DEFAULTS, minSamples: 100000 });
  assert.equal(cmp.passed, true, JSON.stringify(cmp.rows.filter((row) => row.regressed)));
});

test('kill -9 during troupe bench: the tape holds what completed, report and the rebuilt summary read it', async (t) => {
  // troupe is killed once 3,000 answers went out.
  const server = await countingServer(3000, (i) => (i % 4 ? 'HIT' : 'MISS'));
  t.after(() => server.close());
  const out = await tempDir('troupe-bench-kill-');
  // Bounded: 30 s at most, and killed long before.
  const cli = startCli(['bench', `${server.url}/k`, '-c', '4', '-d', '30s', '-o', out, '--no-reports'], { timeoutMs: 60_000 });
  await whileRunning(cli, server.reached, 'the server answered 3,000 requests');
  cli.child.kill('SIGKILL');
  const r = await cli.done;
  assert.equal(r.signal, 'SIGKILL');
  const dir = await onlyRunDir(out);
  const files = await readdir(dir);
  assert.ok(files.includes('results.tape') && !files.includes('summary.json'), files.join(' '));
  const sent = server.answered();
  const manifest = (await readManifest(dir))!;
  const summary = await rebuildSummary(dir, manifest);
  // What reached the tape: every response up to its last 10 ms block, at most the 4 in flight never answered.
  assert.ok(summary.global.requests >= 1000 && summary.global.requests <= sent, `${summary.global.requests} of ${sent}`);
  assert.equal(summary.global.cache.hit + summary.global.cache.miss, summary.global.requests);
  assert.equal(summary.concurrency, 4, 'the bench connections, from run.json');
  const report = await runCli(['report', dir, '--format', 'csv']);
  assert.equal(report.code, 0, report.stderr);
  const csv = (await readFile(join(dir, 'csv', 'requests.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv.length - 1, summary.global.requests, 'requests.csv has a row per response on the tape');
});

test('a bench URL with userinfo is redacted in the results, the summary and run.json', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const out = await tempDir('troupe-bench-userinfo-');
  const url = server.url.replace('http://', 'http://alice:s3cr3tpw@');
  const result = await executeBench({
    bench: { url, connections: 2, durationS: 10, amount: 30, method: 'GET', headers: {}, pipelining: 1, timeoutS: 10 },
    workers: 1,
    outDir: out,
    name: 'bench',
    thresholds: [],
    outputs: selectOutputs({ command: 'bench', progress: false, reports: false }),
  });
  assert.equal(result.status, 'complete');
  const results = await readFile(join(result.runDir, 'results.ndjson'), 'utf8');
  assert.equal(results.trim().split('\n').length, result.summary.global.requests);
  for (const file of ['results.ndjson', 'run.json', 'summary.json']) {
    const text = await readFile(join(result.runDir, file), 'utf8');
    assert.ok(!text.includes('s3cr3tpw') && !text.includes('alice'), `${file} holds the userinfo`);
  }
  assert.ok(results.includes('"url":"http://redacted:redacted@127.0.0.1:'), results.slice(0, 300));
});

test('Ctrl-C twice during troupe bench: exit 130 at once, the results on the tape, no temp file left', async (t) => {
  const server = await countingServer(2000, () => 'HIT');
  t.after(() => server.close());
  const out = await tempDir('troupe-bench-sigint-');
  const cli = startCli(['bench', `${server.url}/s`, '-c', '4', '-d', '30s', '-o', out, '--no-reports'], { timeoutMs: 60_000 });
  await whileRunning(cli, server.reached, 'the server answered 2,000 requests');
  cli.child.kill('SIGINT');
  // The second signal once the first was taken (two sent at once arrive as one): autocannon winds down
  // for up to a second after the first, so this one lands before the results are written.
  let seen = '';
  const stopping = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      // Chunks can split the line: look at all that came so far.
      seen += String(d);
      if (!seen.includes('troupe: stopping:')) return;
      cli.child.stderr.off('data', onData);
      resolve();
    };
    cli.child.stderr.on('data', onData);
  });
  await whileRunning(cli, stopping, "troupe printed 'troupe: stopping:'");
  cli.child.kill('SIGINT');
  const r = await cli.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /exiting now; the results so far are in the run directory's results\.tape/);
  const dir = await onlyRunDir(out);
  const files = await readdir(dir);
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], files.join(' '));
  assert.ok(files.includes('results.tape') || files.includes('results.ndjson'), files.join(' '));
  const report = await runCli(['report', dir, '--format', 'csv']);
  assert.equal(report.code, 0, report.stderr);
  const rows = (await readFile(join(dir, 'csv', 'requests.csv'), 'utf8')).trim().split('\n').length - 1;
  assert.ok(rows >= 1000 && rows <= server.answered(), `${rows} of ${server.answered()}`);
});
