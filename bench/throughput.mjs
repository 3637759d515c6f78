#!/usr/bin/env node
// Throughput benchmark: troupe's closed model against autocannon, same connection count, same run,
// same local server. See bench/README.md for what the figures mean.
//
//   npm run build && node bench/throughput.mjs [--duration S] [--connections N] [--json]
//
// Steps (each bounded by duration × 3 + 30 s, every child killed on exit or error):
//   1. start bench/fast-server.mjs in its own process (its CPU is never charged to a tool);
//   2. warm the server up with a short, unmeasured autocannon run (so neither tool meets a cold JIT);
//   3. autocannon for S seconds → its req/s R;
//   4. troupe with iterations = ceil(R × S), one persona, one location, so it does the same work and
//      should take about S seconds if it is as fast as autocannon (past troupe's limit of 1,000,000
//      iterations, the same one-persona loop runs for S seconds instead: `duration: S s`);
//   5. each tool runs under GNU time, which gives user + sys CPU seconds and peak RSS.
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { corePlan, machineLoad, nginxAvailable, pinned, startNginx, waitForQuiet } from './machine.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const TROUPE = join(ROOT, 'bin', 'troupe.js');
const SERVER = join(ROOT, 'bench', 'fast-server.mjs');
const GNU_TIME = '/usr/bin/time';
const CORES = corePlan();

// Issue 12's steps toward parity: persona mode ≥ 0.6× autocannon req/s at ≤ 1.7× its CPU per request.
const TARGET_RPS_RATIO = 0.6;
const TARGET_CPU_RATIO = 1.7;
const TARGET_RSS_MB = 120; // troupe peak RSS ≤ 120 MB …
const TARGET_RSS_DURATION_S = 60; // … over a 60 s run

// ---------------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      target: { type: 'string', default: 'auto' },
      tools: { type: 'string', default: 'persona,workers,bench' },
      rounds: { type: 'string', default: '1' },
      'max-others': { type: 'string', default: '25' },
      'quiet-wait': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node bench/throughput.mjs [--duration S] [--connections N] [--warmup S] [--json] [--keep]\n' +
        '  --duration S     seconds autocannon runs; troupe gets the same amount of work (default 10)\n' +
        '  --connections N  autocannon -c N and troupe concurrency N (default 10)\n' +
        '  --warmup S       unmeasured autocannon run that warms the server first, 0 to skip (default 2)\n' +
        '  --timeout S      deadline for each step (default duration × 3 + 30)\n' +
        '  --json           print the figures as one JSON document instead of a table\n' +
        '  --keep           keep the temporary directory (config, run directory) and print its path\n' +
        '  --target T       auto (nginx when installed, else the Node fast server), nginx or node\n' +
        '  --tools LIST     which troupe modes to measure: persona,workers,bench (default all three)\n' +
        '  --rounds N       N rounds of autocannon then each tool, and autocannon once more at the end: every\n' +
        '                   tool is compared with the autocannon runs just before and after it, and the\n' +
        '                   figure is the median over the rounds (default 1)\n' +
        '  --max-others P   a round in which other processes used more than P % of a core (during the tool\n' +
        '                   or either autocannon run beside it) is marked noisy and left out of the median\n' +
        '                   while a quiet round exists (default 25)\n' +
        '  --quiet-wait S   before each run, wait up to S s for a second below --max-others (default 0)\n',
    );
    process.exit(0);
  }
  const duration = positiveNumber('--duration', values.duration);
  const connections = positiveInteger('--connections', values.connections);
  const warmup = Number(values.warmup);
  if (!Number.isFinite(warmup) || warmup < 0) usage(`--warmup: expected seconds ≥ 0, got ${values.warmup}`);
  const timeout = values.timeout === undefined ? duration * 3 + 30 : positiveNumber('--timeout', values.timeout);
  if (!['auto', 'nginx', 'node'].includes(values.target)) usage(`--target: expected auto, nginx or node, got ${values.target}`);
  if (values.target === 'nginx' && !nginxAvailable()) usage('--target nginx: nginx is not installed (apt-get install nginx-light)');
  const tools = values.tools.split(',').filter(Boolean);
  const unknown = tools.filter((t) => !['persona', 'workers', 'bench'].includes(t));
  if (tools.length === 0 || unknown.length > 0) usage(`--tools: expected a list of persona, workers, bench, got ${values.tools}`);
  const rounds = positiveInteger('--rounds', values.rounds);
  const maxOthers = positiveNumber('--max-others', values['max-others']);
  const quietWait = Number(values['quiet-wait']);
  if (!Number.isFinite(quietWait) || quietWait < 0) usage(`--quiet-wait: expected seconds ≥ 0, got ${values['quiet-wait']}`);
  return { duration, connections, warmup, timeout, json: values.json, keep: values.keep, target: values.target, tools: new Set(tools), rounds, maxOthers, quietWait };
}

