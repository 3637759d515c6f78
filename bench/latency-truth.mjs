#!/usr/bin/env node
// Latency truth: how far a tool's latency figures are from the target's own. A Node server that waits
// 20 ms per request and measures its own service time (bench/slow-server.mjs) is driven at light load
// (10 connections, ≈ 480 req/s) by autocannon, wrk (when installed) and troupe in turn, each pinned to
// core 0 with the server on core 1 (when the machine has two cores). After each tool the server's own
// p50/p99/max for that tool's requests are read, and the tool's figures are compared with them.
//
//   npm run build && node bench/latency-truth.mjs [--duration S] [--connections N] [--delay MS] [--json]
//        [--runs N] [--tools autocannon,wrk,troupe] [--per-request] [--node-arg ARG …]
//
// --runs N runs troupe N times (each against the server's figures for that run) and reports the
// median difference per figure beside each run's; --per-request sends `X-Seq: {{iteration}}` and joins
// troupe's results.ndjson with the server's per-request log, to show where troupe's extra time goes
// (the overhead distribution, and when in the second the worst requests started); --node-arg passes
// flags to troupe's node (e.g. --trace-gc, --cpu-prof --cpu-prof-dir=DIR); --save DIR keeps each troupe
// run's stdout, results.ndjson and the server's per-request log there; --compare DIR alternates each
// troupe run with one of the checkout in DIR (its bin/troupe.js, built), A B A B, each with its medians.
//
// Targets (issue 12): troupe's p50 within 0.5 ms, p99 within 1 ms and max within 5 ms of the server's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { corePlan, machineLoad, pinned } from './machine.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const TROUPE = join(ROOT, 'bin', 'troupe.js');
const WRK = '/usr/bin/wrk';
const CORES = corePlan();
const TARGETS = { p50: 0.5, p99: 1, max: 5 };

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    delay: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    tools: { type: 'string', default: 'autocannon,wrk,troupe' },
    'per-request': { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
    save: { type: 'string' },
    compare: { type: 'string' },
  },
});
const runs = Number(values.runs);
const wanted = new Set(values.tools.split(','));
const perRequest = values['per-request'];
const duration = Number(values.duration);
const connections = Number(values.connections);
const delay = Number(values.delay);
if (!(duration > 0) || !(connections >= 1) || !(delay >= 0) || !(Number.isInteger(runs) && runs >= 1) || [...wanted].some((t) => !['autocannon', 'wrk', 'troupe'].includes(t))) {
  process.stderr.write('latency-truth: --duration S (> 0), --connections N (≥ 1), --delay MS (≥ 0), --runs N (≥ 1), --tools autocannon,wrk,troupe\n');
  process.exit(2);
}
const log = (m) => process.stderr.write(`latency-truth: ${m}\n`);
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function run(command, args, { env, timeoutMs }) {
  const [cmd, a] = pinned(CORES, 'generator', command, args);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c.slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code !== 0) reject(new Error(`${command} exited ${code}: ${stderr.slice(-1500)}`));
      else resolvePromise(stdout);
    });
  });
}

