/** cache.stats: the target's counters before and after, next to the observed hit rate; the warm-up curve. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '../src/run-dir/types.js';
import { REPO_ROOT, onlyRunDir, tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { run as runInProcess } from '../src/index.js';

// Runs go through the in-process API: the subject is what summary.json says, not the console.
async function runDemo(extraConfig: string[]): Promise<{ summary: RunSummary }> {
  const dir = await tempDir('troupe-cachestats-');
  const config = join(dir, 'troupe.config.yaml');
  await writeFile(config, ['name: warm', 'target: demo', `personas: ${join(REPO_ROOT, 'personas')}`, `locations: ${join(REPO_ROOT, 'fixtures', 'locations.csv')}`, ...extraConfig, ''].join('\n'));
  const out = join(dir, 'out');
  const result = await runInProcess({ cwd: dir, config, out });
  assert.equal(result.status, 'complete');
  return { summary: JSON.parse(await readFile(join(await onlyRunDir(out), 'summary.json'), 'utf8')) as RunSummary };
}

test('the demo cache stats endpoint, read before and after, agrees with the observed hit rate; warm-up curve by persona', async () => {
  const { summary } = await runDemo(['cache:', '  stats: { url: /api/cache/stats, hits: hits, misses: misses }']);
  const server = summary.serverCache!;
  console.log(`serverCache ${JSON.stringify(server)}; warmup ${JSON.stringify(summary.warmup)}`);
  assert.deepEqual([server.hits, server.misses, server.hitRate, server.observedHitRate, server.difference], [64, 16, 0.8, 0.8, 0]);
  assert.deepEqual(server.before, { hits: 0, misses: 0 });
  assert.deepEqual(server.after, { hits: 64, misses: 16 });
  assert.match(server.source, /\/api\/cache\/stats$/);
  const order = summary.warmup!.byPersonaOrder;
  assert.equal(order.length, 5);
  assert.deepEqual([order[0]!.hitRate, order[0]!.miss], [0, 16], 'the first persona warms the cache');
  assert.ok(order.slice(1).every((p) => p.hitRate === 1));
  const windows = summary.warmup!.byWindow;
  assert.equal(windows.reduce((a, w) => a + w.hit + w.miss, 0), 80);
  assert.equal(summary.warmup!.windowMs, 1000);
});

test('a target whose headers claim hits its counters deny shows the difference; an unreadable endpoint is reported, not fatal', async (t) => {
  let hits = 100;
  let misses = 50;
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cache: { counters: { hits, misses } } }));
    misses++; // it always misses, but says HIT
    res.writeHead(200, { 'x-cache': 'HIT', 'content-length': 2 }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const run = async (stats: string) => {
    const dir = await writeProject({
      config: `name: liar\ntarget: ${url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: /x }\ncache:\n  stats: ${stats}\n`,
      personas: { 'p.yaml': 'name: P\n' },
      locations: locationsCsv(10),
    });
    const out = await tempDir('troupe-liar-');
    const result = await runInProcess({ cwd: dir, out });
    assert.equal(result.status, 'complete');
    return JSON.parse(await readFile(join(await onlyRunDir(out), 'summary.json'), 'utf8')) as RunSummary;
  };
  const liar = (await run('{ url: /stats, hits: cache.counters.hits, misses: cache.counters.misses }')).serverCache!;
  console.log(`liar: ${JSON.stringify(liar)}`);
  assert.deepEqual([liar.hits, liar.misses, liar.hitRate, liar.observedHitRate, liar.difference], [0, 10, 0, 1, -1]);
  const broken = (await run('{ url: /stats, hits: cache.nothing, misses: cache.counters.misses }')).serverCache!;
  assert.equal(broken.hitRate, null);
  assert.match(broken.error!, /before the run: no number at cache\.nothing/);
});