function positiveNumber(name, text) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) usage(`${name}: expected a positive number, got ${text}`);
  return n;
}

function positiveInteger(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${name}: expected a positive integer, got ${text}`);
  return n;
}

function usage(message) {
  process.stderr.write(`throughput: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------
// Child processes: every one is tracked so that no server or load generator outlives the benchmark,
// whatever way this script ends.

const children = new Set();

/** Kill a child and, when it leads its own process group (the GNU time wrappers), everything under it. */
function killChild(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (child.groupLeader) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

/**
 * Send a signal to the tool GNU time is running, not to GNU time: GNU time dies on SIGTERM without
 * writing its figures and leaves the tool orphaned. Linux lists a process's children in /proc.
 */
function signalTool(child, signal) {
  let pids = [];
  try {
    pids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No /proc (or already gone): fall through to the whole group.
  }
  if (pids.length === 0) return killChild(child, signal);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function killAllChildren() {
  for (const child of children) killChild(child);
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\nthroughput: ${signal}: stopping children\n`);
    killAllChildren();
    process.exit(130);
  });
}

function track(child, { groupLeader = false } = {}) {
  child.groupLeader = groupLeader;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Keep only the tail of a stream: troupe's stderr could grow large, and only its end matters for errors. */
function collect(stream, limit) {
  const state = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    state.text += chunk;
    if (state.text.length > limit * 2) state.text = state.text.slice(-limit);
  });
  return state;
}

/**
 * Run `node <args>` under GNU time, with a deadline. GNU time is the process-group leader (detached),
 * so a timeout kills the tool under it too. Resolves with the exit status, output and GNU time figures;
 * never rejects for a failing tool (the caller decides what a failure means).
 */
async function runMeasured({ label, args, timeoutMs, timeFile, cwd = ROOT, env = process.env }) {
  // Pinned (when the machine has two cores): GNU time and the tool under it inherit the generator's core.
  const [command, commandArgs] = pinned(CORES, 'generator', GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, ...args]);
  const child = track(
    spawn(command, commandArgs, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    { groupLeader: true },
  );
  const stdout = collect(child.stdout, 4 * 1024 * 1024);
  const stderr = collect(child.stderr, 16 * 1024);

  // Sample the tool's resident set once a second (/proc), for the growth between 10 s and the end.
  const rssSamples = [];
  const t0 = Date.now();
  const sampler = setInterval(() => {
    try {
      const pid = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (Number.isFinite(kb)) rssSamples.push({ s: (Date.now() - t0) / 1000, mb: kb / 1024 });
    } catch {
      // Not started yet, or already gone.
    }
  }, 1000);

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // SIGTERM first: troupe then writes its run directory as `interrupted`, which helps diagnosis.
    signalTool(child, 'SIGTERM');
    setTimeout(() => killChild(child, 'SIGKILL'), 5000).unref();
  }, timeoutMs);

  const { code, signal } = await new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal }));
  }).finally(() => {
    clearTimeout(timer);
    clearInterval(sampler);
  });

  const time = await readGnuTime(timeFile);
  return { label, code, signal, timedOut, stdout: stdout.text, stderr: stderr.text, time, rssSamples };
}

/**
 * GNU time writes `%e %U %S %M` as the last line; before it, a line such as "Command exited with
 * non-zero status 1" when the tool failed. %M is the peak resident set size in kilobytes.
 */
async function readGnuTime(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.trim().split('\n');
  const fields = lines.at(-1).trim().split(/\s+/).map(Number);
  if (fields.length !== 4 || fields.some((n) => !Number.isFinite(n))) return null;
  const [wallS, userS, sysS, maxRssKb] = fields;
  return { wallS, userS, sysS, cpuS: userS + sysS, maxRssKb, note: lines.length > 1 ? lines.slice(0, -1).join(' ') : undefined };
}

/** Start the fast server in its own process and wait for the port it prints. */
async function startServer(timeoutMs) {
  const [command, args] = pinned(CORES, 'target', process.execPath, [SERVER]);
  const child = track(spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
  const port = await new Promise((resolvePromise, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`fast server printed no port within ${timeoutMs} ms`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const line = buffered.split('\n');
      if (line.length > 1) {
        clearTimeout(timer);
        const port = Number(line[0]);
        if (Number.isInteger(port) && port > 0) resolvePromise(port);
        else reject(new Error(`fast server printed ${JSON.stringify(line[0])}, expected a port`));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fast server exited before printing its port (code ${code}, signal ${signal})`));
    });
  });
  return { url: `http://127.0.0.1:${port}/`, port, child, name: 'Node fast server (bench/fast-server.mjs)' };
}

