import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CAPACITY_FORMATS, capacityFigure, findKnee, geometricLevels, type LevelResult } from '../src/bench/capacity.js';
import { sweep } from '../src/bench/sweep.js';
import { parseFormatList } from '../src/inputs/format-list.js';
import { listDir, runCli, tempDir } from './helpers/cli.js';
import { pdfPages } from './fixtures/reports/read.js';
import { layoutFigure } from '../src/reports/charts/scene.js';
import { estimateWidth } from '../src/reports/charts/svg.js';

const level = (l: number, rps: number, p95 = 10, errorRate = 0): LevelResult => ({ level: l, requests: 100, errors: errorRate * 100, errorRate, rps, p50: p95 / 2, p95, p99: p95 });

test('findKnee: last level before a p95 or error limit, or before throughput gains fall under 5 %', () => {
  const rule = { minGain: 0.05 };
  assert.equal(findKnee([level(1, 50), level(2, 100), level(4, 200), level(8, 204), level(16, 199)], rule).level, 4);
  assert.equal(findKnee([level(1, 50), level(2, 100), level(4, 200, 90), level(8, 400, 300)], { ...rule, maxP95Ms: 100 }).level, 4);
  assert.equal(findKnee([level(1, 50), level(2, 100, 10, 0.02)], { ...rule, maxErrorRate: 0.01 }).level, 1);
  const none = findKnee([level(1, 50, 500)], { ...rule, maxP95Ms: 100 });
  assert.equal(none.level, null);
  assert.match(none.reason, /first level/);
  const beyond = findKnee([level(1, 50), level(2, 100)], rule);
  assert.deepEqual([beyond.verdict, beyond.level], ['none-in-range', null], 'the top of the range is not a knee');
  assert.match(beyond.reason, /no knee in the range: every level up to 2 gained/);
  const refused = findKnee([level(1, 50, 1, 1), level(2, 100, 1, 1), level(4, 200, 1, 1)], rule);
  assert.deepEqual([refused.verdict, refused.level], ['refused', null], 'a sweep of 401s has no knee');
  assert.match(refused.reason, /at the first level \(1\) 100\.0% of requests failed, and 3 of 3 levels/);
  assert.equal(findKnee([level(1, 50, 10, 0.4), level(2, 100), level(4, 102)], rule).verdict, 'knee', 'some errors at the first level are not a refusal');
  assert.deepEqual(geometricLevels(1, 20, 2), [1, 2, 4, 8, 16, 20]);
});

test('the capacity chart: throughput on the left axis, p95 dashed on the right, a tick per level, the knee a green rule', () => {
  const levels = [level(1, 20, 50), level(2, 40, 51), level(4, 79, 52), level(8, 80, 101), level(16, 80, 205), level(32, 81, 410)];
  const knee = findKnee(levels, { minGain: 0.2 });
  const figure = capacityFigure('connections', levels, knee);
  assert.equal(figure.xLog, true, '1 → 32 is a log axis');
  assert.equal(capacityFigure('connections', levels.slice(0, 3), knee).xLog, false, '1 → 4 is linear');
  const items = layoutFigure(figure, estimateWidth).items;
  const texts = items.flatMap((i) => (i.t === 'text' ? [i] : []));
  for (const l of ['1', '2', '4', '8', '16', '32']) assert.ok(texts.some((t) => t.text === l && t.anchor === 'middle'), `a tick label for level ${l}`);
  assert.equal(texts.find((t) => t.text === 'Throughput (req/s)')?.color, '#4c9be8');
  assert.equal(texts.find((t) => t.text === 'p95 latency (ms)')?.color, '#c0392b');
  const lines = items.flatMap((i) => (i.t === 'line' ? [i] : []));
  assert.ok(lines.some((l) => l.stroke === '#c0392b' && l.dash !== undefined && l.points.length === 6), 'p95 is a dashed line through the six levels');
  assert.ok(lines.some((l) => l.stroke === '#4c9be8' && l.dash === undefined && l.points.length === 6), 'throughput is a solid line');
  const rule = lines.filter((l) => l.stroke === '#1e7f4f');
  assert.equal(rule.length, 1, 'one knee rule');
  const dots = items.filter((i) => i.t === 'dot');
  // On a log axis the points of levels 2, 4 and 8 are evenly spaced, and the rule stands on level 4's.
  const xs = dots.filter((d) => d.t === 'dot' && d.fill === '#4c9be8').map((d) => (d as { x: number }).x);
  assert.ok(Math.abs((xs[2]! - xs[1]!) - (xs[3]! - xs[2]!)) < 0.01, `log spacing: ${xs.join(', ')}`);
  assert.ok(Math.abs(rule[0]!.points[0]![0] - xs[2]!) < 0.01);
  const none = capacityFigure('rate', [level(10, 100), level(20, 200)], findKnee([level(10, 100), level(20, 200)], { minGain: 0.05 }));
  assert.equal(none.xRule, null);
  assert.equal(none.subtitle, 'no knee found');
});

