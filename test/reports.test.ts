import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { encodeRow } from '../src/reports/csv/encode.js';
import { CSV_OPTIONS, neutralise, type Cell } from '../src/reports/csv/writer.js';
import { objectMembers, parseMember } from '../src/run-dir/json-members.js';
import { runCli, tempDir } from './helpers/cli.js';
import { LOCATIONS, makeRunDir, PERSONAS, sampleRecords } from './fixtures/reports/make-run-dir.js';
import { pdfPages, readCsv } from './fixtures/reports/read.js';
import { buildReports } from '../src/reports/build.js';

const AWKWARD: Cell[] = [
  '=SUM(A1:A2)', '+1', '-1', '@x', '\tx', '\rx', 'a,b', 'say "hi"', 'line\nbreak', 'crlf\r\nx', '', 'Zoë ✓', ' lead space',
  -3.5, 0, 42, 1e21, true, false, null, undefined,
];

describe('CSV cells', () => {
  it('neutralises strings that a spreadsheet would run as a formula, and only strings', () => {
    for (const s of ['=1+1', '+1', '-1', '@A1', '\t=1', '\r=1']) assert.equal(neutralise(s), `'${s}`);
    for (const s of ['1', 'a=b', ' =1', "'=1"]) assert.equal(neutralise(s), s);
    const [row] = parse(stringify([[-3.5, '-3.5', -0.25]], CSV_OPTIONS)) as string[][];
    assert.deepEqual(row, ['-3.5', "'-3.5", '-0.25']);
  });

  it('the fast requests.csv encoder writes exactly what csv-stringify writes', () => {
    const rows = [AWKWARD, [...AWKWARD].reverse(), ['only']];
    assert.equal(rows.map(encodeRow).join(''), stringify(rows, CSV_OPTIONS));
  });
});

describe('summary.json member walker', () => {
  it('finds each member of an object, whatever the strings inside hold', () => {
    const value = { a: 1, 'we"ird}': { b: ['}', '{', '"\\'], c: null }, d: 'x\u2028y', e: [], f: { g: { h: -1.5e-3 } }, t: true };
    for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
      const buf = Buffer.from(text);
      const members = [...objectMembers(buf)];
      assert.deepEqual(members.map((m) => m.key), Object.keys(value));
      for (const m of members) assert.deepEqual(parseMember(buf, m), (value as Record<string, unknown>)[m.key]);
      const nested = members.find((m) => m.key === 'f')!;
      assert.deepEqual([...objectMembers(buf, nested.start)].map((m) => m.key), ['g']);
    }
    assert.throws(() => [...objectMembers(Buffer.from('{"a": [1, 2'))], SyntaxError);
  });
});

