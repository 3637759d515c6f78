/**
 * The open model on real time against a loopback server: the achieved arrival rate, and honest latency
 * when the server stalls (coordinated omission). Bounded: 3 s and 4 s of arrivals (as short as a 3 %
 * rate and a 1 % tail allow), at most 60 s per run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import type { RunSummary } from '../src/run-dir/types.js';
import { run } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';

interface StallServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/** Answers at once, except that `freezeAfterMs` after its first request it stops answering for `freezeMs` (once). */
async function startStallServer(freezeAfterMs: number | null, freezeMs = 1000): Promise<StallServer> {
  let first: number | null = null;
  const timers = new Set<NodeJS.Timeout>();
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    state.requests++;
    const now = performance.now();
    first ??= now;
    const body = JSON.stringify({ ok: true, path: req.url });
    const answer = () => {
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const freezeStart = freezeAfterMs === null ? Infinity : first + freezeAfterMs;
    if (now >= freezeStart && now < freezeStart + freezeMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, freezeStart + freezeMs - now);
      timers.add(timer);
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Through the in-process API (the CLI is not the subject here; a spawn only adds start-up time). */
async function openRun(target: string, load: string): Promise<{ summary: RunSummary; results: ResultRecord[] }> {
  const dir = await writeProject({
    config: `name: open\ntarget: ${target}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/item/{{location.id}}" }\n${load}\n`,
    personas: { 'p.yaml': 'name: Pat\n' },
    locations: locationsCsv(20),
  });
  // The 60 s bound the spawn had: a run past it is stopped and fails the status assertion.
  const result = await run({ cwd: dir, out: await tempDir('troupe-open-'), signal: AbortSignal.timeout(60_000) });
  assert.equal(result.status, 'complete');
  const results = (await readFile(join(result.runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
  return { summary: result.summary, results };
}

test('200 arrivals/s for 3 s on real time achieve the rate within 3 %', async (t) => {
  const server = await startStallServer(null);
  t.after(() => server.close());
  const { summary, results } = await openRun(server.url, 'load: { phases: [{ duration: 3s, rate: 200 }] }');
  const starts = results.map((r) => r.startedAt).sort((a, b) => a - b);
  const spanRate = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
  console.log(`realtime: ${results.length} requests, summary.load ${JSON.stringify({ ...summary.load, phases: undefined })}, rate from send times ${spanRate.toFixed(2)}/s`);
  assert.ok(Math.abs(results.length - 600) <= 1, `${results.length} requests`);
  assert.equal(server.requests, results.length);
  assert.equal(summary.load!.dropped, 0);
  assert.ok(Math.abs(summary.load!.achievedRate! - 200) / 200 <= 0.03, `achieved ${summary.load!.achievedRate}/s`);
  assert.ok(Math.abs(spanRate - 200) / 200 <= 0.03, `send times give ${spanRate}/s`);
  assert.ok(results.every((r) => r.ok && typeof r.responseTimeMs === 'number' && typeof r.scheduledAt === 'number'));
  assert.ok(results.every((r) => r.responseTimeMs! + 0.01 >= r.latencyMs), 'response time includes the service time');
  assert.ok(/^pat\/l\d+\/\d+$/.test(results[0]!.id), results[0]!.id);
});

test('a 1 s stall shows in the corrected response time, not in the service time', async (t) => {
  // The stall (1 s to 2 s) is a third of the 600 arrivals; the four requests caught in it are 0.67 %,
  // below the service time's p99 (a 4 s run made that 0.5 %; under 2 s they would reach 1 %).
  const server = await startStallServer(1000, 1000);
  t.after(() => server.close());
  // Four journeys at once, like a client with four connections: what was due during the stall waits.
  const { summary } = await openRun(server.url, 'load: { phases: [{ duration: 3s, rate: 200 }], concurrency: 4 }');
  const service = summary.global.latency;
  const corrected = summary.global.responseTime!;
  console.log(`stall: service p99 ${service.p99} ms (max ${service.max}), corrected p99 ${corrected.p99} ms (p90 ${corrected.p90}, max ${corrected.max}); requests ${summary.global.requests}, dropped ${summary.load!.dropped}`);
  assert.ok(corrected.p99! >= 900, `corrected p99 ${corrected.p99}`);
  assert.ok(service.p99! < 500, `service p99 ${service.p99}`);
  assert.ok(service.max! >= 500, 'the stalled requests themselves are in the service time');
  assert.ok(summary.global.histograms.responseTime, 'the corrected histogram is stored, so it merges');
  assert.ok(summary.personas['Pat']!.responseTime!.p99! >= 900);
});
