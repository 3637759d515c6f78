#!/usr/bin/env node
// What `troupe bench` adds to autocannon's per-response work, in ns, without a network: autocannon's
// own request queue (lib/pipelinedRequestsQueue.js) and the part of its run.js that counts a response
// (status class, latency histogram, bytes) are driven in a loop with nginx's headers and body, bare and
// with troupe's recording as `troupe bench` sets it up (src/bench/run.ts): troupe's own queue, the tape,
// the histograms, results.tape in a temporary directory. Each mode runs in its own process (pinned to
// core 0 where there are two), the modes interleaved, and the figure is each mode's fastest round:
// the machine's noise only ever adds.
//
//   npm run build && node bench/per-response.mjs [--responses N] [--processes K] [--json]
//
// Modes (each includes the ones above it):
//   autocannon  autocannon's queue and counting alone (its body string built, as autocannon does)
//   queue       troupe's queue in autocannon's place: cache status, body bytes, end time (no body string)
//   tape        + the responses written into the tape's arrays, a batch handed on every 800
//   metrics     + the batches recorded into the histograms (RunMetrics.addResponses)
//   troupe      + the batches written to results.tape: all of `troupe bench`'s per-response work
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { corePlan, pinned } from './machine.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODES = ['autocannon', 'queue', 'tape', 'metrics', 'troupe'];
// ≈ 10 ms of responses at 80,000 a second: what BenchTape's timer hands on at once against nginx.
const BATCH = 800;

const { values } = parseArgs({
  options: {
    responses: { type: 'string', default: '2000000' },
    processes: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    mode: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write('usage: node bench/per-response.mjs [--responses N] [--processes K] [--rounds R] [--json]\n' +
    '  --responses N  responses a round (default 2,000,000)\n  --rounds R     rounds a process, the fastest counts (default 5)\n' +
    '  --processes K  processes a mode, interleaved with the other modes (default 3)\n  --json         one JSON document\n');
  process.exit(0);
}
const responses = Number(values.responses);
const rounds = Number(values.rounds);
const processes = Number(values.processes);
for (const [name, n] of [['--responses', responses], ['--rounds', rounds], ['--processes', processes]]) {
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`per-response: ${name}: expected a positive integer\n`);
    process.exit(2);
  }
}

if (values.mode !== undefined) {
  process.stdout.write(`${JSON.stringify(await measure(values.mode))}\n`);
  process.exit(0);
}

const plan = corePlan();
const best = Object.fromEntries(MODES.map((m) => [m, Infinity]));
for (let p = 0; p < processes; p++) {
  for (const mode of MODES) {
    const [command, args] = pinned(plan, 'generator', process.execPath, [fileURLToPath(import.meta.url), '--mode', mode, '--responses', String(responses), '--rounds', String(rounds)]);
    const out = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
    if (out.status !== 0) {
      process.stderr.write(`per-response: ${mode} failed (${out.status ?? out.signal}): ${out.stderr.trim()}\n`);
      process.exit(1);
    }
    best[mode] = Math.min(best[mode], JSON.parse(out.stdout).ns);
  }
}
const figures = MODES.map((mode, i) => ({ mode, ns: round1(best[mode]), step: i === 0 ? null : round1(best[mode] - best[MODES[i - 1]]) }));
const added = round1(best.troupe - best.autocannon);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, cores: plan.describe, responses, rounds, processes, figures, troupeMinusAutocannonNs: added }, null, 2)}\n`);
} else {
  const lines = [`per-response: node ${process.version}, ${plan.describe}; fastest of ${processes} × ${rounds} rounds of ${responses.toLocaleString('en-US')} responses`, ''];
  lines.push('mode         ns/response   step');
  for (const f of figures) lines.push(`${f.mode.padEnd(12)} ${f.ns.toFixed(1).padStart(11)}   ${f.step === null ? '' : `${f.step >= 0 ? '+' : ''}${f.step.toFixed(1)}`}`);
  lines.push('', `troupe − autocannon: ${added >= 0 ? '+' : ''}${added.toFixed(1)} ns a response (negative: troupe bench does less per response than autocannon alone)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function round1(n) {
  return Math.round(n * 10) / 10;
}