async function startServer() {
  const [cmd, args] = pinned(CORES, 'target', process.execPath, [join(ROOT, 'bench', 'slow-server.mjs')]);
  const child = spawn(cmd, args, { env: { ...process.env, DELAY_MS: String(delay) }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const port = await new Promise((resolvePromise, reject) => {
    child.stdout.setEncoding('utf8').once('data', (line) => resolvePromise(Number(line.trim())));
    child.once('exit', () => reject(new Error('slow server exited before printing its port')));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const truth = async (url) => (await fetch(`${url}/__truth`)).json();
const serverLog = async (url) => (await fetch(`${url}/__log`)).json();

async function autocannon(url) {
  const out = JSON.parse(await run(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', String(duration), '--json', `${url}/`], { timeoutMs: duration * 3000 + 30_000 }));
  // autocannon's latency figures are whole milliseconds (its histogram's resolution): said in the table.
  return { tool: 'autocannon', requests: out.requests.total, p50: out.latency.p50, p99: out.latency.p99, max: out.latency.max };
}

async function wrk(url) {
  // --latency prints the distribution; -d is seconds, one thread per core the generator has.
  const out = await run(WRK, ['-t', '1', '-c', String(connections), '-d', `${duration}s`, '--latency', `${url}/`], { timeoutMs: duration * 3000 + 30_000 });
  const ms = (text) => {
    const m = /([\d.]+)(us|ms|s)\b/.exec(text);
    if (!m) return null;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const pick = (label) => ms(new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const latencyLine = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { tool: 'wrk', requests, p50: pick('50%'), p99: pick('99%'), max: latencyLine ? ms(latencyLine[3]) : null };
}

async function troupe(url, iterations, dir, label, bin = TROUPE) {
  await rm(join(dir, 'out'), { recursive: true, force: true });
  await writeFile(join(dir, 'persona.yaml'), 'name: truth\n');
  await writeFile(join(dir, 'locations.csv'), 'id,name\nlocal,Local\n');
  await writeFile(join(dir, 'troupe.yaml'), [
    'name: latency-truth', `target: ${url}`, 'personas: persona.yaml', 'locations: locations.csv',
    'request:', '  method: GET', '  path: /', ...(perRequest ? ['  headers: { X-Seq: "{{iteration}}" }'] : []),
    `concurrency: ${connections}`, `iterations: ${iterations}`, '',
  ].join('\n'));
  const stdout = await run(process.execPath, [...values['node-arg'], bin, 'run', '--config', join(dir, 'troupe.yaml'), '--out', join(dir, 'out'), '--no-progress', '--no-reports'], { env: { NO_COLOR: '1' }, timeoutMs: duration * 5000 + 30_000 });
  const [runDir] = await readdir(join(dir, 'out'));
  if (values.save) {
    await mkdir(values.save, { recursive: true });
    const base = join(values.save, label.replace(/\W+/g, '-'));
    await writeFile(`${base}.stdout`, stdout);
    await copyFile(join(dir, 'out', runDir, 'results.ndjson'), `${base}.results.ndjson`);
  }
  const summary = JSON.parse(await readFile(join(dir, 'out', runDir, 'summary.json'), 'utf8'));
  const l = summary.global.latency;
  const row = { tool: label, requests: summary.global.requests, p50: l.p50, p99: l.p99, max: l.max, generator: summary.generator };
  if (perRequest) row.results = (await readFile(join(dir, 'out', runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  return row;
}

/**
 * troupe's latency minus the server's service time, request by request (joined on X-Seq = iteration):
 * the distribution of that overhead, and the worst requests with when they started (ms into the run,
 * and into their wall-clock second: periodic work shows as a phase).
 */
function overhead(results, log) {
  const server = new Map(log.map(([seq, at, ms]) => [seq, { at, ms }]));
  const joined = [];
  for (const r of results) {
    const s = server.get(r.iteration);
    if (s && r.ok) joined.push({ seq: r.iteration, extra: r.latencyMs - s.ms, at: s.at, troupe: r.latencyMs, server: s.ms });
  }
  if (joined.length === 0) return null;
  const sorted = joined.map((j) => j.extra).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const t0 = Math.min(...joined.map((j) => j.at));
  const worst = [...joined].sort((a, b) => b.extra - a.extra).slice(0, 15).map((j) => ({ seq: j.seq, extraMs: j.extra, troupeMs: j.troupe, serverMs: j.server, intoRunMs: j.at - t0, intoSecondMs: j.at % 1000 }));
  return { joined: joined.length, extra: { p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: sorted.at(-1) }, worst };
}

const median = (list) => {
  const s = list.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = await mkdtemp(join(tmpdir(), 'troupe-latency-truth-'));
const server = await startServer();
const rows = [];
try {
  log(`server waits ${delay} ms; ${connections} connections, ${duration} s per tool; ${CORES.describe}`);
  log('warm-up: autocannon 2 s (not measured)');
  await run(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', '2', `${server.url}/`], { timeoutMs: 30_000 });
  await truth(server.url);
  const tools = [
    ...(wanted.has('autocannon') ? [['autocannon', () => autocannon(server.url)]] : []),
    ...(wanted.has('wrk') && existsSync(WRK) ? [['wrk', () => wrk(server.url)]] : []),
  ];
  let expected = 0;
  const load = machineLoad([server.child.pid]);
  for (const [name, fn] of tools) {
    log(name);
    load.start();
    const tool = await fn();
    expected ||= tool.requests;
    rows.push({ ...tool, server: await truth(server.url), load: load.stop() });
  }
  // Without a tool before it, troupe does what one connection does at `delay` ms, times the connections.
  expected ||= Math.round((connections * duration * 1000) / (delay + 1.3));
  if (wanted.has('troupe')) {
    const builds = [['troupe', TROUPE], ...(values.compare ? [['base', join(resolve(values.compare), 'bin', 'troupe.js')]] : [])];
    for (let i = 1; i <= runs; i++) for (const [name, bin] of builds) {
      const label = runs > 1 ? `${name} #${i}` : name;
      log(`${label}: ${expected} requests${tools.length ? ` (what ${tools[0][0]} did in ${duration} s)` : ''}`);
      await serverLog(server.url);
      load.start();
      const row = await troupe(server.url, expected, dir, label, bin);
      row.load = load.stop();
      row.server = await truth(server.url);
      if (perRequest) {
        const perRequestLog = await serverLog(server.url);
        if (values.save) await writeFile(join(values.save, `${label.replace(/\W+/g, '-')}.server.json`), JSON.stringify(perRequestLog));
        row.overhead = overhead(row.results, perRequestLog);
        delete row.results;
      }
      rows.push(row);
    }
  }
} finally {
  server.child.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}

const fmt = (n, d = 2) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
const diff = (row, key) => (row[key] === null || row.server[key] === null ? null : row[key] - row.server[key]);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ delayMs: delay, connections, durationS: duration, cores: CORES.describe, node: process.version, cpus: cpus().length, rows }, null, 2)}\n`);
} else {
  const out = [];
  out.push(`latency truth: server waits ${delay} ms, ${connections} connections, ${duration} s per tool; node ${process.version}; ${CORES.describe}`);
  out.push('');
  out.push('tool        requests   tool p50 / p99 / max (ms)    server p50 / p99 / max     tool − server p50 / p99 / max   others');
  for (const r of rows) {
    out.push(`${r.tool.padEnd(10)} ${String(r.requests).padStart(9)}   ${[r.p50, r.p99, r.max].map((n) => fmt(n).padStart(7)).join(' ')}    ${[r.server.p50, r.server.p99, r.server.max].map((n) => fmt(n).padStart(7)).join(' ')}   ${['p50', 'p99', 'max'].map((k) => fmt(diff(r, k)).padStart(7)).join(' ')}   ${r.load ? `${fmt(r.load.othersPct, 0).padStart(4)} %` : '–'}`);
  }
  out.push('(autocannon reports whole milliseconds; the server measures from the socket read that brought the request to the');
  out.push(' response handed to the kernel; others: CPU other processes used meanwhile, % of one core; a busy machine skews every tool)');
  const troupeRows = rows.filter((r) => r.tool.startsWith('troupe'));
  const baseRows = rows.filter((r) => r.tool.startsWith('base'));
  for (const r of [...troupeRows, ...baseRows]) {
    if (!r.overhead) continue;
    const o = r.overhead;
    out.push('');
    out.push(`${r.tool} − server, per request (${o.joined} joined on X-Seq): p50 ${fmt(o.extra.p50, 3)}  p90 ${fmt(o.extra.p90, 3)}  p99 ${fmt(o.extra.p99, 3)}  p99.9 ${fmt(o.extra.p999, 3)}  max ${fmt(o.extra.max, 3)} ms`);
    out.push(`  worst: ${o.worst.map((w) => `#${w.seq} +${fmt(w.extraMs, 2)} @${Math.round(w.intoRunMs)}ms (${Math.round(w.intoSecondMs)})`).join(', ')}`);
    const g = r.generator?.loopDelayMs;
    if (g) out.push(`  troupe's own loop delay: p50 ${fmt(g.p50, 3)} p99 ${fmt(g.p99, 3)} max ${fmt(g.max, 3)} ms`);
  }
  if (troupeRows.length) {
    out.push('');
    const many = troupeRows.length > 1;
    for (const [k, limit] of Object.entries(TARGETS)) {
      // Several runs: the median of the runs' differences is the figure (a shared machine's outliers aside).
      const ds = troupeRows.map((r) => diff(r, k));
      const d = many ? median(ds) : ds[0];
      const each = many ? `   (runs: ${ds.map((v) => fmt(v)).join(', ')})` : '';
      out.push(`target: troupe ${k} within ${limit} ms of the server's${many ? ' (median)' : ''}   ${fmt(d)} ms  ${d === null ? 'n/a' : Math.abs(d) <= limit ? 'PASS' : 'MISS'}${each}`);
    }
    if (baseRows.length) {
      const perRequest = (list, key) => median(list.map((r) => r.overhead?.extra[key] ?? null));
      out.push('');
      out.push(`--compare ${values.compare}: median tool − server, this checkout vs base`);
      for (const k of Object.keys(TARGETS)) out.push(`  ${k}: ${fmt(median(troupeRows.map((r) => diff(r, k))))} vs ${fmt(median(baseRows.map((r) => diff(r, k))))} ms`);
      if (perRequest(troupeRows, 'p99') !== null) {
        for (const k of ['p50', 'p90', 'p99', 'p999', 'max']) out.push(`  per request ${k}: ${fmt(perRequest(troupeRows, k), 3)} vs ${fmt(perRequest(baseRows, k), 3)} ms`);
      }
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
