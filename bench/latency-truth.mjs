#!/usr/bin/env node
// Latency truth: how far a tool's latency figures are from the target's own. A Node server that waits
// 20 ms per request and measures its own service time (bench/slow-server.mjs) is driven at light load
// (10 connections, ≈ 480 req/s) by autocannon, wrk (when installed) and troupe in turn, each pinned to
// core 0 with the server on core 1 (when the machine has two cores). After each tool the server's own
// p50/p99/max for that tool's requests are read, and the tool's figures are compared with them.
//
//   npm run build && node bench/latency-truth.mjs [--duration S] [--connections N] [--delay MS] [--json]
//
// Targets (issue 12): troupe's p50 within 0.5 ms, p99 within 1 ms and max within 5 ms of the server's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { corePlan, pinned } from './machine.mjs';

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
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const delay = Number(values.delay);
if (!(duration > 0) || !(connections >= 1) || !(delay >= 0)) {
  process.stderr.write('latency-truth: --duration S (> 0), --connections N (≥ 1), --delay MS (≥ 0)\n');
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

async function troupe(url, iterations, dir) {
  await writeFile(join(dir, 'persona.yaml'), 'name: truth\n');
  await writeFile(join(dir, 'locations.csv'), 'id,name\nlocal,Local\n');
  await writeFile(join(dir, 'troupe.yaml'), [
    'name: latency-truth', `target: ${url}`, 'personas: persona.yaml', 'locations: locations.csv',
    'request:', '  method: GET', '  path: /', `concurrency: ${connections}`, `iterations: ${iterations}`, '',
  ].join('\n'));
  await run(process.execPath, [TROUPE, 'run', '--config', join(dir, 'troupe.yaml'), '--out', join(dir, 'out'), '--no-progress', '--no-reports'], { env: { NO_COLOR: '1' }, timeoutMs: duration * 5000 + 30_000 });
  const [runDir] = await readdir(join(dir, 'out'));
  const summary = JSON.parse(await readFile(join(dir, 'out', runDir, 'summary.json'), 'utf8'));
  const l = summary.global.latency;
  return { tool: 'troupe', requests: summary.global.requests, p50: l.p50, p99: l.p99, max: l.max, generator: summary.generator };
}

const dir = await mkdtemp(join(tmpdir(), 'troupe-latency-truth-'));
const server = await startServer();
const rows = [];
try {
  log(`server waits ${delay} ms; ${connections} connections, ${duration} s per tool; ${CORES.describe}`);
  log('warm-up: autocannon 2 s (not measured)');
  await run(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', '2', `${server.url}/`], { timeoutMs: 30_000 });
  await truth(server.url);
  const tools = [['autocannon', () => autocannon(server.url)], ...(existsSync(WRK) ? [['wrk', () => wrk(server.url)]] : [])];
  let expected = 0;
  for (const [name, fn] of tools) {
    log(name);
    const tool = await fn();
    expected ||= tool.requests;
    rows.push({ ...tool, server: await truth(server.url) });
  }
  log(`troupe: ${expected} requests (what autocannon did in ${duration} s)`);
  rows.push({ ...(await troupe(server.url, expected, dir)), server: await truth(server.url) });
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
  out.push('tool        requests   tool p50 / p99 / max (ms)    server p50 / p99 / max     tool − server p50 / p99 / max');
  for (const r of rows) {
    out.push(`${r.tool.padEnd(10)} ${String(r.requests).padStart(9)}   ${[r.p50, r.p99, r.max].map((n) => fmt(n).padStart(7)).join(' ')}    ${[r.server.p50, r.server.p99, r.server.max].map((n) => fmt(n).padStart(7)).join(' ')}   ${['p50', 'p99', 'max'].map((k) => fmt(diff(r, k)).padStart(7)).join(' ')}`);
  }
  out.push('(autocannon reports whole milliseconds; the server measures from request to last byte handed to the socket)');
  const t = rows.find((r) => r.tool === 'troupe');
  if (t) {
    out.push('');
    for (const [k, limit] of Object.entries(TARGETS)) {
      const d = diff(t, k);
      out.push(`target: troupe ${k} within ${limit} ms of the server's   ${fmt(d)} ms  ${d === null ? 'n/a' : Math.abs(d) <= limit ? 'PASS' : 'MISS'}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
