/**
 * report.html in a real browser: Debian's Chromium driven by playwright-core (no browser download).
 * The page loads from file:// with no console error and no network request; its verdict, tiles and
 * tables say what summary.json says; a table sorts and filters; a screenshot is kept for a person to look at.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { run } from '../src/index.js';
import { buildReports } from '../src/reports/build.js';
import { fmtInt } from '../src/reports/format.js';
import type { RunSummary } from '../src/run-dir/types.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';

const CHROMIUM = process.env.TROUPE_CHROMIUM ?? '/usr/bin/chromium';
/** Kept after the run: the screenshots a person looks at (the test prints where). */
const SHOTS = join(REPO_ROOT, 'reports', 'html-screenshots');

async function runAndReport(config: string, project?: string): Promise<{ dir: string; summary: RunSummary }> {
  project ??= await tempDir('troupe-html-');
  await writeFile(join(project, 'troupe.config.yaml'), config.replace('OUT', JSON.stringify(join(project, 'runs'))));
  // The programmatic API: config thresholds judged as `troupe run` judges them.
  const { runDir, summary } = await run({ cwd: project });
  const built = await buildReports(runDir, ['html']);
  assert.deepEqual(built.failed, []);
  return { dir: runDir, summary };
}

/** Opens a report from disk; records console errors and every request that is not the file itself. */
async function open(browser: Browser, file: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => r.url() !== url && requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests };
}

const DEMO = `name: html-demo
target: demo
personas: ${JSON.stringify(join(REPO_ROOT, 'personas'))}
locations: ${JSON.stringify(join(REPO_ROOT, 'fixtures', 'locations.csv'))}
out: OUT
request:
  method: POST
  path: /api/v1/analyze
  json: { address: "{{location.address}}", radius_miles: "{{persona.params.radius_miles}}" }
iterations: 2
thresholds: ["p95 < 10s", "error_rate < 1%"]
`;

const JOURNEY = `name: html-journey
target: demo
personas: ${JSON.stringify(join(REPO_ROOT, 'personas'))}
locations: ${JSON.stringify(join(REPO_ROOT, 'fixtures', 'locations.csv'))}
out: OUT
journey:
  - name: health
    request: { method: GET, path: /health }
    expect: [{ status: 200 }]
  - name: analyze
    request:
      method: POST
      path: /api/v1/analyze
      json: { address: "{{location.address}}", radius_miles: "{{persona.params.radius_miles}}" }
    expect: [{ status: 200 }, { latency: 20ms }]
`;

describe('report.html in Chromium', () => {
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(() => browser?.close());

  it('the demo run: no console error, no request, the figures of summary.json, tables that sort and filter', async () => {
    const { dir, summary } = await runAndReport(DEMO);
    const file = join(dir, 'report.html');
    const { page, problems, requests } = await open(browser, file);
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [], 'the report fetches nothing');

      assert.equal(await page.locator('#verdict').getAttribute('data-state'), 'pass');
      assert.equal((await page.locator('#verdict').textContent())?.trim(), `PASS: all ${summary.thresholds!.results.length} thresholds met`);
      assert.equal(await page.locator('.tile[data-label="Requests"] .value').textContent(), fmtInt(summary.global.requests));
      assert.equal(await page.locator('#chart-latency-per-persona svg').count(), 1, 'charts are inline SVG');

      // Each persona's row says what summary.json says.
      const rows = await page.locator('#table-personas tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      for (const [name, s] of Object.entries(summary.personas)) {
        const row = rows.find((r) => r[0] === name);
        assert.ok(row, `a row for ${name}`);
        assert.equal(row![1], fmtInt(s.requests));
      }
      assert.equal(await page.locator('#table-personas tfoot td').first().textContent(), 'All personas', 'the total row stays below the sorted rows');

      // Sorting by p95 (a numeric column) puts the slowest persona first; a second click reverses.
      const p95 = page.locator('#table-personas th', { hasText: 'p95' });
      await p95.click();
      assert.equal(await p95.getAttribute('aria-sort'), 'descending');
      assert.equal(await page.locator('#table-errors-empty').count(), 1, 'no errors: a sentence, not an empty table');
      const slowest = Object.entries(summary.personas).sort((a, b) => (b[1].latency.p95 ?? 0) - (a[1].latency.p95 ?? 0))[0]![0];
      assert.equal(await page.locator('#table-personas tbody tr').first().locator('td').first().textContent(), slowest);
      await p95.click();
      assert.equal(await p95.getAttribute('aria-sort'), 'ascending');

      await page.locator('input.filter[data-table="personas"]').fill('sarah');
      assert.equal(await page.locator('#table-personas tbody tr:not([hidden])').count(), 1);

      await page.locator('input.filter[data-table="personas"]').fill('');
      // A chart's mark shows its values on hover.
      const bar = page.locator('#chart-latency-per-persona path[aria-label^="Latency"]').first();
      await bar.hover({ force: true });
      assert.equal(await page.locator('#tooltip').textContent(), await bar.getAttribute('aria-label'));
      assert.equal(await page.locator('#tooltip').isVisible(), true);
      await page.mouse.move(0, 0);
      const shot = join(SHOTS, 'demo-run.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`report.html ${(await stat(file)).size} bytes; screenshot: ${shot}`);
    } finally {
      await page.close();
    }
  });

  it('a journey run: steps and checks tables, the checks as counted, still no request', async () => {
    const { dir, summary } = await runAndReport(JOURNEY);
    const { page, problems, requests } = await open(browser, join(dir, 'report.html'));
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, []);
      const steps = await page.locator('#table-steps tbody tr td:first-child').allTextContents();
      assert.deepEqual(steps.sort(), Object.keys(summary.steps).sort());
      const checks = await page.locator('#table-checks tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      for (const [step, byLabel] of Object.entries(summary.checks!.steps)) {
        for (const [label, c] of Object.entries(byLabel)) {
          const row = checks.find((r) => r[0] === step && r[1] === label);
          assert.deepEqual(row?.slice(2, 4), [fmtInt(c.passed), fmtInt(c.failed)], `${step} / ${label}`);
        }
      }
      const shot = join(SHOTS, 'journey-run.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
    } finally {
      await page.close();
    }
  });

  it('escapes what a run carries: a persona named with markup is shown as text, and runs nothing', async () => {
    const hostile = '<img src=x onerror="document.title=1"> Eve </td><script>document.title=2</script>';
    const project = await tempDir('troupe-html-hostile-');
    await mkdir(join(project, 'personas'));
    await writeFile(join(project, 'personas', 'eve.yaml'), `name: ${JSON.stringify(hostile)}\nparams: { radius_miles: 3 }\n`);
    const config = DEMO.replace(/^personas: .*$/m, 'personas: personas');
    const { dir } = await runAndReport(config, project);
    const { page, problems, requests } = await open(browser, join(dir, 'report.html'));
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [], 'the img in the name was not loaded');
      assert.equal(await page.locator('#table-personas tbody tr td:first-child', { hasText: 'Eve' }).first().textContent(), hostile);
      assert.equal(await page.locator('main img').count(), 0);
      assert.equal(await page.title(), 'html-demo — troupe report', 'no injected script ran');
    } finally {
      await page.close();
    }
  });
});