// ---------------------------------------------------------------------------------------------------
// The two tools

async function runAutocannon({ url, connections, seconds, timeoutMs, workDir, label = 'autocannon' }) {
  const run = await runMeasured({
    label,
    args: [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '--json', url],
    timeoutMs,
    timeFile: join(workDir, `${label}.time`),
  });
  if (run.timedOut) throw stepError(`${label} did not finish within ${timeoutMs / 1000} s`, run);
  if (run.code !== 0) throw stepError(`${label} exited with code ${run.code ?? run.signal}`, run);
  let result;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw stepError(`${label} printed no JSON result`, run);
  }
  // requests.total counts completed responses; duration is the measured wall time in seconds.
  const requests = result.requests.total;
  const durationS = result.duration;
  const failed = (result.errors ?? 0) + (result.timeouts ?? 0) + (result.non2xx ?? 0);
  return figures('autocannon', { connections, requests, durationS, failed, time: run.time });
}

/** Write the smallest troupe input that exercises a real run: one persona, one location, GET /. */
async function writeTroupeInputs({ dir, url, connections, iterations, seconds }) {
  await writeFile(join(dir, 'persona.yaml'), 'name: bench\ndescription: one persona, no think time\n');
  await writeFile(join(dir, 'locations.csv'), 'id,name\nlocal,Local\n');
  const config = [
    '# Written by bench/throughput.mjs: the same work autocannon just did, as a troupe closed-model run.',
    'name: bench',
    `target: ${url.replace(/\/$/, '')}`,
    'personas: persona.yaml',
    'locations: locations.csv',
    'request:',
    '  method: GET',
    '  path: /',
    `concurrency: ${connections}`,
    // Past the config's iterations limit (a fast machine over 60 s) the same loop runs for the seconds
    // autocannon ran instead: one persona, one location, the same requests, VUs looping over the plan.
    timed(iterations) ? `duration: ${seconds}s` : `iterations: ${iterations}`,
    'order: persona',
    '',
  ].join('\n');
  const configPath = join(dir, 'troupe.bench.yaml');
  await writeFile(configPath, config);
  return configPath;
}

/** troupe's config limit on `iterations` (src/inputs/limits.ts). */
const MAX_ITERATIONS = 1_000_000;
const timed = (iterations) => iterations > MAX_ITERATIONS;

