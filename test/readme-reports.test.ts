/**
 * The README's trend commands, run as pasted (in a folder laid out as the examples assume). Its report
 * commands are pasted in reports-cli.test.ts, on that file's demo run (one demo run and one PDF fewer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import type { ResultRecord } from '../src/engine/records.js';
import { tempDir } from './helpers/cli.js';
import { asCheckout, readmeCommands, runShell } from './helpers/readme.js';

test('README: the troupe trend commands, pasted, judge a folder of runs', async () => {
  const project = await tempDir('troupe-readme-trend-');
  const reports = join(project, 'reports');
  for (let n = 1; n <= 4; n++) {
    const metrics = new RunMetrics();
    const startedAt = Date.UTC(2026, 10, n, 2);
    for (let i = 0; i < 50; i++) {
      metrics.add({ type: 'result', id: `p/l${i}/1`, persona: 'p', location: `l${i}`, iteration: 1, step: 'request', method: 'GET', url: 'http://127.0.0.1:1/', status: 200, ok: true, error: null, latencyMs: 10 + (i % 10), ttfbMs: 1, bytes: 10, cache: 'hit', startedAt: startedAt + i } as ResultRecord);
    }
    const dir = join(reports, `nightly-2026110${n}-020000`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'summary.json'), JSON.stringify({ troupe: '0.1.0', runId: `nightly-2026110${n}-020000`, name: 'nightly', status: 'complete', target: 'http://127.0.0.1:1', startedAt: new Date(startedAt).toISOString(), endedAt: new Date(startedAt + 1000).toISOString(), durationMs: 1000, planned: 50, completed: 50, concurrency: 1, ...metrics.toSummary() }));
  }
  await symlink(reports, join(project, 'nightly'));
  const lines = await readmeCommands('trend-commands');
  for (const line of lines) {
    const r = await runShell(asCheckout(line), project);
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    assert.match(r.stderr, /troupe trend: 4 runs, 0 regressed/);
  }
  assert.deepEqual((await readdir(join(reports, 'trend'))).sort(), ['trend.csv', 'trend.html', 'trend.pdf']);
});
