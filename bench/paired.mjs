#!/usr/bin/env node
// `troupe bench` and bare autocannon at the same time, on the same core, against one nginx: each tool's
// requests are counted by nginx (its access log, one path per tool) over the same seconds. See
// bench/README.md ("paired.mjs").
//
//   npm run build && node bench/paired.mjs                       # 8 rounds of 10 s, 50 connections each
//   node bench/paired.mjs --compare /path/to/other/checkout      # troupe bench against another build's
//   node bench/paired.mjs --duration 5 --rounds 4 --json
//
// Why: run one after the other (bench/throughput.mjs), autocannon alone moved ±30 % between runs a
// minute apart on this kind of machine (other tenants of the host: CPU steal), so a 3 % difference
// took 15 rounds to show and still came and went. At the same time on one core, the two share the
// host's noise; the scheduler gives each half the core, so the ratio of their requests is the ratio of
// what a request costs each. The window starts once both are running and ends before either stops.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { corePlan, nginxAvailable, pinned, startNginx } from './machine.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const TARGET = 0.97; // issue 12: troupe bench ≥ 0.97× bare autocannon
/** Seconds left out once both tools are answered (connected, warm) and before the first could stop. */
const SETTLE_S = 1;
const TAIL_S = 1;
/** The shortest window a round may count. */
const MIN_WINDOW_S = 0.5;

function usage(message) {
  process.stderr.write(
    `paired: ${message}\n` +
      'usage: node bench/paired.mjs [--duration S] [--rounds N] [--connections N] [--compare DIR] [--json]\n' +
      '  --duration S     each tool runs S seconds per round (default 10; counted: from 1 s after both are answered to 1 s before the first could stop)\n' +
      '  --rounds N       rounds, which tool starts first alternating (default 8)\n' +
      '  --connections N  connections per tool (default 50)\n' +
      "  --compare DIR    the other side is troupe bench of the built checkout in DIR, not autocannon\n" +
      '  --json           the figures as one JSON document\n',
  );
  process.exit(2);
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { duration: { type: 'string', default: '10' }, rounds: { type: 'string', default: '8' }, connections: { type: 'string', default: '50' }, compare: { type: 'string' }, json: { type: 'boolean', default: false } } }));
  } catch (err) {
    usage(err.message);
  }
  const int = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) usage(`--${name}: expected an integer ≥ ${min}, got ${values[name]}`);
    return n;
  };
  const duration = int('duration', 3);
  if (!nginxAvailable()) usage('nginx is not installed (apt-get install nginx-light): the paired counts come from its access log');
  return { duration, rounds: int('rounds', 1), connections: int('connections', 1), compare: values.compare ? resolve(values.compare) : null, json: values.json };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** utime + stime of a process and all its threads, seconds (null once it has exited). */
function cpuSeconds(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
    return (f[11] + f[12]) / 100;
  } catch {
    return null;
  }
}