async function runTroupe({ url, connections, iterations, seconds, timeoutMs, workDir, label = 'troupe', extraArgs = [] }) {
  const configPath = await writeTroupeInputs({ dir: workDir, url, connections, iterations, seconds });
  const outDir = join(workDir, `reports-${label.replace(/\W+/g, '-')}`);
  await rm(outDir, { recursive: true, force: true });
  const run = await runMeasured({
    label,
    // --no-reports: the bar is the load loop writing results.ndjson and snapshots; building the CSV set and
    // PDF afterwards (troupe report) is measured by bench/reports.mjs.
    args: [TROUPE, 'run', '--config', configPath, '--out', outDir, '--no-progress', '--no-reports', ...extraArgs],
    timeoutMs,
    timeFile: join(workDir, `${label.replace(/\W+/g, '-')}.time`),
    env: { ...process.env, NO_COLOR: '1' },
  });
  // A timeout sends SIGTERM, which troupe answers by finishing in-flight requests and writing its run
  // directory as `interrupted` (exit 130). Its figures then still measure the requests it did complete,
  // which is more useful than no figures at all; the problem is reported next to them.
  const interruptedByUs = run.timedOut && run.code === 130;
  if (run.timedOut && !interruptedByUs) throw stepError(`troupe did not finish ${iterations} requests within ${timeoutMs / 1000} s`, run);
  if (run.code !== 0 && !interruptedByUs) throw stepError(`troupe exited with code ${run.code ?? run.signal}`, run);

  const runDir = await findRunDirectory(outDir, run);
  const summary = await readJson(join(runDir, 'summary.json'), run);
  const global = summary.global ?? {};
  const requests = global.requests ?? summary.completed;
  const durationS = summary.durationMs / 1000;
  if (!Number.isFinite(requests) || !Number.isFinite(durationS) || durationS <= 0) {
    throw stepError(`troupe summary.json has no usable requests/durationMs (${requests}, ${summary.durationMs})`, run);
  }
  // The point is to measure troupe doing its whole job, so check it really wrote every result and a
  // snapshot during the run, rather than trusting the summary alone.
  const resultLines = await countLines(join(runDir, 'results.ndjson'));
  const snapshots = (await readdir(join(runDir, 'personas')).catch(() => [])).filter((f) => f.endsWith('.json')).length;
  const problems = [];
  if (interruptedByUs) problems.push(`timed out after ${timeoutMs / 1000} s and was stopped: figures cover the ${requests} of ${iterations} requests it completed`);
  if (summary.status !== 'complete') problems.push(`status ${summary.status}`);
  if (!timed(iterations) && requests !== iterations) problems.push(`summary counts ${requests} requests, planned ${iterations}`);
  if (resultLines !== requests) problems.push(`results.ndjson has ${resultLines} lines, summary counts ${requests}`);
  if (snapshots < 1) problems.push('no persona snapshot in personas/');
  const failed = failedRequests(global);
  return {
    ...figures(label, { connections, requests, durationS, failed, time: run.time }),
    rssGrowth: rssGrowth(run.rssSamples),
    summaryRps: global.rps ?? null,
    resultLines,
    snapshots,
    runDir,
    problems,
  };
}

/** Failed requests from summary.global, whichever of the usual shapes it has. */
function failedRequests(global) {
  if (Number.isFinite(global.failed)) return global.failed;
  if (Number.isFinite(global.errors)) return global.errors;
  if (Number.isFinite(global.requests) && Number.isFinite(global.ok)) return global.requests - global.ok;
  if (global.errors && typeof global.errors === 'object') return Object.values(global.errors).reduce((a, b) => a + (Number(b) || 0), 0);
  return null;
}

async function findRunDirectory(outDir, run) {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory());
  if (dirs.length !== 1) throw stepError(`expected one run directory in ${outDir}, found ${dirs.length}`, run);
  return join(outDir, dirs[0].name);
}

async function readJson(path, run) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw stepError(`cannot read ${path}: ${err.message}`, run);
  }
}

/** Count newline-terminated lines without loading the file (it can hold millions of results). */
function countLines(path) {
  return new Promise((resolvePromise) => {
    let lines = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      })
      .on('end', () => resolvePromise(lines))
      .on('error', () => resolvePromise(0));
  });
}

/** RSS at the end over RSS at 10 s, minus 1 (null for runs shorter than 12 s). */
function rssGrowth(samples = []) {
  const at10 = samples.find((x) => x.s >= 10);
  const last = samples.at(-1);
  if (!at10 || !last || last.s < 12) return null;
  return { at10Mb: at10.mb, endMb: last.mb, endS: last.s, growth: last.mb / at10.mb - 1 };
}