/** One process, one mode: the fastest of `rounds` rounds, ns a response. */
async function measure(mode) {
  const require = createRequire(join(ROOT, 'package.json'));
  const Queue = require('autocannon/lib/pipelinedRequestsQueue.js');
  const hdr = require('hdr-histogram-js');
  const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', 'src', path)).href);
  const { watchResponses } = await dist('bench/autocannon.js');
  const { CacheMemo, LastHeaders } = await dist('bench/recorder.js');
  const { BenchTape } = await dist('bench/tape.js');
  const { RunMetrics } = await dist('metrics/run-metrics.js');
  const { ResultsTapeWriter } = await dist('run-dir/results-tape.js');

  // autocannon's run.js, per response: the status class, the latency histogram, the bytes.
  const latencies = hdr.build({ useWebAssembly: false });
  const statusCodes = [0, 0, 0, 0, 0];
  let allBytes = 0;
  const countResponse = (statusCode, resBytes, responseTime) => {
    statusCodes[Math.floor(parseInt(statusCode) / 100) - 1] += 1;
    latencies.recordValue(responseTime);
    allBytes += resBytes;
  };

  const client = { pipelinedRequests: new Queue(), destroyed: false, on() {} };
  const dir = mkdtempSync(join(tmpdir(), 'troupe-per-response-'));
  let tape = null;
  let file = null;
  try {
    if (mode !== 'autocannon') {
      const metrics = new RunMetrics();
      file = mode === 'troupe' ? ResultsTapeWriter.create(dir, { persona: 'bench', location: '/', step: 'request', method: 'GET', url: 'http://127.0.0.1/' }) : null;
      const sink = {
        record: (r) => metrics.addUniform(r),
        responseRecords: false,
        responses: (block) => {
          if (mode === 'metrics' || mode === 'troupe') metrics.addResponses('bench', block);
          file?.responses(block);
        },
      };
      // No timer: the loop hands a batch on every BATCH responses.
      const benchTape = new BenchTape('http://127.0.0.1/', '/', 'GET', sink, { timeout: () => () => {} });
      if (mode === 'queue') watchResponses(client, new LastHeaders(new CacheMemo()), () => {});
      else {
        tape = benchTape;
        watchResponses(client, new LastHeaders(new CacheMemo()), (status, ms, bytes, cache, endAt) => benchTape.response(status, ms, bytes, cache, endAt));
      }
    }
    // nginx's answer in bench/machine.mjs: these headers, an 11-byte body.
    const headers = { statusCode: 200, headers: ['Server', 'nginx/1.22.1', 'Date', new Date().toUTCString(), 'Content-Type', 'application/json', 'Content-Length', '11', 'Connection', 'keep-alive', 'X-Cache', 'HIT'] };
    const chunk = Buffer.from('HTTP/1.1 200 OK\r\nX-Cache: HIT\r\n\r\n{"ok":true}');
    const queue = client.pipelinedRequests;
    const one = () => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < responses; i++) {
        queue.insertRequest(null);
        queue.addByteCount(chunk.length);
        queue.setHeaders(headers);
        queue.addBody(chunk.subarray(chunk.length - 11));
        const done = queue.terminateRequest();
        countResponse(done.headers.statusCode, done.bytes, done.duration);
        if (tape !== null && i % BATCH === BATCH - 1) tape.flush();
      }
      tape?.flush();
      return Number(process.hrtime.bigint() - start) / responses;
    };
    let ns = Infinity;
    for (let r = 0; r < rounds; r++) ns = Math.min(ns, one());
    return { mode, ns, counted: statusCodes[1], bytes: allBytes };
  } finally {
    file?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