/** Whether nginx has logged a request to this file (it writes within 300 ms of one). */
function answered(file) {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

/** Lines of an nginx stamp log whose time (epoch s) falls in [from, to), and the first and last stamps. */
function countIn(file, from, to) {
  let n = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const t = Number(line);
    if (t < first) first = t;
    if (t > last) last = t;
    if (t >= from && t < to) n++;
  }
  return { n, first, last };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const plan = corePlan();
  const children = new Set();
  const track = (child) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const dir = await mkdtemp(join(tmpdir(), 'troupe-paired-'));
  const cleanUp = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    const nginx = await startNginx({ dir, plan, track, countPaths: ['a', 'b'] });
    const base = nginx.url.replace(/\/$/, '');
    const troupe = (root, path) => [join(root, 'bin', 'troupe.js'), 'bench', `${base}/${path}`, '-c', String(options.connections), '-d', `${options.duration}s`, '-o', join(dir, `runs-${path}`), '--no-reports'];
    const sides = {
      a: options.compare
        ? { name: `troupe bench (${options.compare})`, args: troupe(options.compare, 'a') }
        : { name: 'autocannon', args: [AUTOCANNON, '-c', String(options.connections), '-d', String(options.duration), '--json', `${base}/a`] },
      b: { name: 'troupe bench', args: troupe(ROOT, 'b') },
    };
    const start = (side) => {
      const [command, args] = pinned(plan, 'generator', process.execPath, side.args);
      const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }));
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal, stderr })));
      return { child, exited };
    };
    const rounds = [];
    for (let round = 1; round <= options.rounds; round++) {
      if (!options.json) process.stderr.write(`paired: round ${round}/${options.rounds}\n`);
      await Promise.all(Object.values(nginx.logs).map((f) => truncate(f).catch(() => {})));
      await Promise.all(['a', 'b'].map((p) => rm(join(dir, `runs-${p}`), { recursive: true, force: true })));
      // Which starts first alternates: the one that starts first is alone on the core for a moment.
      const order = round % 2 === 1 ? ['b', 'a'] : ['a', 'b'];
      const run = {};
      const launched = Date.now();
      run[order[0]] = start(sides[order[0]]);
      await sleep(50);
      run[order[1]] = start(sides[order[1]]);
      // Each tool runs `duration` seconds from its first request, so both run from the moment both were
      // answered (nginx's log has a line of each) until at least `duration` after the launch.
      const deadline = launched + options.duration * 1000;
      while (!Object.values(nginx.logs).every(answered)) {
        if (Date.now() > deadline) throw new Error(`no request of ${Object.keys(nginx.logs).filter((p) => !answered(nginx.logs[p])).map((p) => sides[p].name).join(' or ')} reached nginx within ${options.duration} s`);
        await sleep(50);
      }
      await sleep(SETTLE_S * 1000);
      const from = Date.now() / 1000;
      const windowS = (deadline - TAIL_S * 1000) / 1000 - from;
      if (windowS < MIN_WINDOW_S) throw new Error(`the tools took ${((from * 1000 - launched) / 1000 - SETTLE_S).toFixed(1)} s to start: ${windowS.toFixed(1)} s left to count of ${options.duration} s (give a longer --duration)`);
      const cpuFrom = { a: cpuSeconds(run.a.child.pid), b: cpuSeconds(run.b.child.pid) };
      await sleep(windowS * 1000);
      const to = Date.now() / 1000;
      const cpuTo = { a: cpuSeconds(run.a.child.pid), b: cpuSeconds(run.b.child.pid) };
      const ends = await Promise.all([run.a.exited, run.b.exited]);
      for (const [i, end] of ends.entries()) {
        if (end.code !== 0) throw new Error(`${sides[i === 0 ? 'a' : 'b'].name} exited with ${end.code ?? end.signal}: ${end.stderr.trim().slice(-500)}`);
      }
      await sleep(500); // nginx flushes its log buffers within 300 ms
      const figures = {};
      for (const p of ['a', 'b']) {
        const c = countIn(nginx.logs[p], from, to);
        // Both must have been answered across the whole window, or the window counts one alone.
        if (!(c.first < from && c.last >= to - 0.5)) throw new Error(`${sides[p].name} was not running through the window (answered ${c.first}–${c.last}, window ${from}–${to})`);
        const cpu = cpuFrom[p] !== null && cpuTo[p] !== null ? cpuTo[p] - cpuFrom[p] : null;
        figures[p] = { requests: c.n, rps: c.n / (to - from), cpuUsPerRequest: cpu !== null && c.n > 0 ? (cpu / c.n) * 1e6 : null };
      }
      rounds.push({ round, first: sides[order[0]].name, windowS: to - from, a: figures.a, b: figures.b, ratio: figures.b.requests / figures.a.requests });
    }
    const sorted = rounds.map((r) => r.ratio).sort((x, y) => x - y);
    const cpuRatios = rounds.filter((r) => r.a.cpuUsPerRequest && r.b.cpuUsPerRequest).map((r) => r.b.cpuUsPerRequest / r.a.cpuUsPerRequest);
    const report = { machine: plan.describe, target: nginx.name, node: process.version, options: { ...options, json: undefined }, a: sides.a.name, b: sides.b.name, rounds, median: median(sorted), min: sorted[0], max: sorted.at(-1), cpuPerRequestRatio: cpuRatios.length ? median(cpuRatios) : null };
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(render(report));
    return 0;
  } finally {
    cleanUp();
    await rm(dir, { recursive: true, force: true });
  }
}

function render(r) {
  const f = (n, d = 0) => (n === null ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const out = [
    `paired: ${r.b} and ${r.a} at once, ${r.options.connections} connections each, ${r.options.duration} s a round; node ${r.node}`,
    `target: ${r.target}; ${r.machine} (both tools on the generator core)`,
    '',
  ];
  for (const x of r.rounds) {
    out.push(`  round ${x.round} (${x.first} first)  window ${f(x.windowS, 1)} s  ${r.a} ${f(x.a.rps)} req/s (${f(x.a.cpuUsPerRequest, 1)} µs CPU a request)  ${r.b} ${f(x.b.rps)} req/s (${f(x.b.cpuUsPerRequest, 1)} µs)  ratio ${f(x.ratio, 3)}×`);
  }
  out.push('', `${r.b} ÷ ${r.a}: median ${f(r.median, 3)}× over ${r.rounds.length} rounds (${f(r.min, 3)}–${f(r.max, 3)}×); CPU a request ${f(r.cpuPerRequestRatio, 3)}×`);
  if (!r.options.compare) out.push(`target: troupe bench ≥ ${TARGET}× autocannon req/s (paired)   ${f(r.median, 3)}×  ${r.median >= TARGET ? 'PASS' : 'MISS'}`);
  return `${out.join('\n')}\n`;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`paired: ${err.message}\n`);
    process.exit(1);
  },
);
