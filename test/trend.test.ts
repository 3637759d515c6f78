/** troupe trend: ten synthetic nights, the eighth 30 % slower at p95, marked alone; trend.csv, trend.pdf and trend.html read back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { TREND_DEFAULTS, trendOf } from '../src/reports/trend.js';
import { trendFigure } from '../src/reports/trend-pdf.js';
import type { LineFigure } from '../src/reports/charts/figure.js';
import { run } from '../src/index.js';
import { readdir } from 'node:fs/promises';
import { loadTrendRuns, TREND_FORMATS, writeTrendFiles } from '../src/reports/trend-files.js';
import { parseFormatList } from '../src/inputs/format-list.js';
import { UsageError } from '../src/errors.js';
import { runCli, tempDir } from './helpers/cli.js';
import { pdfPages } from './fixtures/reports/read.js';
import { parse } from 'csv-parse/sync';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 2, 0, 0);

/** One night: 100 requests whose latencies spread 10–30 ms, times `slower`. */
async function night(root: string, n: number, slower = 1): Promise<string> {
  const metrics = new RunMetrics();
  const startedAt = T0 + n * DAY;
  for (let i = 0; i < 100; i++) {
    const record: ResultRecord = {
      type: 'result', id: `nightly/l${i}/1`, persona: 'nightly', location: `l${i}`, iteration: 1, step: 'request', method: 'GET', url: 'http://127.0.0.1:1/',
      status: 200, ok: true, error: null, latencyMs: (10 + (i % 21)) * slower, ttfbMs: 1, bytes: 100, cache: i % 4 === 0 ? 'miss' : 'hit', startedAt: startedAt + i * 10,
    } as ResultRecord;
    metrics.add(record);
  }
  const dir = join(root, `nightly-${String(n).padStart(2, '0')}`);
  await mkdir(dir, { recursive: true });
  const thresholds = { passed: true, results: [{ expression: 'p95 < 35ms', scope: 'global', metric: 'p95', operator: '<', limit: 35, measured: null, unit: 'ms', passed: true, message: '' }] };
  const summary = { thresholds, troupe: '0.1.0', runId: `nightly-202611${String(n + 1).padStart(2, '0')}-020000`, name: 'nightly', status: 'complete', target: 'http://127.0.0.1:1', startedAt: new Date(startedAt).toISOString(), endedAt: new Date(startedAt + 2000).toISOString(), durationMs: 2000, planned: 100, completed: 100, concurrency: 4, ...metrics.toSummary() };
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
  return dir;
}

