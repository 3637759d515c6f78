import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { LatencyHistogram } from '../src/metrics/histogram.js';
import { onlyRunDir, REPO_ROOT, runCli, startCli, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';

/** Answers by path: /ok-N after about N ms (200, X-Cache alternating), /fail → 500, /missing → 404. */
async function startMixedServer(): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    const send = (status: number) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Cache': n++ % 2 ? 'HIT' : 'MISS' });
      res.end('{"ok":true}');
    };
    if (path.startsWith('/fail')) return send(500);
    if (path.startsWith('/missing')) return send(404);
    const delay = Number(path.split('-')[1] ?? 0);
    setTimeout(() => send(200), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function mixedProject(url: string): Promise<string> {
  const rows = Array.from({ length: 30 }, (_, k) => {
    const i = k + 1;
    return `l${i},${i % 7 === 0 ? 'fail' : i % 11 === 0 ? 'missing' : `ok-${i % 5}`}`;
  });
  return writeProject({
    config: `name: mixed\ntarget: ${url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/{{location.route}}" }\nconcurrency: 4\niterations: 2\norder: interleaved\n`,
    personas: { 'a.yaml': 'name: Alpha\n', 'b.yaml': 'name: Beta\n' },
    locations: `id,route\n${rows.join('\n')}\n`,
  });
}

async function resultLines(runDir: string): Promise<Array<Record<string, any>>> {
  const text = await readFile(join(runDir, 'results.ndjson'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8'));

function sumCodes(records: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

test('merge of 3 shards: histograms equal those built from every result line; counts and codes sum exactly; bad sets are refused', async (t) => {
  const server = await startMixedServer();
  t.after(() => server.close());
  const project = await mixedProject(server.url);
  const out = await tempDir('troupe-shards-');
  // The shards run in-process (what `troupe run --shard i/3` calls); `troupe merge` is the subject here.
  const shardDirs: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const r = await run({ cwd: project, shard: { index: i, count: 3 }, out: join(out, `s${i}`) });
    assert.equal(r.status, 'complete');
    shardDirs.push(await onlyRunDir(join(out, `s${i}`)));
  }
  const merged = join(out, 'merged');
  const m = await runCli(['merge', ...shardDirs, '--out', merged], { cwd: project });
  assert.equal(m.code, 0, m.stderr);
  for (const dir of [...shardDirs, merged]) await assertRunDirValid(dir);

  const all = (await Promise.all(shardDirs.map(resultLines))).flat();
  assert.equal(all.length, 120, '2 personas × 30 locations × 2 iterations');
  assert.equal(new Set(all.map((r) => r.id)).size, 120, 'each work item in exactly one shard');
  const mergedLines = await resultLines(merged);
  assert.deepEqual(mergedLines.map((r) => r.id).sort(), all.map((r) => r.id).sort(), 'results.ndjson concatenated');

  const summary = await readJson(join(merged, 'summary.json'));
  const shardSummaries = await Promise.all(shardDirs.map((d) => readJson(join(d, 'summary.json'))));
  const expected = new LatencyHistogram(3);
  for (const r of all) expected.record(r.latencyMs);
  assert.equal(summary.global.histograms.latency, expected.encode(), 'merged histogram = histogram of all latencies');
  assert.deepEqual(summary.global.latency, expected.stats());
  for (const persona of ['Alpha', 'Beta']) {
    const h = new LatencyHistogram(3);
    for (const r of all) if (r.persona === persona) h.record(r.latencyMs);
    assert.equal(summary.personas[persona].histograms.latency, h.encode(), `persona ${persona}`);
  }
  const ttfb = new LatencyHistogram(3);
  for (const r of all) if (r.ttfbMs !== null) ttfb.record(r.ttfbMs);
  assert.equal(summary.global.histograms.ttfb, ttfb.encode());

  for (const key of ['requests', 'ok', 'errors', 'bytes'] as const) {
    assert.equal(summary.global[key], shardSummaries.reduce((n, s) => n + s.global[key], 0), key);
  }
  assert.equal(summary.global.requests, 120);
  assert.deepEqual(summary.global.errorCodes, sumCodes(shardSummaries.map((s) => s.global.errorCodes)));
  assert.deepEqual(summary.global.statusCodes, sumCodes(shardSummaries.map((s) => s.global.statusCodes)));
  assert.deepEqual(summary.global.errorCodes, { http_4xx: 8, http_5xx: 16 }, 'l11, l22 → 404; l7, l14, l21, l28 → 500; × 2 personas × 2 iterations');
  assert.equal(summary.global.cache.hit + summary.global.cache.miss, 120);
  const manifest = await readJson(join(merged, 'run.json'));
  assert.deepEqual(manifest.mergedFrom.map((s: { index: number }) => s.index), [1, 2, 3]);
  const shardManifest = await readJson(join(shardDirs[1]!, 'run.json'));
  assert.deepEqual(shardManifest.shard, { index: 2, count: 3 });
  assert.equal(shardManifest.planned, 40);

  // A missing shard, a duplicate, and a shard of another config are refused (exit 2) naming the problem.
  const other = await run({ cwd: project, shard: { index: 3, count: 3 }, concurrency: 3, out: join(out, 'other') });
  assert.equal(other.status, 'complete');
  const [missing, dup, mixed] = await Promise.all([
    runCli(['merge', shardDirs[0]!, shardDirs[1]!, '--out', join(out, 'm-missing')], { cwd: project }),
    runCli(['merge', shardDirs[0]!, shardDirs[0]!, shardDirs[1]!, '--out', join(out, 'm-dup')], { cwd: project }),
    runCli(['merge', shardDirs[0]!, shardDirs[1]!, other.runDir, '--out', join(out, 'm-other')], { cwd: project }),
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing shard 3\/3/);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /duplicate shard 1\/3/);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /configHash differs/);
});

test('--shards 4 with JOB_COMPLETION_INDEX 0–3 covers every work item once; merge judges thresholds like one process', async (t) => {
  const demo = startCli(['demo-server', '--port', '0'], { cwd: REPO_ROOT, timeoutMs: 120_000 });
  t.after(() => demo.child.kill('SIGTERM'));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('demo server printed no URL')), 15_000);
    demo.child.stdout!.on('data', (d: Buffer) => {
      const match = /http:\/\/\S+/.exec(String(d));
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
  });
  // Thresholds that do not depend on the demo target's cache (it is shared, so the single run finds it warm).
  const thresholds = ['requests == 80', 'error_rate < 1%', 'persona:diego requests == 16', 'p50 < 60s', 'requests > 1000'].flatMap((e) => ['--threshold', e]);
  const out = await tempDir('troupe-k8s-');
  const shards = await Promise.all(
    [0, 1, 2, 3].map((k) =>
      runCli(['run', '--no-reports', '--target', url, '--shards', '4', '--out', join(out, `shard-${k}`), '--no-progress', ...thresholds], {
        cwd: REPO_ROOT,
        env: { JOB_COMPLETION_INDEX: String(k) },
        timeoutMs: 90_000,
      }),
    ),
  );
  const dirs: string[] = [];
  for (const [k, r] of shards.entries()) {
    assert.equal(r.code, 1, `shard ${k} fails its own "requests == 80" (it ran 20): ${r.stderr}`);
    assert.match(r.stderr, /run directory: /, r.stderr);
    dirs.push(await onlyRunDir(join(out, `shard-${k}`)));
  }
  const ids = (await Promise.all(dirs.map(resultLines))).flat().map((r) => r.id);
  assert.equal(ids.length, 80);
  assert.equal(new Set(ids).size, 80, 'no work item twice');

  const merged = await runCli(['merge', ...dirs, '--out', join(out, 'merged'), '--json'], { cwd: REPO_ROOT });
  const single = await runCli(['run', '--no-reports', '--target', url, '--out', join(out, 'single'), '--no-progress', '--json', ...thresholds], { cwd: REPO_ROOT });
  const singleIds = (await resultLines(await onlyRunDir(join(out, 'single')))).map((r) => r.id);
  assert.deepEqual([...ids].sort(), [...singleIds].sort(), 'the shards together ran exactly the single run\'s plan');
  const verdict = (stdout: string) => (JSON.parse(stdout).thresholds.results as Array<{ expression: string; passed: boolean }>).map((r) => `${r.expression}: ${r.passed}`);
  console.log('merged verdict', verdict(merged.stdout), 'single verdict', verdict(single.stdout));
  assert.deepEqual(verdict(merged.stdout), verdict(single.stdout));
  assert.equal(merged.code, 1, merged.stderr);
  assert.equal(single.code, 1, single.stderr);
  assert.deepEqual(verdict(merged.stdout).slice(0, 4), ['requests == 80: true', 'error_rate < 1%: true', 'persona:diego requests == 16: true', 'p50 < 60s: true']);

  const bad = await runCli(['run', '--no-reports', '--target', url, '--shards', '4', '--out', join(out, 'bad'), '--no-progress'], { cwd: REPO_ROOT, env: { JOB_COMPLETION_INDEX: '4' } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /JOB_COMPLETION_INDEX must be a whole number from 0 to 3, got "4"/);
});
