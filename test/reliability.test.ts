import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onlyRunDir, runCli, tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startFaultServer } from './helpers/servers.js';

/** maxRSS (bytes) of a spawned CLI run, reported by a preloaded module on exit. */
async function maxRssOfRun(url: string, bytes: number): Promise<{ rss: number; summary: { planned: number; global: { requests: number; ok: number; bytes: number } } }> {
  const project = await writeProject({
    config: [
      `target: ${url}`,
      'request: { method: GET, path: /big, query: { bytes: ' + bytes + ' } }',
      'locations: locations.csv',
      'concurrency: 5',
      // 100 responses: 500 MiB in all, over three times the growth bound, so a run that kept its
      // responses still fails it (200 moved 1 GiB through loopback for the same verdict, 2 CPU-s more).
      'iterations: 5',
      'maxResponseBytes: 10mb',
      'out: out',
      '',
    ].join('\n'),
    personas: { 'p.yaml': 'name: Big reader\n' },
    locations: locationsCsv(20),
  });
  const probe = join(await tempDir(), 'rss.mjs');
  await writeFile(probe, "process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\\n`));\n");
  const result = await runCli(['run', '--no-reports', '--no-progress'], { cwd: project, env: { NODE_OPTIONS: `--import=${probe}` }, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  const kb = Number(/MAXRSS (\d+)/.exec(result.stderr)?.[1]);
  const dir = await onlyRunDir(join(project, 'out'));
  const { readFile } = await import('node:fs/promises');
  return { rss: kb * 1024, summary: JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) };
}

test('memory stays bounded when every response is huge: 100 × 5 MB', { timeout: 180_000 }, async (t) => {
  const server = await startFaultServer();
  t.after(() => server.close());
  const small = await maxRssOfRun(server.url, 1024);
  const big = await maxRssOfRun(server.url, 5 * 1024 * 1024);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const growth = big.rss - small.rss;
  t.diagnostic(`maxRSS: 100 × 1 KiB ${mb(small.rss)} MB, 100 × 5 MiB ${mb(big.rss)} MB, growth ${mb(growth)} MB`);
  assert.equal(big.summary.global.requests, 100);
  assert.equal(big.summary.global.ok, 100);
  assert.equal(big.summary.global.bytes, 100 * 5 * 1024 * 1024, 'every byte was read');
  assert.ok(growth < 150 * 1024 * 1024, `RSS grew by ${mb(growth)} MB`);
});