describe('troupe report on a run directory', () => {
  it('writes every CSV, each parsing back to what summary.json and results.ndjson imply', async () => {
    const dir = await tempDir();
    try {
      const records = sampleRecords();
      const summary = await makeRunDir(dir, records);
      // In-process: what `troupe report DIR --format csv` calls (the command itself is tested below).
      const res = await buildReports(dir, ['csv']);
      assert.deepEqual(res.failed, []);

      const requests = await readCsv(dir, 'requests.csv');
      assert.equal(requests.length, records.length);
      const first = requests[0]!;
      assert.equal(first.persona, `'${PERSONAS[0]}`, 'formula-like persona neutralised');
      assert.equal(first.latency_ms, String(records[0]!.latencyMs));
      assert.equal(first.started_at, new Date(records[0]!.startedAt).toISOString());
      assert.ok(requests.some((r) => r.persona === 'Zoë\nmultiline' && r.location === `'\ttab loc`));
      assert.ok(requests.some((r) => r.location === `'\rcr loc`));
      assert.ok(requests.every((r) => r.run_status === 'complete'));

      const personas = await readCsv(dir, 'personas.csv');
      assert.equal(personas.length, PERSONAS.length);
      for (const row of personas) {
        const name = row.persona!.startsWith("'") ? row.persona!.slice(1) : row.persona!;
        const s = summary.personas[name]!;
        assert.ok(s, `persona ${name} in summary`);
        assert.equal(Number(row.requests), s.requests);
        assert.equal(Number(row.errors), s.errors);
        assert.equal(Number(row.p95_ms), s.latency.p95);
        assert.equal(Number(row.cache_hits), s.cache.hit);
        assert.equal(row.hit_rate, s.cache.hitRate === null ? '' : String(s.cache.hitRate));
      }

      const locations = await readCsv(dir, 'locations.csv');
      assert.equal(locations.filter((r) => r.scope === 'location').length, LOCATIONS.length);
      assert.equal(locations.filter((r) => r.scope === 'persona_location').length, PERSONAS.length * LOCATIONS.length);
      const pairTotal = locations.filter((r) => r.scope === 'persona_location').reduce((n, r) => n + Number(r.requests), 0);
      assert.equal(pairTotal, records.length);

      const percentiles = await readCsv(dir, 'percentiles.csv');
      const scopes = 1 + PERSONAS.length + LOCATIONS.length + Object.keys(summary.steps).length + Object.keys(summary.cacheStatus).length;
      assert.equal(percentiles.length, scopes * 7);
      const globalP99 = percentiles.find((r) => r.scope_type === 'global' && r.percentile === 'p99')!;
      assert.equal(Number(globalP99.latency_ms), summary.global.latency.p99);

      const errors = await readCsv(dir, 'errors.csv');
      assert.equal(errors.reduce((n, r) => n + Number(r.count), 0), summary.global.errors);
      const byCode: Record<string, number> = {};
      for (const row of errors) byCode[row.error_code!] = (byCode[row.error_code!] ?? 0) + Number(row.count);
      assert.deepEqual(byCode, summary.global.errorCodes);
      const http = errors.find((r) => r.error_code === 'http_5xx')!;
      assert.equal(http.http_status, '503');
      assert.ok(http.example_message!.startsWith(`'=cmd`), 'formula-like message neutralised');
      const failed = records.filter((r) => r.error === 'http_5xx').map((r) => r.startedAt);
      assert.equal(http.first_seen, new Date(Math.min(...failed)).toISOString());
      assert.equal(http.last_seen, new Date(Math.max(...failed)).toISOString());

      const series = await readCsv(dir, 'timeseries.csv');
      assert.equal(series.reduce((n, r) => n + Number(r.completed), 0), records.length);
      assert.equal(series.reduce((n, r) => n + Number(r.started), 0), records.length);
      assert.equal(series.reduce((n, r) => n + Number(r.errors), 0), summary.global.errors);
      assert.equal(series.at(-1)!.in_flight, '0');
      assert.ok(series.length >= 6);

      const cache = await readCsv(dir, 'cache.csv');
      assert.equal(cache.length, PERSONAS.length + LOCATIONS.length);
      const plain = cache.find((r) => r.scope === 'plain')!;
      const s = summary.personas.plain!;
      assert.equal(Number(plain.hits), s.cache.hit);
      assert.equal(Number(plain.miss_p50_ms), s.missLatency!.p50);
      assert.equal(Number(plain.speedup_miss_p50_over_hit_p50), Math.round((s.missLatency!.p50! / s.hitLatency!.p50!) * 100) / 100);

      const raw = await readFile(join(dir, 'csv', 'personas.csv'), 'utf8');
      assert.match(raw, /\r\n$/, 'CRLF record delimiter');
      assert.ok(!(await readFile(join(dir, 'csv', 'requests.csv'), 'utf8')).includes('\n=HYPERLINK'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('marks every artifact of an interrupted run with a cut-off last line', async () => {
    const dir = await tempDir();
    try {
      const records = sampleRecords();
      await makeRunDir(dir, records, { status: 'interrupted', cutOffTail: true });
      // In-process: what `troupe report DIR` calls; the command prints these notes on stderr, one
      // `troupe: ` line each (a spawn cost more than this test's checks; the command's spawned path is
      // the README's `troupe report` line in reports-cli.test.ts).
      const res = await buildReports(dir);
      assert.deepEqual(res.failed, []);
      assert.match(res.notes.join('\n'), /INTERRUPTED/);
      assert.match(res.notes.join('\n'), /cut off/);
      for (const name of ['requests.csv', 'personas.csv', 'locations.csv', 'steps.csv', 'percentiles.csv', 'errors.csv', 'timeseries.csv', 'cache.csv']) {
        const rows = await readCsv(dir, name);
        assert.ok(rows.every((r) => r.run_status === 'interrupted'), `${name} marked interrupted`);
      }
      assert.equal((await readCsv(dir, 'requests.csv')).length, records.length, 'the cut-off line is not a row');
      const pages = await pdfPages(join(dir, 'report.pdf'));
      assert.match(pages[0]!, /This run is INTERRUPTED/);
      for (const page of pages) assert.match(page, /INTERRUPTED RUN: partial results/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rebuilds the summary from results.ndjson when the run died before writing summary.json', async () => {
    const dir = await tempDir();
    try {
      const records = sampleRecords();
      await makeRunDir(dir, records, { status: 'running', noSummary: true, cutOffTail: true });
      const res = await buildReports(dir, ['csv']);
      assert.deepEqual(res.failed, []);
      const personas = await readCsv(dir, 'personas.csv');
      assert.equal(personas.reduce((n, r) => n + Number(r.requests), 0), records.length);
      assert.ok(personas.every((r) => r.run_status === 'interrupted'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown format, naming the valid ones, and a folder that is not a run directory', async () => {
    const dir = await tempDir();
    try {
      await makeRunDir(dir, sampleRecords());
      const empty = await tempDir();
      const [bad, none] = await Promise.all([runCli(['report', dir, '--format', 'csv,xlsx']), runCli(['report', empty])]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown format "xlsx"; valid formats: csv, pdf/);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /is not a run directory/);
      await rm(empty, { recursive: true, force: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
