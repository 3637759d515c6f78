/** Reports of runs with load shapes, journeys and cache analytics, and of a closed-model run without them. */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REQUESTS_HEADER } from '../src/reports/csv/requests.js';
import { fmtInt, fmtMs } from '../src/reports/format.js';
import type { RunSummary } from '../src/run-dir/types.js';
import { onlyRunDir, REPO_ROOT, tempDir } from './helpers/cli.js';
import { makeRunDir, sampleRecords } from './fixtures/reports/make-run-dir.js';
import { pdfPages, readCsv } from './fixtures/reports/read.js';
import { run } from '../src/index.js';
import { buildReports } from '../src/reports/build.js';

const CLOSED_HEADERS: Record<string, string> = {
  'requests.csv': REQUESTS_HEADER.join(','),
  'personas.csv':
    'persona,requests,ok,errors,success_rate,throughput_rps,p50_ms,p75_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms,mean_ms,cache_hits,cache_misses,cache_stale,cache_bypass,cache_unknown,hit_rate,run_status',
  'percentiles.csv': 'scope_type,scope,percentile,percentile_value,latency_ms,samples,run_status',
  'cache.csv': 'scope_type,scope,hits,misses,stale,bypass,unknown,hit_rate,hit_p50_ms,hit_p95_ms,miss_p50_ms,miss_p95_ms,speedup_miss_p50_over_hit_p50,run_status',
};

const headerOf = async (dir: string, name: string) => (await readFile(join(dir, 'csv', name), 'utf8')).split('\r\n')[0]!;

/** An open model (2 s at 20/s), a two-step journey with checks, and troupe's own cache, against the demo target. */
const OPEN_CONFIG = `name: open-report
target: demo
personas: ${join(REPO_ROOT, 'personas')}
locations: ${join(REPO_ROOT, 'fixtures', 'locations.csv')}
seed: 7
load:
  phases: [{ duration: 2s, rate: 20 }]
cache: { dedupe: true }
journey:
  - name: health
    request: { method: GET, path: /health }
    expect: [{ status: 200 }]
  - name: analyze
    request:
      method: POST
      path: /api/v1/analyze
      json: { address: "{{location.address}}", radius_miles: "{{persona.params.radius_miles}}" }
    expect: [{ status: 200 }, { latency: 15ms }]
outputs: []
`;

