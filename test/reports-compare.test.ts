import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { pdfPages } from './fixtures/reports/read.js';

test('a run with --baseline has a comparison page in report.pdf', async () => {
  const out = await tempDir();
  // In-process runs, the second with reports on, as `troupe run` makes them (its exit 1 on a regression
  // is in ci-gate). The baseline renders no PDF: that a run without --baseline has no comparison page is
  // asserted on the shipped demo run's PDF in reports-cli.test.ts (one render fewer).
  const first = await run({ cwd: REPO_ROOT, out: join(out, 'a'), iterations: 2 });
  assert.equal(first.passed, true);
  const baselineDir = first.runDir;
  // One iteration against a warm four-fifths: the cache hit rate drops from 90 % to 80 %, a regression
  // at the default 5-point tolerance whatever the machine's timing does.
  const second = await run({ cwd: REPO_ROOT, out: join(out, 'b'), baseline: baselineDir, reports: true });
  assert.equal(second.passed, false, 'a regression');
  assert.deepEqual(await readdir(join(out, 'b')), [second.runId]);
  const runDir = second.runDir;
  const comparison = JSON.parse(await readFile(join(runDir, 'compare.json'), 'utf8'));
  const baselineId = JSON.parse(await readFile(join(baselineDir, 'run.json'), 'utf8')).runId as string;

  const pages = await pdfPages(join(runDir, 'report.pdf'));
  const text = pages.join('\n');
  assert.match(text, /Comparison with the baseline/);
  const cover = pages[0]!;
  assert.match(cover, new RegExp(`Regression against the baseline ${baselineId}`), 'the cover says so too');
  assert.ok(text.includes(baselineId), 'names the baseline run');
  assert.match(text, new RegExp(`${comparison.regressions} tracked metrics? (is|are) worse than the tolerance`));
  // 2 iterations warm the cache for 9 of 10 visits; 1 iteration gets 4 of 5.
  assert.match(text, /global cache_hit_rate 90% 80% -10 pts 5 pts REGRESSION/);

});
