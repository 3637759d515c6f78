import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, startDemoServer } from '../src/index.js';
import { shardFromEnvironment } from '../src/run/shard.js';
import { LatencyHistogram } from '../src/metrics/histogram.js';
import { onlyRunDir, REPO_ROOT, runCli, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';
import type { ResultRecord } from '../src/engine/records.js';
import { JourneyMetrics } from '../src/metrics/journey-metrics.js';
import { scanResults } from '../src/reports/scan.js';
import type { ResultLine } from '../src/run-dir/results.js';
import { mergeRuns } from '../src/run/merge.js';
import { mergeResultFiles } from '../src/run/merge-results.js';
import { countDifferences, differences, linesOf, oneProcessMetrics, oneProcessSeries, seriesTotals, windowsOf } from './helpers/merge-compare.js';
import { KeyCache, startCacheCountingServer } from './helpers/servers.js';

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
  // The shards run in-process (what `troupe run --shard i/3` calls), and so does the merge (what
  // `troupe merge` calls; its exit codes and --json are the next test's, its refusals cli-damaged-files').
  // All three at once, as shards on three machines would run (the target is one server).
  const shardDirs = await Promise.all([1, 2, 3].map(async (i) => {
    const r = await run({ cwd: project, shard: { index: i, count: 3 }, out: join(out, `s${i}`) });
    assert.equal(r.status, 'complete');
    return onlyRunDir(join(out, `s${i}`));
  }));
  const merged = join(out, 'merged');
  const m = await mergeRuns({ dirs: shardDirs, out: merged, thresholds: () => [] });
  assert.equal(m.runDir, merged);
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
  // The merge function (exit code 2 on the error; the CLI's exit 2 for a refused merge is cli-damaged-files').
  const refused = (dirs: string[], name: string) => mergeRuns({ dirs, out: join(out, name), thresholds: () => [] }).then(() => assert.fail('merged'), (e: { exitCode?: number; message: string }) => (assert.equal(e.exitCode, 2), e.message));
  assert.match(await refused([shardDirs[0]!, shardDirs[1]!], 'm-missing'), /missing shard 3\/3/);
  assert.match(await refused([shardDirs[0]!, shardDirs[0]!, shardDirs[1]!], 'm-dup'), /duplicate shard 1\/3/);
  assert.match(await refused([shardDirs[0]!, shardDirs[1]!, other.runDir], 'm-other'), /configHash differs/);
});

test('--shards 4 with JOB_COMPLETION_INDEX 0–3 covers every work item once; merge judges thresholds like one process', async (t) => {
  const demo = await startDemoServer({ port: 0 });
  t.after(() => demo.close());
  // Thresholds that do not depend on the demo target's cache (it is shared, so the single run finds it warm).
  const expressions = ['requests == 80', 'error_rate < 1%', 'persona:diego requests == 16', 'p50 < 60s', 'requests > 1000'];
  const thresholds = expressions.flatMap((e) => ['--threshold', e]);
  const out = await tempDir('troupe-k8s-');
  // The CLI reads JOB_COMPLETION_INDEX for shard 1/4; shards 2–4 run in-process with the same function it calls.
  const [cli, ...rest] = await Promise.all([
    runCli(['run', '--no-reports', '--target', demo.url, '--shards', '4', '--out', join(out, 'shard-0'), '--no-progress', ...thresholds], { cwd: REPO_ROOT, env: { JOB_COMPLETION_INDEX: '0' }, timeoutMs: 90_000 }),
    ...[1, 2, 3].map((k) => run({ cwd: REPO_ROOT, target: demo.url, shard: shardFromEnvironment(4, { JOB_COMPLETION_INDEX: String(k) }), out: join(out, `shard-${k}`), thresholds: expressions })),
  ]);
  assert.equal(cli.code, 1, `shard 1 fails its own "requests == 80" (it ran 20): ${cli.stderr}`);
  assert.match(cli.stderr, /run directory: /, cli.stderr);
  for (const r of rest) assert.equal(r.passed, false, 'each shard fails its own "requests == 80"');
  const dirs = [await onlyRunDir(join(out, 'shard-0')), ...rest.map((r) => r.runDir)];
  const ids = (await Promise.all(dirs.map(resultLines))).flat().map((r) => r.id);
  assert.equal(ids.length, 80);
  assert.equal(new Set(ids).size, 80, 'no work item twice');

  const [merged, single] = await Promise.all([
    // --no-reports: the verdict is the subject here (csv/ and report.pdf are the report tests').
    runCli(['merge', ...dirs, '--out', join(out, 'merged'), '--json', '--no-reports'], { cwd: REPO_ROOT }),
    run({ cwd: REPO_ROOT, target: demo.url, out: join(out, 'single'), thresholds: expressions }),
  ]);
  const mergedFiles = await readdir(join(out, 'merged'));
  assert.ok(mergedFiles.includes('summary.json') && !mergedFiles.includes('csv') && !mergedFiles.includes('report.pdf'), `--no-reports: ${mergedFiles.join(', ')}`);
  const singleIds = (await resultLines(single.runDir)).map((r) => r.id);
  assert.deepEqual([...ids].sort(), [...singleIds].sort(), 'the shards together ran exactly the single run\'s plan');
  const verdict = (results: Array<{ expression: string; passed: boolean }>) => results.map((r) => `${r.expression}: ${r.passed}`);
  const mergedVerdict = verdict(JSON.parse(merged.stdout).thresholds.results);
  console.log('merged verdict', mergedVerdict, 'single verdict', verdict(single.summary.thresholds!.results));
  assert.deepEqual(mergedVerdict, verdict(single.summary.thresholds!.results));
  assert.equal(merged.code, 1, merged.stderr);
  assert.equal(single.passed, false);
  assert.deepEqual(mergedVerdict.slice(0, 4), ['requests == 80: true', 'error_rate < 1%: true', 'persona:diego requests == 16: true', 'p50 < 60s: true']);

  assert.throws(() => shardFromEnvironment(4, { JOB_COMPLETION_INDEX: '4' }), (e: { exitCode?: number; message: string }) => e.exitCode === 2 && /JOB_COMPLETION_INDEX must be a whole number from 0 to 3, got "4"/.test(e.message));
});

