/**
 * Reports of the shipped demo run, and the README's `troupe report` commands pasted on it (one demo run,
 * two PDF renders: the run's and the README's rebuild; this file and readme-reports.test.ts each had a
 * demo run, and rendered three PDFs between them).
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunSummary } from '../src/run-dir/types.js';
import { fmtInt, fmtMs, fmtPct, fmtRps } from '../src/reports/format.js';
import { run } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { asCheckout, readmeCommands, runShell } from './helpers/readme.js';
import { pdfInfo, pdfPageFill, pdfPages, readCsv } from './fixtures/reports/read.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';

describe('reports of the shipped demo run', () => {
  it('troupe run writes the CSV set and a PDF whose cover shows summary.json figures; the README\'s troupe report commands, pasted, rebuild them', async () => {
    const project = await tempDir('troupe-readme-report-');
    try {
      // The run in-process with reports on, as `troupe run` makes it (cli-run.test.ts spawns that one);
      // the rebuilds below are the README's spawned `troupe report` lines. No config here: the demo.
      const result = await run({ cwd: project, reports: true });
      assert.equal(result.status, 'complete');
      // The README names its example run directory; the real run is moved there.
      const dir = join(project, 'reports', 'demo-20261123-101500');
      await rename(result.runDir, dir);
      const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
      const results = (await readFile(join(dir, 'results.ndjson'), 'utf8')).trim().split('\n');
      assert.equal((await readCsv(dir, 'requests.csv')).length, results.length);
      assert.equal((await readCsv(dir, 'personas.csv')).length, Object.keys(summary.personas).length);
      await assertRunDirValid(dir);

      const pdf = join(dir, 'report.pdf');
      const before = (await stat(pdf)).size;
      const pages = await pdfPages(pdf);
      const cover = pages[0]!.replace(/\s+/g, ' ');
      const g = summary.global;
      for (const figure of [
        fmtInt(g.requests), fmtPct(g.successRate), fmtRps(g.rps), fmtMs(g.latency.p50), fmtMs(g.latency.p95), fmtMs(g.latency.p99),
        fmtPct(g.cache.hitRate), fmtMs(g.hitLatency?.p50), fmtMs(g.missLatency?.p50),
      ]) {
        assert.ok(cover.includes(figure), `cover shows ${figure}\n${cover}`);
      }
      assert.equal(g.cache.hitRate, 0.8);
      assert.ok(cover.includes('80.0%'));
      assert.ok(cover.includes(summary.runId) && cover.includes('No thresholds set'));
      assert.ok(pages.length >= 3);
      const all = pages.join('\n');
      for (const title of ['Latency percentiles per persona', 'Cache hit rate per persona', 'Cache hit vs miss latency', 'Personas', 'Slowest locations', 'How this was measured']) {
        assert.ok(all.includes(title), `PDF has "${title}"`);
      }
      assert.doesNotMatch(all, /Comparison with the baseline/, 'a run without --baseline has no comparison page');
      // An error-free run says so once, under the Errors heading (the charts section said it too).
      assert.equal(all.replace(/\s+/g, ' ').split('No errors: every request succeeded.').length - 1, 1, 'one "No errors" line');
      pages.forEach((page, i) => assert.ok(page.includes(`page ${i + 1} of ${pages.length}`)));
      // No near-empty page: sections flow on, each chart and table kept whole (5 pages before, 2 of them mostly blank).
      const fill = await pdfPageFill(pdf);
      // 3 pages on a quiet machine; on a loaded one the demo runs long enough to get its latency-over-time
      // chart (and may find the generator saturated), a fourth page's worth. Either way no page is near-empty.
      assert.ok(pages.length <= 4, `the demo report fits 3 or 4 pages, got ${pages.length} (fill ${fill.join(', ')})`);
      fill.slice(0, -1).forEach((f, i) => assert.ok(f > 0.6, `page ${i + 1} is filled to ${f} of its height`));
      // Pages before the last must be full (the old layout left two under 40 % mid-document); the last
      // holds what is left over, so its fill follows the run (0.39 seen on a loaded run's fourth page),
      // and only a near-empty last page is refused.
      assert.ok(fill.at(-1)! > 0.25, `the last page is filled to ${fill.at(-1)}`);
      const info = await pdfInfo(pdf);
      assert.match(String(info.Title), /^troupe report: demo/);
      assert.match(String(info.CreationDate), /^D:\d{14}/);
      assert.match((await readFile(pdf)).toString('latin1'), /\/FontFile2/, 'fonts are embedded');

      // The README's lines, each on a run directory without the files it should write, so each line
      // is seen writing its own formats and no other (`--format pdf` alone writing no csv/ is asserted
      // in-process in reports-load.test.ts; the registry path is the same).
      const lines = await readmeCommands('report-commands');
      const line = (flag: RegExp) => {
        const found = lines.find((l) => flag.test(l));
        assert.ok(found, `the block has a line matching ${flag}: ${lines.join(' | ')}`);
        return found;
      };
      const html = line(/--format html/);
      const csvOnly = line(/--format csv\b/);
      const plain = line(/^npx troupe report \S+\s*(#.*)?$/);
      assert.equal(lines.length, 3, 'every line of the block is run below');
      await rm(join(dir, 'csv'), { recursive: true });
      await rm(pdf);
      const listing = async () => (await readdir(dir)).filter((f) => ['csv', 'report.pdf', 'report.html'].includes(f)).sort();
      for (const [pasted, expected] of [[html, ['report.html']], [csvOnly, ['csv', 'report.html']], [plain, ['csv', 'report.html', 'report.pdf']]] as const) {
        const r = await runShell(asCheckout(pasted), project);
        assert.equal(r.code, 0, `${pasted}\n${r.stderr}`);
        assert.deepEqual(await listing(), expected, pasted);
      }
      assert.equal((await stat(pdf)).size, before, 'rebuilding the PDF from the run directory gives the same document size');
      assert.equal((await readCsv(dir, 'requests.csv')).length, results.length, 'the rebuilt CSV set has every result');
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
