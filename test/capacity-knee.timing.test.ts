/**
 * The capacity sweep's knee against a server that serves 4 at a time: throughput measured in real time,
 * so it runs in the timing group (normal priority, two at a time: scripts/test.mjs). In the parallel
 * group, at nice 19 beside the timing group's files, a level's second was sometimes starved: a 240 ms
 * stall in level 1 or 2 (p95 287 ms for a 50 ms service, 11.9 req/s where 2 connections give ~36)
 * put the knee at 1 in one suite run of five on 2026-12-02. The judgement rests on what contention
 * moves little: ratios between levels (a 20 % gain rule), the server's own peak, and a ± one step answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { capacityCsv, findKnee, renderCapacityTable, type LevelResult } from '../src/bench/capacity.js';
import { measureUrl } from '../src/bench/sweep.js';

/** Serves at most `limit` requests at a time, each for `serviceMs`; the rest wait in a queue. */
async function startLimitedServer(limit: number, serviceMs: number): Promise<{ url: string; maxInFlight: () => number; close(): Promise<void> }> {
  let active = 0;
  let peak = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    while (active < limit && queue.length) {
      active++;
      peak = Math.max(peak, active);
      const serve = queue.shift()!;
      setTimeout(() => {
        serve();
        active--;
        next();
      }, serviceMs);
    }
  };
  const server = http.createServer((req, res) => {
    req.resume();
    queue.push(() => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Cache': 'MISS' });
      res.end('{"ok":true}');
    });
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`,
    maxInFlight: () => peak,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('a capacity sweep against a server that serves 4 at a time finds the knee at 4 (± one step)', async (t) => {
  // 50 ms of service, so scheduling jitter on a busy machine (a neighbouring test rendering a PDF)
  // stays small against it; a 20% gain rule, so a level measured a little low cannot hide the
  // knee: below the limit each level doubles the throughput, past it (8 → 16) nothing is gained.
  const limit = 4;
  const serviceMs = 50;
  const server = await startLimitedServer(limit, serviceMs);
  t.after(() => server.close());
  // In-process: what `troupe capacity URL --connections 1,2,4,8,16 --step-duration 1s --min-gain 20%`
  // measures and judges, level by level as sweep() does, without its capacity.pdf (the command, its
  // files and exit code are the next test's). The knee is the subject here.
  const measure = measureUrl({ url: server.url, connections: 1, durationS: 1, method: 'GET', headers: {}, pipelining: 1, timeoutS: 10 }, 'connections', 1000);
  const started = Date.now();
  const levels: LevelResult[] = [];
  for (const connections of [1, 2, 4, 8, 16]) levels.push(await measure(connections));
  const knee = findKnee(levels, { minGain: 0.2 });
  const table = renderCapacityTable('connections', levels, knee);
  console.log(`capacity sweep in ${Date.now() - started} ms\n${table}`);
  assert.equal(server.maxInFlight(), limit, 'the server never served more than its limit at once');
  const index = levels.findIndex((l) => l.level === knee.level);
  assert.ok(index >= 0 && Math.abs(index - 2) <= 1, `knee at ${knee.level} (${knee.reason}), expected ${limit} ± one step`);
  // Past the limit, throughput is capped by limit / service time (4 / 50 ms = 80 req/s) and is several
  // times one connection's (4× on an idle machine). Relative to the 1-connection level, not an absolute
  // floor: on a loaded machine every level is slower alike (seen: 10 req/s at 1, 47 at 16, where an
  // absolute "> 50" failed 2 in 7 runs beside a heavy neighbour). p95 grows with the queue.
  const top = levels.at(-1)!;
  const one = levels[0]!;
  assert.ok(top.rps < 100, `16 connections: ${top.rps} req/s, above the server's 4 / 50 ms = 80`);
  assert.ok(top.rps > 2 * one.rps, `16 connections: ${top.rps} req/s, not 2× 1 connection's ${one.rps} (4 at a time should give ~4×)`);
  assert.ok(top.p95! > 2 * serviceMs, `16 connections queue: p95 ${top.p95} ms`);
  const csv = capacityCsv('connections', levels, knee);
  assert.match(csv, /^connections,requests,errors,error_rate,rps,p50_ms,p95_ms,p99_ms,knee\r\n/);
  assert.equal(csv.trim().split('\r\n').filter((line) => line.endsWith(',1')).length, 1, 'one knee row');
  assert.match(table, /knee: connections \d+/);
});