/** `troupe bench` (autocannon inside troupe, every response recorded) for the same duration. */
async function runTroupeBench({ url, connections, seconds, timeoutMs, workDir }) {
  const outDir = join(workDir, 'reports-bench');
  await rm(outDir, { recursive: true, force: true });
  const run = await runMeasured({
    label: 'troupe bench',
    args: [TROUPE, 'bench', url, '-c', String(connections), '-d', `${seconds}s`, '-o', outDir, '--no-reports'],
    timeoutMs,
    timeFile: join(workDir, 'troupe-bench.time'),
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (run.timedOut) throw stepError(`troupe bench did not finish within ${timeoutMs / 1000} s`, run);
  if (run.code !== 0) throw stepError(`troupe bench exited with code ${run.code ?? run.signal}`, run);
  const runDir = await findRunDirectory(outDir, run);
  const summary = await readJson(join(runDir, 'summary.json'), run);
  // Same clock as autocannon's figure: autocannon's own duration, printed by troupe bench.
  const match = /autocannon counted (\d+) requests in ([\d.]+) s/.exec(run.stderr);
  const durationS = match ? Number(match[2]) : summary.durationMs / 1000;
  const resultLines = await countLines(join(runDir, 'results.ndjson'));
  const problems = resultLines === summary.global.requests ? [] : [`results.ndjson has ${resultLines} lines, summary counts ${summary.global.requests}`];
  return { ...figures('troupe bench', { connections, requests: summary.global.requests, durationS, failed: failedRequests(summary.global), time: run.time }), rssGrowth: rssGrowth(run.rssSamples), resultLines, problems };
}

/** `sync`: the file data earlier runs left in the page cache goes to the disk before the next run starts. */
function flushWrites() {
  return new Promise((resolvePromise) => {
    const child = track(spawn('sync', [], { stdio: 'ignore' }));
    child.once('error', () => resolvePromise());
    child.once('exit', () => resolvePromise());
  });
}

/** Median wall time of `troupe --help` over five runs, in ms. */
async function helpTime() {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint();
    await new Promise((resolvePromise, reject) => {
      const child = track(spawn(process.execPath, [TROUPE, '--help'], { stdio: 'ignore' }));
      child.once('error', reject);
      child.once('exit', resolvePromise);
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b)[2];
}

function figures(tool, { connections, requests, durationS, failed, time }) {
  const rps = requests / durationS;
  const cpuPer100k = time && requests > 0 ? (time.cpuS / requests) * 100_000 : null;
  const peakRssMb = time ? time.maxRssKb / 1024 : null;
  return { tool, connections, requests, durationS, rps, failed, cpuS: time?.cpuS ?? null, cpuPer100k, peakRssMb, wallS: time?.wallS ?? null };
}

function stepError(message, run) {
  const err = new Error(message);
  err.run = run;
  return err;
}

// ---------------------------------------------------------------------------------------------------
// Report

function compare(options, autocannon, tools, helpMs) {
  const { troupe, workers, bench } = tools;
  // The median over rounds of each run's ratio to its bracketing autocannon runs (bracketed()).
  const ratio = (t) => (t ? median(counted(t.rounds).map((x) => x.rpsRatio)) : null);
  const cpuRatio = (t) => (t ? median(counted(t.rounds).map((x) => x.cpuRatio)) : null);
  const rssMeaningful = options.duration >= TARGET_RSS_DURATION_S;
  const growth = troupe?.rssGrowth?.growth ?? null;
  return {
    ratios: {
      rps: ratio(troupe),
      cpuPerRequest: cpuRatio(troupe),
      workersRps: ratio(workers),
      workersCpuPerRequest: cpuRatio(workers),
      benchRps: ratio(bench),
      benchCpuPerRequest: cpuRatio(bench),
    },
    helpMs,
    targets: {
      rps: { target: `troupe ≥ ${TARGET_RPS_RATIO.toFixed(1)}× autocannon req/s`, value: ratio(troupe), pass: ratio(troupe) === null ? null : ratio(troupe) >= TARGET_RPS_RATIO },
      cpu: { target: `troupe CPU/req ≤ ${TARGET_CPU_RATIO.toFixed(1)}× autocannon`, value: cpuRatio(troupe), pass: cpuRatio(troupe) === null ? null : cpuRatio(troupe) <= TARGET_CPU_RATIO },
      bench: { target: 'troupe bench ≥ 0.97× autocannon req/s', value: ratio(bench), pass: ratio(bench) === null ? null : ratio(bench) >= 0.97 },
      rss: {
        target: `troupe peak RSS ≤ ${TARGET_RSS_MB} MB over ${TARGET_RSS_DURATION_S} s`,
        value: troupe?.peakRssMb ?? null,
        pass: troupe?.peakRssMb == null ? null : troupe.peakRssMb <= TARGET_RSS_MB,
        // A shorter run cannot show growth over 60 s; say so instead of claiming a pass.
        indicative: !rssMeaningful,
      },
      rssGrowth: { target: 'troupe RSS growth 10 s → end < 10%', value: growth, pass: growth === null ? null : growth < 0.1, indicative: !rssMeaningful },
      help: { target: 'troupe --help ≤ 300 ms', value: helpMs, pass: helpMs <= 300 },
    },
  };
}

const median = (list) => {
  const s = list.filter((v) => v !== null && v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One row for several runs of a tool: median req/s and CPU per request, highest peak RSS, the longest run's RSS growth. */
function medianFigures(list, tool) {
  const rss = list.map((f) => f.peakRssMb).filter((v) => v !== null);
  return {
    ...list[0],
    tool,
    requests: median(list.map((f) => f.requests)),
    rps: median(list.map((f) => f.rps)),
    cpuPer100k: median(list.map((f) => f.cpuPer100k)),
    peakRssMb: rss.length ? Math.max(...rss) : null,
    failed: list.reduce((sum, f) => sum + (f.failed ?? 0), 0),
    problems: list.flatMap((f) => f.problems ?? []),
    runsCount: list.length,
  };
}

/**
 * A tool run against the autocannon runs just before and after it: req/s ÷ their mean, CPU per request
 * ÷ their mean, and how far apart the two autocannon runs were (their spread says how steady the
 * machine and server were around this run).
 */
function bracketed({ round, figures, before, after }, maxOthers) {
  const sides = [before, after].filter(Boolean);
  const others = [figures, ...sides].map((f) => f.load?.othersPct ?? 0);
  const mean = (key) => sides.reduce((sum, f) => sum + f[key], 0) / sides.length;
  const acRps = mean('rps');
  const acCpu = sides.every((f) => f.cpuPer100k) ? mean('cpuPer100k') : null;
  return {
    round,
    rps: figures.rps,
    autocannonRps: sides.map((f) => f.rps),
    rpsRatio: figures.rps / acRps,
    cpuRatio: figures.cpuPer100k && acCpu ? figures.cpuPer100k / acCpu : null,
    autocannonSpread: sides.length === 2 ? Math.abs(sides[0].rps - sides[1].rps) / acRps : null,
    othersPct: figures.load?.othersPct ?? null,
    noisy: Math.max(...others) > maxOthers,
  };
}

/** The rounds a ratio is taken over: the quiet ones when there are any, else all (and the output says so). */
const counted = (rounds) => (rounds.some((x) => !x.noisy) ? rounds.filter((x) => !x.noisy) : rounds);

function fmt(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function verdict(pass) {
  return pass === null ? 'n/a' : pass ? 'PASS' : 'MISS';
}

function renderTable(options, autocannon, tools, comparison, errors) {
  const header = ['tool', 'connections', 'requests', 'req/s', 'CPU s/100k req', 'peak RSS MB', 'failed'];
  const row = (f) => [f.tool, fmt(f.connections), fmt(f.requests), fmt(f.rps), fmt(f.cpuPer100k, 2), fmt(f.peakRssMb, 1), fmt(f.failed)];
  const rows = [row(autocannon)];
  for (const [key, label] of [['troupe', 'troupe'], ['workers', 'troupe --workers 2'], ['bench', 'troupe bench']]) {
    if (!options.tools.has(key === 'troupe' ? 'persona' : key)) continue;
    rows.push(tools[key] ? row(tools[key]) : [label, fmt(options.connections), 'failed', '–', '–', '–', '–']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

  const out = [];
  out.push(`throughput: ${options.duration} s, ${options.connections} connections, node ${process.version}, ${cpus().length} CPUs`);
  out.push(`target: ${options.targetName}; ${CORES.describe}`);
  out.push('');
  out.push(line(header));
  for (const r of rows) out.push(line(r));
  out.push('');
  const { ratios, targets } = comparison;
  if (options.tools.has('persona')) out.push(`troupe ÷ autocannon:             req/s ${fmt(ratios.rps, 2)}×   CPU/req ${fmt(ratios.cpuPerRequest, 2)}×`);
  if (options.tools.has('workers')) out.push(`troupe --workers 2 ÷ autocannon: req/s ${fmt(ratios.workersRps, 2)}×   CPU/req ${fmt(ratios.workersCpuPerRequest, 2)}×`);
  if (options.tools.has('bench')) out.push(`troupe bench ÷ autocannon:       req/s ${fmt(ratios.benchRps, 3)}×   CPU/req ${fmt(ratios.benchCpuPerRequest, 2)}×`);
  out.push(`(ratios: the median over the rounds of each run ÷ the mean of the autocannon runs just before and after it; a round in`);
  out.push(` which other processes used more than ${options.maxOthers}% of a core is noisy and left out while a quiet one exists)`);
  for (const [key, label] of [['troupe', 'troupe'], ['workers', 'troupe --workers 2'], ['bench', 'troupe bench']]) {
    for (const x of tools[key]?.rounds ?? []) {
      out.push(`  round ${x.round} ${label.padEnd(18)} ${fmt(x.rps).padStart(7)} req/s ÷ autocannon ${x.autocannonRps.map((v) => fmt(v)).join(' / ')} = ${fmt(x.rpsRatio, 3)}×   CPU/req ${fmt(x.cpuRatio, 2)}×   autocannon spread ${fmt((x.autocannonSpread ?? NaN) * 100, 1)}%   others ${fmt(x.othersPct, 0)}% of a core${x.noisy ? '   NOISY' : ''}`);
    }
  }
  out.push(`autocannon runs: ${autocannon.runs.map((f) => `${fmt(f.rps)} (others ${fmt(f.load?.othersPct, 0)}%)`).join(', ')}`);
  const g = tools.troupe?.rssGrowth;
  if (g) out.push(`troupe RSS: ${fmt(g.at10Mb, 1)} MB at 10 s, ${fmt(g.endMb, 1)} MB at ${fmt(g.endS, 0)} s (${fmt(g.growth * 100, 1)}%)`);
  out.push('');
  const show = (t, value) => `target: ${t.target.padEnd(44)} ${value}  ${verdict(t.pass)}${t.indicative ? `  (indicative: this run was ${options.duration} s)` : ''}`;
  if (options.tools.has('persona')) out.push(show(targets.rps, `${fmt(targets.rps.value, 2)}×`));
  if (options.tools.has('persona')) out.push(show(targets.cpu, `${fmt(targets.cpu.value, 2)}×`));
  if (options.tools.has('bench')) out.push(show(targets.bench, `${fmt(targets.bench.value, 3)}×`));
  out.push(show(targets.rss, `${fmt(targets.rss.value, 1)} MB`));
  out.push(show(targets.rssGrowth, targets.rssGrowth.value === null ? '–' : `${fmt(targets.rssGrowth.value * 100, 1)}%`));
  out.push(show(targets.help, `${fmt(targets.help.value, 0)} ms`));
  for (const t of Object.values(tools)) {
    if (!t) continue;
    for (const p of t.problems ?? []) out.push(`${t.tool}: WARNING: ${p}`);
  }
  for (const [label, err] of Object.entries(errors)) {
    out.push('');
    out.push(`${label} FAILED: ${err.message}`);
    const tail = err.run?.stderr?.trim();
    if (tail) out.push(`${label} stderr (tail):`, indent(tail.split('\n').slice(-25).join('\n')));
  }
  return out.join('\n') + '\n';
}

function indent(text) {
  return text.replace(/^/gm, '  ');
}

function round(value) {
  if (typeof value === 'number') return Math.round(value * 1000) / 1000;
  if (Array.isArray(value)) return value.map(round);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, round(v)]));
  return value;
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const stepTimeoutMs = options.timeout * 1000;
  const log = (message) => process.stderr.write(`throughput: ${message}\n`);
  const workDir = await mkdtemp(join(tmpdir(), 'troupe-bench-'));

  let server = null;
  try {
    const useNginx = options.target === 'nginx' || (options.target === 'auto' && nginxAvailable());
    server = useNginx ? await startNginx({ dir: workDir, plan: CORES, track }) : await startServer(Math.min(stepTimeoutMs, 10_000));
    options.targetName = server.name;
    log(`${server.name} at ${server.url}; ${CORES.describe}`);

    if (options.warmup > 0) {
      log(`warm-up: autocannon ${options.warmup} s (not measured)`);
      await runAutocannon({ url: server.url, connections: options.connections, seconds: options.warmup, timeoutMs: stepTimeoutMs, workDir, label: 'warmup' });
    }

    // Bracketed rounds: A, then per round and tool T, A. Each tool run is compared with the mean of the
    // autocannon runs just before and just after it (the same server state, the same minutes of a shared
    // machine), and a tool's figure is the median over rounds: a machine that slows down or speeds up
    // during the benchmark moves both sides of a ratio, not one.
    const load = machineLoad([server.child.pid]);
    const quiet = async () => {
      // The dirty pages of the run before (a troupe run writes ~250 MB of results.ndjson in 10 s at this rate)
      // are written back now, not 30-40 s later by the kernel, in the middle of a run that wrote nothing.
      await flushWrites();
      if (options.quietWait <= 0) return;
      const figure = await waitForQuiet({ maxOthersPct: options.maxOthers, maxWaitS: options.quietWait, serverPids: [server.child.pid] });
      if (figure && figure.othersPct >= options.maxOthers) log(`machine still busy after ${options.quietWait} s (others ${figure.othersPct}% of a core): measuring anyway`);
    };
    const bare = [];
    const measureAutocannon = async () => {
      await quiet();
      const n = bare.length + 1;
      log(`autocannon #${n}: -c ${options.connections} -d ${options.duration}`);
      load.start();
      const f = await runAutocannon({ url: server.url, connections: options.connections, seconds: options.duration, timeoutMs: stepTimeoutMs, workDir, label: `autocannon-${n}` });
      bare.push({ ...f, load: load.stop() });
    };
    await measureAutocannon();
    const work = (iterations) => (timed(iterations) ? `for ${options.duration} s (${iterations} requests pass troupe's iterations limit)` : `${iterations} requests`);
    const plan = [
      ['troupe', 'persona', (iterations) => [`troupe: ${work(iterations)} at concurrency ${options.connections}`, () =>
        runTroupe({ url: server.url, connections: options.connections, iterations, seconds: options.duration, timeoutMs: stepTimeoutMs, workDir })]],
      ['workers', 'workers', (iterations) => [`troupe --workers 2: ${work(iterations)} at concurrency ${options.connections}`, () =>
        runTroupe({ url: server.url, connections: options.connections, iterations, seconds: options.duration, timeoutMs: stepTimeoutMs, workDir, label: 'troupe --workers 2', extraArgs: ['--workers', '2'] })]],
      ['bench', 'bench', () => [`troupe bench: -c ${options.connections} -d ${options.duration}`, () =>
        runTroupeBench({ url: server.url, connections: options.connections, seconds: options.duration, timeoutMs: stepTimeoutMs, workDir })]],
    ].filter(([, name]) => options.tools.has(name));
    const runs = { troupe: [], workers: [], bench: [] };
    const errors = {};
    for (let r = 1; r <= options.rounds; r++) {
      for (const [key, , make] of plan) {
        const before = bare.at(-1);
        // Same amount of work as autocannon managed in `duration` seconds: at equal speed troupe takes as long.
        const iterations = Math.max(1, Math.ceil(before.rps * options.duration));
        const [label, fn] = make(iterations);
        await quiet();
        log(`round ${r}/${options.rounds}: ${label}`);
        load.start();
        try {
          const f = await fn();
          runs[key].push({ round: r, figures: { ...f, load: load.stop() }, before });
        } catch (err) {
          load.stop();
          if (!err.run) throw err;
          errors[key] = err;
        }
        await measureAutocannon();
        const last = runs[key].at(-1);
        if (last && last.round === r) last.after = bare.at(-1);
      }
    }
    const autocannon = { ...medianFigures(bare, 'autocannon'), runs: bare };
    const tools = Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, list.length ? { ...medianFigures(list.map((x) => x.figures), list[0].figures.tool), rounds: list.map((x) => bracketed(x, options.maxOthers)) } : null]));
    log('troupe --help: median of 5');
    const helpMs = await helpTime();

    const comparison = compare(options, autocannon, tools, helpMs);
    if (options.json) {
      const doc = {
        options: { duration: options.duration, connections: options.connections, warmup: options.warmup, rounds: options.rounds, tools: [...options.tools] },
        environment: { node: process.version, cpus: cpus().length, target: server.name, cores: CORES.describe },
        autocannon,
        ...Object.fromEntries(Object.entries(tools).map(([k, t]) => [k, t ? { ...t, runDir: options.keep ? t.runDir : undefined } : null])),
        ...comparison,
        errors: Object.fromEntries(Object.entries(errors).map(([k, e]) => [k, { message: e.message, code: e.run.code, stderr: e.run.stderr.slice(-4000) }])),
      };
      process.stdout.write(`${JSON.stringify(round(doc), null, 2)}\n`);
    } else {
      process.stdout.write(renderTable(options, autocannon, tools, comparison, errors));
    }
    if (options.keep) log(`kept ${workDir}`);
    // Exit 1 when a tool's figures are missing or doubtful; missed targets alone are not an error.
    return Object.keys(errors).length > 0 || Object.values(tools).some((t) => t?.problems?.length) ? 1 : 0;
  } catch (err) {
    log(`FAILED: ${err.message}`);
    if (err.run?.stderr) log(`${err.run.label} stderr (tail):\n${indent(err.run.stderr.trim().split('\n').slice(-25).join('\n'))}`);
    return 1;
  } finally {
    if (server) killChild(server.child, 'SIGTERM');
    killAllChildren();
    if (!options.keep) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

process.exitCode = await main();