test('ten nights, the eighth 30 % slower at p95: it is marked, and only it', async () => {
  const root = await tempDir('troupe-trend-');
  for (let n = 1; n <= 10; n++) await night(join(root, 'runs'), n, n === 8 ? 1.3 : 1);
  const runs = await loadTrendRuns([join(root, 'runs')]);
  assert.equal(runs.length, 10, 'a folder of run directories stands for all of them');
  const points = trendOf(runs);
  const marked = points.filter((p) => p.regressions.length > 0).map((p) => p.runId);
  assert.deepEqual(marked, ['nightly-20261109-020000'], 'night 8 (Nov 9) alone');
  const eighth = points[7]!;
  assert.ok(eighth.regressions.some((r) => r.metric === 'p95' && Math.abs(r.change - 0.3) < 0.05), JSON.stringify(eighth.regressions));
  assert.equal(points[8]!.regressions.length, 0, 'night 9 is judged against a median the bad night did not move');
  assert.equal(points.slice(0, 3).every((p) => !p.judged), true, 'the first nights have no history to be judged against');

  const out = join(root, 'trend');
  const [csvFile, pdfFile, htmlFile] = await writeTrendFiles(out, points, TREND_DEFAULTS);
  const rows = parse(await readFile(csvFile!, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 10);
  assert.deepEqual(rows.map((r) => r['regressed']), ['', '', '', '', '', '', '', rows[7]!['regressed'], '', '']);
  assert.match(String(rows[7]!['regressed']), /p95/);
  assert.equal(rows[0]!['judged'], '0');
  assert.equal(Number(rows[7]!['p95']), eighth.values.p95);
  const html = await readFile(htmlFile!, 'utf8');
  assert.match(html, /1 run\(s\) regressed/);
  assert.match(html, /nightly-20261109-020000 \(2026-11-09\) regressed:/);
  assert.doesNotMatch(html.replaceAll('http://www.w3.org/', ''), /https?:\/\//, 'the page links nothing (SVG namespaces aside)');
  // The latest run's threshold becomes a line on its metric's panel.
  assert.deepEqual(points.at(-1)!.limits, { p95: 35 });
  const latencyPanel = trendFigure(points).parts[0] as LineFigure;
  assert.deepEqual(latencyPanel.rules?.map((r) => r.y), [35]);
  // The regressed night alone is red, a point on each line it regressed on (p95 among them).
  assert.deepEqual([...new Set(latencyPanel.marks?.map((m) => m.x))], [8]);
  assert.deepEqual(latencyPanel.marks?.map((m) => m.y), eighth.regressions.filter((r) => ['p50', 'p95', 'p99'].includes(r.metric)).map((r) => eighth.values[r.metric]));
  assert.ok(latencyPanel.marks?.some((m) => m.y === eighth.values.p95));
  assert.match(html, /<path d="M[^"]*" fill="none" stroke="#616e7c" stroke-width="1" stroke-dasharray="4,3"\/>/, 'the threshold is a dashed line in trend.html');
  // --persona: that persona's figures (the only one here: the same as the run's).
  const persona = await loadTrendRuns([join(root, 'runs')], { persona: 'nightly' });
  assert.deepEqual(persona.map((r) => r.values.p95), runs.map((r) => r.values.p95));
  const absent = await loadTrendRuns([join(root, 'runs')], { persona: 'nobody' });
  assert.deepEqual([absent[0]!.requests, absent[0]!.values.p95], [0, null]);
  const text = (await pdfPages(pdfFile!)).join('\n').replace(/\s+/g, ' ');
  assert.match(text, /1 run\(s\) regressed/);
  assert.match(text, /nightly-20261109-020000 \(2026-11-09\) regressed: .*p95 [\d.]+ ms against a median of [\d.]+ ms \(\+3\d%\)/);
});

test('troupe trend exits 1 when the latest night regressed (stderr names it, --json the runs); not when it did not; --format csv writes trend.csv alone', async () => {
  const root = await tempDir('troupe-trend-cli-');
  for (let n = 1; n <= 5; n++) await night(join(root, 'runs'), n, n === 5 ? 1.5 : 1);
  // One spawn for the command's contract (exit code, stderr lines, --json on stdout, --format); trend.pdf
  // and trend.html are the first test's (rendered in-process, read back), so this one skips them.
  const bad = await runCli(['trend', join(root, 'runs'), '--out', join(root, 'out'), '--json', '--format', 'CSV']);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /troupe trend: 5 runs, 1 regressed\n {2}✗ nightly-20261106-020000/);
  assert.equal((JSON.parse(bad.stdout) as { runs: unknown[] }).runs.length, 5);
  assert.deepEqual(await readdir(join(root, 'out')), ['trend.csv'], 'only the format asked for');
  assert.ok(bad.stderr.endsWith(`${join(root, 'out', 'trend.csv')}\n`), 'the file written is listed last');
  // The rule --format follows on every command (and `troupe report`'s words): valid names listed.
  assert.deepEqual(parseFormatList(' pdf,CSV,pdf ', TREND_FORMATS), ['pdf', 'csv']);
  assert.throws(() => parseFormatList('csv,xlsx', TREND_FORMATS), (e: Error) => e instanceof UsageError && e.message === '--format: unknown format "xlsx"; valid formats: csv, pdf, html');
  assert.throws(() => parseFormatList(' , ', TREND_FORMATS), (e: Error) => e instanceof UsageError && /expected one or more of csv, pdf, html, got " , "/.test(e.message));
  // Without the bad night: the condition the command exits 1 on (the latest run regressed) does not hold.
  const points = trendOf(await loadTrendRuns([1, 2, 3, 4].map((n) => join(root, 'runs', `nightly-0${n}`))), TREND_DEFAULTS);
  assert.equal(points.length, 4, 'run directories named one by one');
  assert.deepEqual(points.at(-1)!.regressions, []);
});

test('troupe run --history DIR keeps summaries that troupe trend DIR reads', async () => {
  const project = await tempDir('troupe-history-');
  // Two runs at once (each starts its own demo target; run ids of the same second get a suffix). The
  // --history flag itself (= --output history=DIR) is driven by the CLI run in cli-run.test.ts.
  const results = await Promise.all([0, 1].map(() => run({ cwd: project, outputs: ['history=history'] })));
  for (const result of results) assert.deepEqual(result.artifactsFailed, []);
  const kept = (await readdir(join(project, 'history'))).filter((f) => f.endsWith('.json'));
  assert.equal(kept.length, 2);
  const runs = await loadTrendRuns([join(project, 'history')]);
  assert.deepEqual(runs.map((r) => r.requests), [80, 80], 'a folder of summary files, as --history writes it');
});
