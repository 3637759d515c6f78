import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMPARE_DEFAULTS, compareSummaries, comparisonRows, readSummary, renderComparisonCsv, renderComparisonTable, type CompareOptions } from '../src/reports/compare.js';
import { tempDir } from './helpers/cli.js';
import { summaryOf } from './helpers/summaries.js';

const flat = (ms: number) => () => ms;
const at = (maxRegression: number, more: Partial<CompareOptions> = {}): CompareOptions => ({ ...COMPARE_DEFAULTS, maxRegression, ...more });
const row = (c: ReturnType<typeof compareSummaries>, scope: string, metric: string) => c.rows.find((r) => r.scope === scope && r.metric === metric)!;

describe('compareSummaries', () => {
  const baseline = summaryOf([{ persona: 'Sarah', n: 200, latency: flat(200), hits: 160 }]);
  const slower = summaryOf([{ persona: 'Sarah', n: 200, latency: flat(230), hits: 160 }]);

  it('fails a 15 % p95 slowdown at 10 % tolerance and passes it at 20 %', () => {
    const strict = compareSummaries(baseline, slower, at(0.1));
    const p95 = row(strict, 'global', 'p95');
    assert.equal(p95.direction, 'worse');
    assert.ok(Math.abs(p95.change! - 0.15) < 0.005, `change ${p95.change}`);
    assert.equal(p95.judged, true);
    assert.equal(p95.regressed, true);
    assert.equal(strict.passed, false);
    assert.ok(strict.regressions >= 1);

    const loose = compareSummaries(baseline, slower, at(0.2));
    assert.equal(row(loose, 'global', 'p95').regressed, false);
    assert.equal(loose.passed, true, JSON.stringify(loose.rows.filter((r) => r.regressed)));
  });

  it('reports a persona below the minimum sample count without judging it', () => {
    const b = summaryOf([{ persona: 'Sarah', n: 200, latency: flat(200) }, { persona: 'Rare', n: 10, latency: flat(100) }]);
    const c = summaryOf([{ persona: 'Sarah', n: 200, latency: flat(200) }, { persona: 'Rare', n: 10, latency: flat(500) }]);
    const comparison = compareSummaries(b, c, at(0.1));
    const rare = row(comparison, 'persona:Rare', 'p95');
    assert.equal(rare.direction, 'worse');
    assert.ok(rare.change! > 3);
    assert.equal(rare.judged, false);
    assert.equal(rare.regressed, false);
    assert.match(rare.note, /fewer than 30 requests \(baseline 10, current 10\)/);
    assert.equal(row(comparison, 'persona:Sarah', 'p95').judged, true);
    const rareRows = (c: ReturnType<typeof compareSummaries>) => c.rows.filter((r) => r.scope === 'persona:Rare');
    assert.ok(rareRows(comparison).every((r) => !r.judged && !r.regressed));
    assert.ok(rareRows(compareSummaries(b, c, at(0.1, { minSamples: 5 }))).some((r) => r.regressed), 'judged once the minimum is lowered');
  });

  it('shows direction per metric: faster and more throughput are better, more errors worse', () => {
    const b = summaryOf([{ persona: 'P', n: 100, latency: flat(200), errors: 1, hits: 80, gapMs: 20 }]);
    const c = summaryOf([{ persona: 'P', n: 100, latency: flat(100), errors: 4, hits: 50, gapMs: 10 }]);
    const comparison = compareSummaries(b, c, at(0.1));
    assert.equal(row(comparison, 'global', 'p50').direction, 'better');
    assert.equal(row(comparison, 'global', 'rps').direction, 'better');
    const errors = row(comparison, 'global', 'error_rate');
    assert.equal(errors.direction, 'worse');
    assert.equal(errors.toleranceKind, 'points');
    assert.ok(Math.abs(errors.delta! - 0.03) < 1e-9);
    assert.equal(errors.regressed, true, '+3 points is over the default 1 point');
    const hits = row(comparison, 'global', 'cache_hit_rate');
    assert.equal(hits.direction, 'worse');
    assert.equal(hits.regressed, true, '−30 points is over the default 5 points');
    assert.equal(compareSummaries(b, c, at(0.1, { tolerances: { error_rate: 0.05, cache_hit_rate: 0.5 } })).passed, true, 'per-metric tolerances');
  });

  it('flags lost throughput and ignores sub-millisecond latency noise', () => {
    const b = summaryOf([{ persona: 'P', n: 100, latency: flat(1), gapMs: 10 }]);
    const c = summaryOf([{ persona: 'P', n: 100, latency: flat(1.5), gapMs: 20 }]);
    const comparison = compareSummaries(b, c, at(0.1));
    assert.equal(row(comparison, 'global', 'rps').regressed, true);
    const p50 = row(comparison, 'global', 'p50');
    assert.equal(p50.direction, 'worse');
    assert.equal(p50.regressed, false);
    assert.match(p50.note, /less than 1 ms/);
  });

  it('covers global, persona and step scopes, and scopes present on one side only', () => {
    const b = summaryOf([{ persona: 'Old', n: 50, latency: flat(10) }]);
    const c = summaryOf([{ persona: 'New', n: 50, latency: flat(10) }]);
    const comparison = compareSummaries(b, c, at(0.1));
    assert.deepEqual([...new Set(comparison.rows.map((r) => r.scope))], ['global', 'persona:New', 'persona:Old', 'step:request']);
    assert.equal(row(comparison, 'persona:New', 'p95').note, 'not in the baseline');
    assert.equal(row(comparison, 'persona:Old', 'p95').note, 'not in the current run');
  });

  it('renders display cells, CSV and a console table (pure)', () => {
    const comparison = compareSummaries(baseline, slower, at(0.1));
    const cells = comparisonRows(comparison);
    const p95 = cells.find((r) => r.scope === 'global' && r.metric === 'p95')!;
    assert.deepEqual([p95.baseline, p95.current, p95.change, p95.direction, p95.tolerance, p95.verdict], ['200 ms', '230 ms', '+15.0%', 'worse', '10%', 'regression']);
    const csv = renderComparisonCsv(comparison).trim().split('\r\n');
    assert.equal(csv[0], 'scope,metric,baseline,current,delta,change,direction,tolerance,tolerance_kind,samples_baseline,samples_current,judged,regressed,note');
    assert.equal(csv.length, comparison.rows.length + 1);
    assert.match(csv.find((l) => l.startsWith('global,p95,'))!, /^global,p95,200(\.\d+)?,230(\.\d+)?,[\d.]+,0\.1\d+,worse,0\.1,relative,200,200,true,true,regression/);
    const plain = { red: String, green: String, dim: String, bold: String };
    const table = renderComparisonTable(comparison, plain);
    assert.match(table, /global\s+p95\s+200 ms\s+230 ms\s+\+15\.0% worse\s+10%\s+regression/);
    assert.match(table, /regressions? found/);
  });
});