describe('reports of an open-model journey run', () => {
  it('CSVs carry response times, checks, load, warm-up and the harness cache; the cover shows response time p95/p99', async () => {
    const out = await tempDir();
    try {
      const config = join(out, 'open.yaml');
      await writeFile(config, OPEN_CONFIG);
      // In-process with reports on: what `troupe run --config open.yaml` writes (the subject is the reports).
      const result = await run({ cwd: REPO_ROOT, config, out: join(out, 'runs'), reports: true });
      assert.equal(result.status, 'complete');
      const dir = await onlyRunDir(join(out, 'runs'));
      const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
      const lines = (await readFile(join(dir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(summary.load && summary.checks && summary.harnessCache && summary.warmup && summary.global.responseTime, 'the run has every new part');

      // requests.csv: the closed-model columns in place, the new ones before run_status.
      const requestsHeader = (await headerOf(dir, 'requests.csv')).split(',');
      assert.deepEqual(requestsHeader.slice(0, REQUESTS_HEADER.length - 1), REQUESTS_HEADER.slice(0, -1));
      assert.deepEqual(requestsHeader.slice(REQUESTS_HEADER.length - 1), ['scheduled_at_ms', 'response_time_ms', 'attempt', 'harness_cache', 'checks', 'run_status']);
      const requests = await readCsv(dir, 'requests.csv');
      assert.equal(requests.length, lines.length);
      requests.forEach((row, i) => {
        const line = lines[i]!;
        assert.equal(row.response_time_ms, String(line.responseTimeMs ?? ''));
        assert.equal(row.harness_cache, String(line.harnessCache ?? ''));
        const checks = (line.checks as { name: string; ok: boolean }[] | undefined) ?? [];
        assert.equal(row.checks, checks.map((c) => `${c.name}:${c.ok ? 1 : 0}`).join(';'));
      });
      assert.equal(requests.filter((r) => r.harness_cache !== '').length, summary.harnessCache.hits);

      // Response-time columns and rows match summary.json.
      const personas = await readCsv(dir, 'personas.csv');
      assert.equal(personas.length, Object.keys(summary.personas).length);
      for (const row of personas) {
        const s = summary.personas[row.persona!]!;
        assert.equal(Number(row.p95_ms), s.latency.p95);
        assert.equal(Number(row.response_p95_ms), s.responseTime!.p95);
        assert.equal(Number(row.response_p99_ms), s.responseTime!.p99);
      }
      const steps = await readCsv(dir, 'steps.csv');
      assert.deepEqual(steps.map((r) => r.step).sort(), ['analyze', 'health']);
      for (const row of steps) assert.equal(Number(row.response_p50_ms), summary.steps[row.step!]!.responseTime!.p50);
      const percentiles = await readCsv(dir, 'percentiles.csv');
      const response = percentiles.filter((r) => r.measure === 'response');
      assert.equal(percentiles.filter((r) => r.measure === 'service').length, percentiles.length - response.length);
      assert.equal(Number(response.find((r) => r.scope_type === 'global' && r.percentile === 'p99')!.latency_ms), summary.global.responseTime.p99);

      // checks.csv
      const checks = await readCsv(dir, 'checks.csv');
      const stepRows = checks.filter((r) => r.scope === 'step');
      assert.equal(stepRows.length, Object.values(summary.checks.steps).reduce((n, labels) => n + Object.keys(labels).length, 0));
      for (const row of stepRows) {
        const c: { passed: number; failed: number } = summary.checks.steps[row.step!]![row.check!]!;
        assert.equal(Number(row.passed), c.passed);
        assert.equal(Number(row.failed), c.failed);
        assert.equal(Number(row.pass_rate), Math.round((c.passed / (c.passed + c.failed)) * 1e6) / 1e6);
      }
      assert.equal(checks.filter((r) => r.scope === 'persona').length, Object.keys(summary.checks.personas).length);

      // load.csv
      const load = await readCsv(dir, 'load.csv');
      const total = load.find((r) => r.scope === 'run')!;
      assert.equal(Number(total.target_rate), summary.load.targetRate);
      assert.equal(Number(total.achieved_rate), summary.load.achievedRate);
      assert.equal(Number(total.arrivals), summary.load.arrivals);
      assert.equal(Number(total.dropped), summary.load.dropped);
      const phases = load.filter((r) => r.scope === 'phase');
      assert.equal(phases.length, 1);
      assert.equal(Number(phases[0]!.started), summary.load.started);
      const perPersona = load.filter((r) => r.scope === 'persona');
      assert.equal(perPersona.reduce((n, r) => n + Number(r.started), 0), summary.load.started);

      // warmup.csv and harness-cache.csv: the harness cache stays out of the target's hit rate.
      const warmup = await readCsv(dir, 'warmup.csv');
      assert.equal(warmup.filter((r) => r.series === 'persona_order').length, summary.warmup.byPersonaOrder.length);
      assert.equal(warmup.filter((r) => r.series === 'window').length, summary.warmup.byWindow.length);
      const harness = await readCsv(dir, 'harness-cache.csv');
      assert.equal(Number(harness.find((r) => r.scope === 'all')!.harness_hits), summary.harnessCache.hits);
      const cache = await readCsv(dir, 'cache.csv');
      for (const row of cache.filter((r) => r.scope_type === 'persona')) {
        assert.equal(Number(row.hits), summary.personas[row.scope!]!.cache.hit, 'target hits only');
        assert.equal(Number(row.harness_cache_hits), summary.harnessCache.byPersona[row.scope!] ?? 0);
      }

      // The PDF: cover figures from summary.json, and the new charts and tables.
      const pages = await pdfPages(join(dir, 'report.pdf'));
      const cover = pages[0]!.replace(/\s+/g, ' ');
      const g = summary.global;
      const rt = g.responseTime!;
      for (const figure of [fmtMs(rt.p95), fmtMs(rt.p99), fmtMs(g.latency.p95), fmtMs(g.latency.p99), `${summary.load.targetRate.toFixed(1)}/s`, `${summary.load.achievedRate!.toFixed(1)}/s`, fmtInt(summary.load.dropped)]) {
        assert.ok(cover.includes(figure), `cover shows ${figure}\n${cover}`);
      }
      assert.ok(cover.includes('Response time counts from when a request was due, so a stalled server shows'));
      const all = pages.join('\n').replace(/\s+/g, ' ');
      for (const title of ['Service vs response time per persona', 'Checks', 'Harness cache', 'Personas in the order they first got a response', 'Journey steps', 'health', 'analyze', 'latency < 15ms']) {
        assert.ok(all.includes(title), `PDF has "${title}"`);
      }
      // The HTML cover's Load line is the PDF's: the schedule, the plan and the in-flight cap.
      const loadLine = `open model, uniform arrivals: 20/s over 2.0 s; ${Object.keys(summary.personas).length} personas × 16 locations; at most ${fmtInt(summary.load.maxInFlight)} journeys in flight`;
      assert.ok(cover.includes(loadLine), `PDF cover: ${loadLine}\n${cover}`);
      await buildReports(dir, ['html']);
      assert.ok((await readFile(join(dir, 'report.html'), 'utf8')).includes(`<dd>${loadLine}</dd>`), 'the HTML cover has the same Load line');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('reports of a closed-model run without journeys', () => {
  it('keep their CSV headers and file set', async () => {
    const dir = await tempDir();
    try {
      const summary = await makeRunDir(dir, sampleRecords());
      const res = await buildReports(dir, ['csv']);
      assert.deepEqual(res.failed, []);
      for (const [name, header] of Object.entries(CLOSED_HEADERS)) assert.equal(await headerOf(dir, name), header, name);
      const files = (await readdir(join(dir, 'csv'))).filter((f) => !f.startsWith('.')).sort();
      const expected = ['cache.csv', 'errors.csv', 'locations.csv', 'percentiles.csv', 'personas.csv', 'requests.csv', 'steps.csv', 'timeseries.csv'];
      // summary.json always has the warm-up curve now; it gets a file of its own, nothing else changes.
      assert.deepEqual(files, summary.warmup ? [...expected, 'warmup.csv'].sort() : expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an abortOn stop shows its reason on the cover', async () => {
    const dir = await tempDir();
    try {
      await makeRunDir(dir, sampleRecords(), { status: 'interrupted' });
      const path = join(dir, 'summary.json');
      const summary = JSON.parse(await readFile(path, 'utf8')) as RunSummary;
      summary.abortedBy = { rule: 'error_rate > 5% over 10s', measured: 0.4, requests: 50, windowMs: 10_000, at: Date.parse(summary.endedAt), message: 'abortOn "error_rate > 5% over 10s": error_rate was 40.0% (20/50) in the last 10 s' };
      await writeFile(path, JSON.stringify(summary));
      const res = await buildReports(dir, ['pdf']);
      assert.deepEqual(res.failed, []);
      // What `troupe report --format pdf` calls: the PDF alone, no csv/ folder (moved from reports-cli's rebuild).
      assert.ok(!(await readdir(dir)).includes('csv'), 'the pdf format writes no csv/ folder');
      const cover = (await pdfPages(join(dir, 'report.pdf')))[0]!.replace(/\s+/g, ' ');
      assert.ok(cover.includes('error_rate was 40.0% (20/50) in the last 10 s'), cover);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
