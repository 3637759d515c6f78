/**
 * Load over time on real time, through the in-process API against a loopback counting server:
 * `concurrency 20, duration 2s` (the figure was 10 s; 2 s of 200 ms visits keeps every
 * assertion — the server never sees more than 20 in flight, sees 20 for most of the run, and the run
 * ends within the duration + grace — at a fifth of the real time), and a short stages run whose
 * csv/timeseries.csv follows the schedule within ±1 VU each second. Each prints what it measured. The
 * README's "Load over time" commands are in readme-load-over-time.test.ts (not timing-sensitive).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { targetAt } from '../src/engine/vu-schedule.js';
import { run } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';

async function project(target: string, extra = ''): Promise<string> {
  return writeProject({
    config: `name: vus\ntarget: ${target}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/item/{{location.id}}" }\n${extra}`,
    personas: { 'p.yaml': 'name: Pat\n' },
    locations: locationsCsv(50),
  });
}

test('--concurrency 20 --duration 2s: never more than 20 in flight, 20 for most of the run, ends within the duration + grace', async (t) => {
  const server = await startCountingServer({ delayMs: 200 });
  t.after(() => server.close());
  const cwd = await project(server.url);
  const samples: number[] = [];
  // Measurement only: the server's own in-flight count, every 50 ms while the run lasts.
  const sampler = setInterval(() => {
    if (server.requests > 0) samples.push(server.inFlight);
  }, 50);
  t.after(() => clearInterval(sampler));
  const graceMs = 1000;
  const durationMs = 2000;
  const began = performance.now();
  const result = await run({ cwd, concurrency: 20, duration: durationMs, graceMs, out: await tempDir('vu-duration-') });
  const tookMs = performance.now() - began;
  clearInterval(sampler);
  const at20 = samples.filter((n) => n === 20).length / samples.length;
  console.log(`duration run: ${tookMs.toFixed(0)} ms, ${result.summary.global.requests} requests, server max in flight ${server.maxInFlight}, in flight 20 in ${(at20 * 100).toFixed(1)} % of ${samples.length} samples (range ${Math.min(...samples)}..${Math.max(...samples)}), peak VUs ${result.summary.vus?.peak}`);
  assert.equal(result.status, 'complete');
  assert.ok(server.maxInFlight <= 20, `max in flight ${server.maxInFlight}`);
  // "Most of the run": the samples include the first and the last second (VUs starting, the grace draining).
  assert.ok(at20 >= 0.6, `20 in flight in only ${(at20 * 100).toFixed(1)} % of the samples`);
  assert.ok(tookMs >= durationMs && tookMs <= durationMs + graceMs + 1500, `took ${tookMs.toFixed(0)} ms`);
  assert.equal(result.summary.vus?.peak, 20);
  assert.equal(result.summary.global.requests, server.requests);
});

test('stages 0 → 30 → 0 VUs: csv/timeseries.csv has the active VUs within ±1 of the schedule each second', async (t) => {
  const server = await startCountingServer({ delayMs: 10 });
  t.after(() => server.close());
  const stages = [{ durationMs: 1000, target: 30 }, { durationMs: 1000, target: 30 }, { durationMs: 2000, target: 0 }];
  const cwd = await project(server.url, 'startVUs: 0\nstages:\n  - { duration: 1s, target: 30 }\n  - { duration: 1s, target: 30 }\n  - { duration: 2s, target: 0 }\n');
  const result = await run({ cwd, outputs: ['csv'], out: await tempDir('vu-stages-') });
  assert.equal(result.status, 'complete');
  const csv = (await readFile(join(result.runDir, 'csv', 'timeseries.csv'), 'utf8')).trim().split('\n');
  const header = csv[0]!.split(',');
  const second = header.indexOf('second');
  const active = header.indexOf('active_vus');
  assert.ok(active > 0, header.join(','));
  const start = result.summary.vus!.scheduleStartedAt;
  const offs: number[] = [];
  for (const line of csv.slice(1)) {
    const cells = line.split(',');
    // The value is at the end of the second: compare with the schedule just before the next one starts.
    const end = Date.parse(cells[second]!) + 1000 - start;
    const scheduled = targetAt(stages, 0, Math.min(end - 1, 4000));
    offs.push(Number(cells[active]) - scheduled);
  }
  console.log(`stages run: ${csv.length - 1} seconds, active − scheduled per second: ${offs.join(' ')} (range ${Math.min(...offs)}..${Math.max(...offs)}), peak ${result.summary.vus!.peak}`);
  assert.ok(offs.length >= 4);
  assert.ok(offs.every((d) => Math.abs(d) <= 1), offs.join(' '));
  assert.equal(result.summary.vus!.peak, 30);
  assert.ok(server.maxInFlight <= 30);
});

test('shards of a duration run split the VUs (sum = the single run) with disjoint ids; a resumed duration run runs the remaining time and says so', async (t) => {
  const server = await startCountingServer({ delayMs: 20 });
  t.after(() => server.close());
  const cwd = await project(server.url);
  const out = await tempDir('vu-shards-');
  // The split is the subject, not the time: both shards at once, for half a second (dozens of visits each).
  const shards = await Promise.all([1, 2].map((index) => run({ cwd, concurrency: 3, duration: 500, shard: { index, count: 2 }, out })));
  assert.deepEqual(shards.map((s) => s.summary.concurrency), [2, 1]);
  assert.deepEqual(shards.map((s) => s.summary.vus!.peak), [2, 1]);
  const ids = shards.map((s) => readFile(join(s.runDir, 'results.ndjson'), 'utf8').then((text) => text.trim().split('\n').map((l) => JSON.parse(l).id as string)));
  const [a, b] = await Promise.all(ids);
  assert.equal(new Set([...a!, ...b!]).size, a!.length + b!.length, 'no id in both shards, none twice');

  // Interrupted after 700 ms of a 2 s run, then resumed: the rest of the time, not 2 s again.
  const first = await run({ cwd, concurrency: 2, duration: 2000, graceMs: 1000, signal: AbortSignal.timeout(700), out: await tempDir('vu-resume-') });
  assert.equal(first.status, 'interrupted');
  const began = performance.now();
  const resumed = await run({ cwd, concurrency: 2, duration: 2000, resume: first.runDir });
  const tookMs = performance.now() - began;
  const after = resumed.summary.vus!.resumedAfterMs!;
  console.log(`resume: earlier session ran ${after} ms of 2000; the resumed one took ${tookMs.toFixed(0)} ms`);
  assert.equal(resumed.status, 'complete');
  assert.ok(after >= 600 && after <= 1300, `${after} ms already run`);
  assert.ok(tookMs < 2000 - after + 1200, `resumed session took ${tookMs.toFixed(0)} ms`);
  const lines = (await readFile(join(resumed.runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).id as string);
  assert.equal(new Set(lines).size, lines.length, 'no visit twice across the sessions');
});