describe('readSummary', () => {
  it('reads a run directory or a summary.json, and rejects anything else with exit 2', async () => {
    const dir = await tempDir();
    const summary = summaryOf([{ persona: 'P', n: 3, latency: flat(5) }]);
    await mkdir(join(dir, 'run'));
    await writeFile(join(dir, 'run', 'summary.json'), JSON.stringify(summary));
    assert.equal((await readSummary(join(dir, 'run'), 'baseline')).global.requests, 3);
    assert.equal((await readSummary(join(dir, 'run', 'summary.json'), 'baseline')).global.requests, 3);
    await writeFile(join(dir, 'bad.json'), '{"hello": 1}');
    for (const path of [join(dir, 'missing'), join(dir, 'bad.json'), dir]) {
      await assert.rejects(readSummary(path, '--baseline'), (err: { exitCode?: number; message: string }) => {
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /^--baseline /);
        return true;
      });
    }
  });
});

describe('Markdown for a job summary', () => {
  it('cuts at a line boundary under the byte limit and says where the rest is', async () => {
    const { limitMarkdown } = await import('../src/reports/markdown.js');
    const long = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ✅ |`).join('\n');
    const cut = limitMarkdown(long, 10_000, 'runs/x/summary.md');
    assert.ok(Buffer.byteLength(cut) <= 10_000, String(Buffer.byteLength(cut)));
    assert.match(cut, /\| row \d+ \| ✅ \|\n\n_\(truncated: the full summary is runs\/x\/summary\.md\)_\n$/);
    assert.equal(limitMarkdown('short\n', 10_000), 'short\n');
  });
});