/**
 * One plan as one process and as three shards (run at once, in this process, from one start instant),
 * against targets whose cache answers depend only on which paths are asked (test/helpers/servers.ts):
 * every field of the two summaries agrees except those that measure time (TIMING in
 * helpers/merge-compare.ts). Those are checked against the one-process view of the shards' own lines:
 * the metrics one RunMetrics makes of them, the warm-up windows on one time axis from the earliest
 * shard's start, the per-second series in completion order. The single process gets the shards'
 * combined capacity (concurrency, maxInFlight), as the merge reports their sum.
 */
interface Equivalence {
  name: string;
  config: string;
  /** The single process's config: the shards' combined capacity. */
  single: string;
  personas: Record<string, string>;
  locations: string;
  /** `sidecars`: a server per shard, one cache behind them (cache.stats.scope: shard). */
  servers: 'shared' | 'sidecars';
  /** More leaves that differ by design, with why. */
  extra?: RegExp[];
}

const REQUEST = 'request: { method: GET, path: "/{{location.route}}/{{persona.slug}}/{{location.id}}" }\n';
const routes = (n: number) => `id,route\n${Array.from({ length: n }, (_, k) => `l${k + 1},${(k + 1) % 3 === 0 ? 'flaky' : 'ok'}`).join('\n')}\n`;
const STATS = (scope = '') => `cache:\n  stats: { url: /api/cache/stats, hits: hits, misses: misses${scope} }\n`;
const CLOSED = (c: number) => `name: equal\ntarget: \${env:TARGET}\npersonas: personas\nlocations: locations.csv\n${REQUEST}concurrency: ${c}\niterations: 2\norder: interleaved\n`;

