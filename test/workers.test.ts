import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { registerOutput } from '../src/sinks/registry.js';
import { onlyRunDir, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';

/** Deterministic by path: /fail-N → 500, /gone-N → 404, /hit-N and /miss-N → 200 with that X-Cache, after ~1 ms. */
async function startServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    const status = path.startsWith('/fail') ? 500 : path.startsWith('/gone') ? 404 : 200;
    setTimeout(() => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Cache': path.startsWith('/hit') ? 'HIT' : 'MISS' });
      res.end(JSON.stringify({ path }));
    }, 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8'));

test('--workers 2 gives the same totals, per-persona counts and result lines as --workers 1 for the same plan', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const routes = ['hit', 'miss', 'hit', 'fail', 'hit', 'gone', 'miss'];
  const rows = Array.from({ length: 25 }, (_, k) => `l${k + 1},${routes[k % routes.length]}-${k + 1}`);
  const project = await writeProject({
    config: `name: workers\ntarget: ${server.url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/{{location.route}}" }\nconcurrency: 6\niterations: 3\norder: persona\n`,
    personas: { 'a.yaml': 'name: Alpha\n', 'b.yaml': 'name: Beta\nthinkTime: 1ms\n', 'c.yaml': 'name: Gamma\nlocations: [l1, l2, l3]\n' },
    locations: `id,route\n${rows.join('\n')}\n`,
  });
  const out = await tempDir('troupe-workers-');
  const runs: Record<string, { summary: any; ids: string[]; manifest: any; snapshots: string[] }> = {};
  // In-process (what `troupe run --workers N` calls): the worker threads are real either way.
  for (const workers of ['1', '2']) {
    const started = Date.now();
    const r = await run({ cwd: project, workers: Number(workers), out: join(out, `w${workers}`) });
    console.log(`--workers ${workers}: ${r.status} in ${Date.now() - started} ms`);
    assert.equal(r.status, 'complete');
    const dir = await onlyRunDir(join(out, `w${workers}`));
    const lines = (await readFile(join(dir, 'results.ndjson'), 'utf8')).split('\n').filter(Boolean);
    runs[workers] = {
      summary: await readJson(join(dir, 'summary.json')),
      ids: lines.map((l) => JSON.parse(l).id).sort(),
      manifest: await readJson(join(dir, 'run.json')),
      snapshots: (await readdir(join(dir, 'personas'))).sort(),
    };
  }
  const [one, two] = [runs['1']!, runs['2']!];
  assert.equal(one.ids.length, 159, '(25 + 25 + 3) × 3');
  assert.deepEqual(two.ids, one.ids, 'every work item exactly once in results.ndjson');
  assert.equal(new Set(two.ids).size, two.ids.length);
  const totals = (s: any) => ({
    requests: s.global.requests,
    ok: s.global.ok,
    errors: s.global.errors,
    bytes: s.global.bytes,
    statusCodes: s.global.statusCodes,
    errorCodes: s.global.errorCodes,
    cache: s.global.cache,
    latencyCount: s.global.latency.count,
    personas: Object.fromEntries(Object.entries(s.personas).map(([name, p]: [string, any]) => [name, [p.requests, p.ok, p.errors, p.cache.hit, p.cache.miss]])),
    locations: Object.fromEntries(Object.entries(s.locations).map(([id, l]: [string, any]) => [id, l.requests])),
  });
  console.log('totals', JSON.stringify(totals(two.summary).statusCodes), JSON.stringify(totals(two.summary).errorCodes));
  assert.deepEqual(totals(two.summary), totals(one.summary));
  assert.equal(two.summary.completed, one.summary.completed);
  assert.equal(two.summary.status, 'complete');
  assert.equal(two.manifest.workers, 2);
  assert.equal(one.manifest.workers, undefined);
  assert.deepEqual(two.snapshots, one.snapshots);
  const snapshot = await readJson(join(await onlyRunDir(join(out, 'w2')), 'personas', 'alpha.json'));
  assert.equal(snapshot.requests, 75, 'the snapshot covers both workers');
});

test('--workers 2 records in the workers unless this thread needs every record (a live output): both ways give the same lines, totals and snapshots', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const rows = Array.from({ length: 10 }, (_, k) => `l${k + 1},${k % 3 === 0 ? 'miss' : k % 4 === 0 ? 'fail' : 'hit'}-${k + 1}`);
  const project = await writeProject({
    config: `name: lean\ntarget: ${server.url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/{{location.route}}" }\nconcurrency: 4\niterations: 2\norder: persona\n`,
    personas: { 'a.yaml': 'name: Alpha\n', 'b.yaml': 'name: Beta\n' },
    locations: `id,route\n${rows.join('\n')}\n`,
  });
  const out = await tempDir('troupe-workers-lean-');
  const seen: Record<string, { lines: string[]; summary: any; snapshot: any }> = {};
  for (const mode of ['lean', 'records']) {
    // A live output of its own needs every record in this thread: the workers forward them.
    let results = 0;
    const unregister = registerOutput('count-results', { description: 'test', when: 'live', create: () => ({ name: 'count-results', when: 'live', start: async () => undefined, write: (r) => { if (r.type === 'result') results++; }, stop: async () => undefined }) });
    try {
      const r = await run({ cwd: project, workers: 2, out: join(out, mode), ...(mode === 'records' ? { outputs: ['count-results'] } : {}) });
      assert.equal(r.status, 'complete');
    } finally {
      unregister();
    }
    assert.equal(results, mode === 'records' ? 40 : 0, 'records reach this thread only when something here needs them');
    const dir = await onlyRunDir(join(out, mode));
    seen[mode] = {
      lines: (await readFile(join(dir, 'results.ndjson'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).id).sort(),
      summary: await readJson(join(dir, 'summary.json')),
      snapshot: await readJson(join(dir, 'personas', 'alpha.json')),
    };
  }
  const [lean, records] = [seen['lean']!, seen['records']!];
  assert.equal(lean.lines.length, 40);
  assert.deepEqual(lean.lines, records.lines);
  for (const key of ['requests', 'ok', 'errors', 'statusCodes', 'errorCodes', 'cache'] as const) assert.deepEqual(lean.summary.global[key], records.summary.global[key], key);
  assert.deepEqual(Object.keys(lean.summary.locations), Object.keys(records.summary.locations));
  assert.equal(lean.summary.segments?.[0]?.results ?? lean.summary.global.requests, 40, 'the run\'s segment counts every result');
  assert.equal(lean.snapshot.requests, 20);
  assert.deepEqual(Object.keys(lean.snapshot.locations).sort(), Object.keys(records.snapshot.locations).sort(), 'per-location numbers in the snapshot');
  assert.equal(lean.snapshot.locations.l1.requests, 2);
});
