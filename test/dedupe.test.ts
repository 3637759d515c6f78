/** cache.dedupe: troupe's own response cache, reported as harness-cache hits apart from the target's hit rate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessCache } from '../src/engine/dedupe.js';
import type { HttpOutcome } from '../src/engine/http.js';
import type { ResultRecord } from '../src/engine/records.js';
import type { RunSummary } from '../src/run-dir/types.js';
import { REPO_ROOT, onlyRunDir, tempDir } from './helpers/cli.js';
import { run as runInProcess } from '../src/index.js';
import { Chalk } from 'chalk';
import { renderRunTable } from '../src/reports/console.js';

const ok = (n: number): { outcome: HttpOutcome; n: number } => ({ n, outcome: { status: 200, ok: true, error: null, latencyMs: 1, ttfbMs: 1, bytes: 1, headers: {}, redirects: 0 } });

test('identical requests in flight are coalesced, completed ones reused, failures not kept', async () => {
  const cache = new HarnessCache<{ outcome: HttpOutcome; n: number }>();
  let sent = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const send = async () => {
    sent++;
    await gate;
    return ok(sent);
  };
  const key = HarnessCache.key({ method: 'POST', url: 'http://x/a', body: '{"a":1}' });
  const first = cache.fetch(key, send);
  const second = cache.fetch(key, send);
  release();
  assert.deepEqual([(await first).source, (await second).source], ['origin', 'coalesced']);
  assert.equal((await cache.fetch(key, send)).source, 'reused');
  assert.equal(sent, 1);
  assert.notEqual(key, HarnessCache.key({ method: 'POST', url: 'http://x/a', body: '{"a":2}' }));
  const failing = HarnessCache.key({ method: 'GET', url: 'http://x/500' });
  const fail = async () => ({ n: 0, outcome: { ...ok(0).outcome, ok: false, status: 500, error: 'http_5xx' as const } });
  await cache.fetch(failing, fail);
  assert.equal((await cache.fetch(failing, fail)).source, 'origin', 'a failure is not reused');
  assert.deepEqual(cache.stats, { origin: 3, coalesced: 1, reused: 1 });
});

test('5 personas × 16 identical requests reach the demo target 16 times; 64 harness-cache hits, reported apart', async () => {
  const dir = await tempDir('troupe-dedupe-');
  const config = join(dir, 'troupe.config.yaml');
  await writeFile(
    config,
    [
      'name: dedupe',
      'target: demo',
      `personas: ${join(REPO_ROOT, 'personas')}`,
      `locations: ${join(REPO_ROOT, 'fixtures', 'locations.csv')}`,
      'cache:',
      '  dedupe: true',
      '  stats: { url: /api/cache/stats, hits: hits, misses: misses }',
      '',
    ].join('\n'),
  );
  const out = join(dir, 'out');
  // In-process: the subject is what summary.json reports.
  const result = await runInProcess({ cwd: dir, config, out });
  assert.equal(result.status, 'complete');
  const runDir = await onlyRunDir(out);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const results = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
  console.log(`dedupe: harnessCache ${JSON.stringify(summary.harnessCache)}; target ${JSON.stringify(summary.global.cache)}; server ${JSON.stringify(summary.serverCache)}`);
  // The target saw 16 analyses, all misses.
  assert.equal(summary.serverCache!.misses, 16);
  assert.equal(summary.serverCache!.hits, 0);
  assert.equal(summary.harnessCache!.hits, 64);
  assert.equal(summary.harnessCache!.reused + summary.harnessCache!.coalesced, 64);
  assert.equal(Object.values(summary.harnessCache!.byPersona).reduce((a, b) => a + b, 0), 64);
  // The target's figures hold only what the target answered.
  assert.equal(summary.global.requests, 16);
  assert.deepEqual([summary.global.cache.hit, summary.global.cache.miss, summary.global.cache.hitRate], [0, 16, 0]);
  assert.equal(summary.serverCache!.difference, 0);
  assert.equal(results.length, 80, 'every persona request is in results.ndjson');
  assert.equal(results.filter((r) => r.harnessCache).length, 64);
  assert.ok(results.filter((r) => r.harnessCache).every((r) => r.ok && r.bytes === 0));
  // The end-of-run table (what the CLI prints to stderr) says so apart from the target's figures.
  assert.match(renderRunTable(summary, new Chalk({ level: 0 })), /harness cache \(cache\.dedupe\): 64 request\(s\) served by troupe, not the target/);
});