const EQUIVALENCES: Equivalence[] = [
  {
    name: 'closed model with retries (one shared target)',
    config: `${CLOSED(2)}retries: { attempts: 2, backoff: 5ms, on: [503] }\n${STATS()}`,
    single: `${CLOSED(6)}retries: { attempts: 2, backoff: 5ms, on: [503] }\n${STATS()}`,
    personas: { 'a.yaml': 'name: Alpha\n', 'b.yaml': 'name: Beta\n' },
    locations: routes(12),
    servers: 'shared',
  },
  {
    name: 'closed model with journeys (a target per shard, one cache behind them)',
    ...(() => {
      const journey = 'journey:\n  - name: first\n    request: { path: "/a/{{persona.slug}}/{{location.id}}" }\n    expect: [{ status: 200 }]\n  - name: second\n    request: { path: "/{{location.route}}/b/{{persona.slug}}/{{location.id}}" }\n    expect: [{ status: 200 }]\n';
      return { config: `${CLOSED(2)}${journey}${STATS(', scope: shard')}`, single: `${CLOSED(6)}${journey}${STATS(', scope: shard')}` };
    })(),
    personas: { 'a.yaml': 'name: Alpha\n', 'b.yaml': 'name: Beta\n', 'c.yaml': 'name: Gamma\n' },
    locations: routes(8),
    servers: 'sidecars',
    // A merge of per-shard endpoints sums their deltas; one process read one endpoint's before and after.
    extra: [/^serverCache\.(before|after)(\.|$)/],
  },
  {
    name: 'open model (one shared target)',
    ...(() => {
      const open = (m: number, c: number) => `name: equal\ntarget: \${env:TARGET}\npersonas: personas\nlocations: locations.csv\n${REQUEST}concurrency: ${c}\nload:\n  phases: [{ duration: 600ms, rate: 100 }]\n  maxInFlight: ${m}\n${STATS()}`;
      return { config: open(40, 2), single: open(120, 6) };
    })(),
    personas: { 'a.yaml': 'name: Alpha\nweight: 2\n', 'b.yaml': 'name: Beta\n' },
    locations: routes(9),
    servers: 'shared',
  },
];

for (const eq of EQUIVALENCES) {
  test(`one process = three shards merged, every field: ${eq.name}`, async (t) => {
    const project = await writeProject({ config: eq.config, personas: eq.personas, locations: eq.locations });
    await writeFile(join(project, 'single.yaml'), eq.single);
    const out = await tempDir('merge-equal-');
    const single = await startCacheCountingServer();
    const cache = new KeyCache();
    const shared = await startCacheCountingServer(cache);
    const sidecars = eq.servers === 'sidecars' ? await Promise.all([1, 2, 3].map(() => startCacheCountingServer(cache))) : [];
    t.after(() => Promise.all([single, shared, ...sidecars].map((s) => s.close())));

    // Shards given one start instant line up, as three pods given --start-at would (one that misses it starts at once).
    const startAt = Date.now() + 150;
    const [one, ...shards] = await Promise.all([
      run({ cwd: project, config: 'single.yaml', env: { TARGET: single.url }, out: join(out, 'single') }),
      ...[1, 2, 3].map((i) => run({ cwd: project, env: { TARGET: (sidecars[i - 1] ?? shared).url }, shard: { index: i, count: 3 }, out: join(out, `s${i}`), startAt })),
    ]);
    for (const r of [one, ...shards]) assert.equal(r.status, 'complete');
    const merged = await mergeRuns({ dirs: shards.map((s) => s.runDir), out: join(out, 'merged'), thresholds: () => [] });
    await assertRunDirValid(merged.runDir);

    // 1. Against one process: every field but those that measure time, exactly.
    const diff = countDifferences(one.summary, merged.summary, eq.extra);
    console.log(`${eq.name}: ${one.summary.global.requests} requests (${one.summary.retries?.requests ?? 0} retried attempts), hit rate ${one.summary.global.cache.hitRate}, target's counters ${merged.summary.serverCache?.hits}/${merged.summary.serverCache?.misses} (${merged.summary.serverCache?.scope}); differences: ${diff.length ? diff.join('; ') : 'none'}`);
    assert.deepEqual(diff, []);
    assert.ok(one.summary.global.cache.hit > 0 && one.summary.global.cache.miss > 0 && one.summary.global.errors > 0, 'the plan has hits, misses and failures to get right');
    const servers = eq.servers === 'sidecars' ? sidecars : [shared];
    assert.deepEqual({ hits: merged.summary.serverCache!.hits, misses: merged.summary.serverCache!.misses }, { hits: servers.reduce((n, s) => n + s.hits, 0), misses: servers.reduce((n, s) => n + s.misses, 0) }, "the target's own counters, as it counted");
    assert.equal(merged.summary.serverCache!.difference, 0, 'retried attempts counted: the observed hit rate is the target\'s');
    assert.equal(merged.summary.serverCache!.scope, eq.servers === 'sidecars' ? 'shard' : 'shared');
    assert.deepEqual(sortedOrder(merged.summary.warmup!.byPersonaOrder), sortedOrder(one.summary.warmup!.byPersonaOrder), 'warm-up counts per persona');
    if (one.summary.load) {
      assert.equal(merged.summary.load!.arrivals, one.summary.load.arrivals, 'the shards\' arrivals add up to one process\'s');
      assert.equal(merged.summary.load!.arrivals, 60);
      const ids = (lines: Array<{ id: string }>) => lines.map((l) => l.id).sort();
      assert.deepEqual(ids(await linesOf(merged.runDir)), ids(await linesOf(one.runDir)), 'the very arrivals of one process: persona, location and number');
    }

    // 2. Against the one-process view of the shards' own lines: every field, time included.
    const lines = (await Promise.all(shards.map((s) => linesOf(s.runDir)))).flat();
    const origin = Math.min(...shards.map((s) => Date.parse(s.summary.start!.at)));
    const view = oneProcessMetrics(lines, origin);
    const { global, personas, locations, steps, cacheStatus, personaLocations, checks, retries } = merged.summary;
    assert.deepEqual(differences({ global, personas, locations, steps, cacheStatus, personaLocations, checks, retries }, { global: view.global, personas: view.personas, locations: view.locations, steps: view.steps, cacheStatus: view.cacheStatus, personaLocations: view.personaLocations, checks: view.checks, retries: view.retries }), []);
    const w = merged.summary.warmup!;
    assert.equal(w.originAt, origin, 'the curve starts at the earliest shard\'s start');
    assert.deepEqual(w.byWindow.map(({ hit, miss }) => ({ hit, miss })), windowsOf(lines, origin, w.windowMs), 'warm-up windows: one time axis');
    const rows = (await scanResults(merged.runDir)).timeseries;
    assert.deepEqual(rows, oneProcessSeries(lines), 'timeseries rows: the shards\' lines in completion order');
    assert.deepEqual(seriesTotals(rows), seriesTotals((await scanResults(one.runDir)).timeseries), 'timeseries totals: one process\'s');
    assert.equal(merged.summary.merge!.shards, 3);
    assert.ok(merged.summary.merge!.plannedAt, 'one start instant for all');
  });
}