test('troupe capacity against a URL that answers 401 to everything refuses a knee and exits 1 with the reason; --format picks the files', async (t) => {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('unauthorized');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const out = await tempDir('troupe-capacity-401-');
  // A typo in --format is refused before the first level: no request, no folder.
  const typo = await runCli(['capacity', url, '--connections', '1', '--step-duration', '300ms', '--out', join(out, 'typo'), '--format', 'json,xlsx']);
  assert.equal(typo.code, 2, typo.stderr);
  assert.match(typo.stderr, /^troupe: --format: unknown format "xlsx"; valid formats: csv, json, pdf\n/);
  assert.equal(requests, 0, 'no level ran');
  assert.deepEqual(await listDir(out), []);
  // The sweep: capacity.csv is left out here (the sweep test below writes and reads it).
  const r = await runCli(['capacity', url, '--connections', '1,2', '--step-duration', '300ms', '--out', out, '--format', 'pdf,json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /knee: none \(no knee: at the first level \(1\) 100\.0% of requests failed/);
  const result = JSON.parse(await readFile(join(out, 'capacity.json'), 'utf8'));
  assert.deepEqual([result.knee.verdict, result.knee.level], ['refused', null]);
  assert.deepEqual((await listDir(out)).sort(), ['capacity.json', 'capacity.pdf'], 'only the formats asked for');
  assert.ok(r.stderr.endsWith(`${join(out, 'capacity.json')}\n${join(out, 'capacity.pdf')}\n`), r.stderr);
  // The one test that renders capacity.pdf, read back: the verdict and the levels.
  const text = (await pdfPages(join(out, 'capacity.pdf'))).join('\n').replace(/\s+/g, ' ');
  assert.match(text, /Capacity sweep .* 2 levels of connections · 0\.3 s each/);
  assert.match(text, /No knee: the measurements are mostly errors no knee: at the first level \(1\) 100\.0% of requests failed/);
  assert.match(text, /connections req\/s p50 p95 p99 errors 1 [\d.]+ .* 100\.00% 2 [\d.]+ .* 100\.00%/);
});

test('sweep() writes the files its formats name, in order: capacity.csv and capacity.json without the PDF', async () => {
  const out = await tempDir('troupe-capacity-formats-');
  const measured: number[] = [];
  // A measure of its own: the levels scale up to 4, then gain nothing (the knee is 4).
  const measure = async (l: number) => (measured.push(l), level(l, 50 * Math.min(l, 4)));
  const result = await sweep({ target: 'http://127.0.0.1:1/', kind: 'connections', levels: [1, 2, 4, 8], stepMs: 10, rule: { minGain: 0.05 }, measure, outDir: out, formats: ['json', 'csv'], log: () => {} });
  assert.deepEqual(measured, [1, 2, 4, 8]);
  assert.deepEqual(result.files, [join(out, 'capacity.csv'), join(out, 'capacity.json')], 'in CAPACITY_FORMATS order');
  assert.deepEqual((await listDir(out)).sort(), ['capacity.csv', 'capacity.json']);
  const csv = await readFile(join(out, 'capacity.csv'), 'utf8');
  assert.match(csv, /^connections,requests,errors,error_rate,rps,p50_ms,p95_ms,p99_ms,knee\r\n1,100,0,0,50,5,10,10,0\r\n/);
  assert.deepEqual(csv.trim().split('\r\n').filter((line) => line.endsWith(',1')).map((line) => line.split(',')[0]), ['4'], 'the knee row');
  const json = JSON.parse(await readFile(join(out, 'capacity.json'), 'utf8'));
  assert.deepEqual([json.knee.verdict, json.knee.level, json.interrupted, json.levels.length], ['knee', 4, false, 4]);
  assert.deepEqual(CAPACITY_FORMATS, ['csv', 'json', 'pdf'], 'the default: all three');
  assert.deepEqual(parseFormatList('JSON', CAPACITY_FORMATS), ['json']);
});