const sortedOrder = (o: Array<{ persona: string }>) => [...o].sort((a, b) => (a.persona < b.persona ? -1 : 1));

test('merged results.ndjson interleaves shards by completion: per-second percentiles past 60 s count every shard; the warm-up curve has one axis', async () => {
  // Three shards of a 150 s run, written as a run would write them: a visit a second each, lines appended in completion order.
  const out = await tempDir('merge-long-');
  const t0 = Date.UTC(2026, 0, 1);
  const dirs: string[] = [];
  for (let shard = 0; shard < 3; shard++) {
    const dir = join(out, `s${shard}`);
    await mkdir(dir, { recursive: true });
    const lines = Array.from({ length: 150 }, (_, s) => JSON.stringify({
      id: `p/l${shard}/${s}`, persona: 'P', location: `l${shard}`, iteration: s, step: 'request', method: 'GET', url: 'http://x/', status: 200, ok: true, error: null,
      latencyMs: 10 * (shard + 1), ttfbMs: 1, bytes: 1, cache: s % 2 ? 'hit' : 'miss', startedAt: t0 + s * 1000 + shard * 7,
    }));
    await writeFile(join(dir, 'results.ndjson'), `${lines.join('\n')}\n`);
    dirs.push(dir);
  }
  const merged = join(out, 'merged');
  await mkdir(merged);
  const seen: ResultLine[] = [];
  const written = await mergeResultFiles(dirs, merged, (l) => seen.push(l));
  assert.equal(written, 450);
  const rows = (await scanResults(merged)).timeseries;
  const all = (await Promise.all(dirs.map(linesOf))).flat();
  assert.deepEqual(rows, oneProcessSeries(all));
  const late = rows.find((r) => r.elapsed === 120)!;
  assert.equal(late.completed, 3, 'second 120 has every shard\'s request');
  assert.equal(late.p99, 30, 'and its percentiles count them (before: shard 1\'s alone, 10 ms)');
  // Shard after shard, second 0 of shard 2 would come 150 s of completions after shard 1's: closed long before.
  const curve = new JourneyMetrics();
  curve.warmup.startAt(t0);
  for (const l of seen) curve.observe({ type: 'result', ...l } as ResultRecord);
  const w = curve.warmup.toSummary()!;
  assert.equal(w.byWindow.length, 150, 'one window per second of the run, not per second of each shard end to end');
  assert.ok(w.byWindow.every((x) => x.hit + x.miss === 3));
});
