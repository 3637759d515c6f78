// Where the benchmarks run: which core each side gets, and which server is the fast target.
//
// On a machine with two or more cores the load generator (autocannon, wrk, troupe) is pinned to core 0
// and the target to core 1 with taskset, so the two never compete for a core and a tool's figures are
// its own. nginx from Debian (`apt-get install nginx-light`) is the fast target when it is installed: a
// Node server on one core saturates before autocannon does, which would hide the generator's limits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';

const TASKSET = '/usr/bin/taskset';
const NICE = '/usr/bin/nice';
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/**
 * Pinning plan: null when the machine has one core or no taskset (then nothing is pinned, and it says so).
 * `nice` (e.g. -10; negative needs root): every tool and the target run at that niceness, so that other
 * work on a shared machine (compiles) takes their core less often; the same for every tool, and said in
 * `describe`. Default: the environment's BENCH_NICE, else unchanged.
 */
export function corePlan({ nice = process.env.BENCH_NICE } = {}) {
  const count = cpus().length;
  const niceness = nice === undefined || nice === '' ? null : Number(nice);
  if (niceness !== null && !(Number.isInteger(niceness) && niceness >= -20 && niceness <= 19)) throw new Error(`nice: expected an integer from -20 to 19, got ${nice}`);
  const niced = niceness === null ? '' : `; every tool and the target at nice ${niceness}`;
  if (count < 2 || !existsSync(TASKSET)) return { pinned: false, nice: niceness, describe: `not pinned (${count} core${count === 1 ? '' : 's'}${existsSync(TASKSET) ? '' : ', no taskset'})${niced}` };
  return { pinned: true, nice: niceness, generator: '0', target: '1', describe: `generator on core 0, target on core 1 (taskset; ${count} cores)${niced}` };
}

/** `[command, args]` wrapped in taskset for `role` ('generator' | 'target') when the plan pins, and in nice when it says. */
export function pinned(plan, role, command, args) {
  const [c, a] = plan.nice === null || plan.nice === undefined ? [command, args] : [NICE, ['-n', String(plan.nice), command, ...args]];
  if (!plan.pinned) return [c, a];
  return [TASKSET, ['-c', plan[role], c, ...a]];
}

export function nginxAvailable() {
  return NGINX !== undefined;
}

const ANSWER = `default_type application/json; add_header X-Cache HIT; return 200 '{"ok":true}';`;

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * nginx in the foreground, one worker, answering every request as bench/fast-server.mjs does
 * (200, `{"ok":true}`, X-Cache: HIT), with its files in `dir`. Resolves once it accepts connections.
 * `countPaths` (bench/paired.mjs): for each name, requests to `/<name>` are answered the same way and
 * logged to `logs[name]`, one line per request, the epoch seconds (ms precision) nginx answered it.
 */
export async function startNginx({ dir, plan, track, countPaths = [] }) {
  const port = await freePort();
  await mkdir(join(dir, 'nginx'), { recursive: true });
  const conf = join(dir, 'nginx', 'nginx.conf');
  await writeFile(conf, [
    'daemon off;',
    'master_process off;', // one process: the one taskset pins
    'worker_processes 1;',
    `pid ${join(dir, 'nginx', 'nginx.pid')};`,
    `error_log ${join(dir, 'nginx', 'error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    "  log_format stamp '$msec';",
    '  access_log off;',
    '  keepalive_requests 1000000;',
    '  keepalive_timeout 120s;',
    `  client_body_temp_path ${join(dir, 'nginx', 'body')};`,
    `  proxy_temp_path ${join(dir, 'nginx', 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'nginx', 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'nginx', 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'nginx', 'scgi')};`,
    `  server { listen 127.0.0.1:${port};`,
    `    location / { ${ANSWER} }`,
    // Buffered: a write per 256 KB (~17,000 requests), flushed at most 300 ms after a request.
    ...countPaths.map((name) => `    location = /${name} { access_log ${join(dir, 'nginx', `${name}.log`)} stamp buffer=256k flush=300ms; ${ANSWER} }`),
    '  }',
    '}',
    '',
  ].join('\n'));
  const [command, args] = pinned(plan, 'target', NGINX, ['-p', join(dir, 'nginx'), '-c', conf]);
  const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => { stderr += c; });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr.trim()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url} within 10 s: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const logs = Object.fromEntries(countPaths.map((name) => [name, join(dir, 'nginx', `${name}.log`)]));
  return { url, port, child, name: 'nginx (Debian, 1 worker)', logs };
}

/** Version string of a binary, for the printed setup (null when it has none to give). */
export function versionOf(command, args = ['-v']) {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  return (out.stderr || out.stdout || '').trim().split('\n')[0] || null;
}

const TICK_S = 0.01; // USER_HZ: /proc's CPU times are in 1/100 s on Linux

function procStatTimes() {
  // "cpu  user nice system idle iowait irq softirq steal …": busy = all but idle and iowait.
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busyS: (total - line[3] - line[4]) * TICK_S, totalS: total * TICK_S };
}

/** utime + stime of a process, seconds; with `children`, also its waited-for children's (cutime + cstime). */
function processCpuS(pid, children = false) {
  try {
    // Fields after the ")" that closes the command name: state is [0], utime [11], stime [12], cutime [13], cstime [14].
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
    return (f[11] + f[12] + (children ? f[13] + f[14] : 0)) * TICK_S;
  } catch {
    return 0;
  }
}

/**
 * How busy the machine was with *other* work while a measurement ran: the CPU every core spent (from
 * /proc/stat) less what this script, the tools it waited for and the given server processes spent.
 * On a shared machine this is what makes a figure trustworthy or not: printed beside each run.
 * `start()` then `stop()` → { othersPct: % of one core used by other processes, seconds }.
 */
export function machineLoad(serverPids = []) {
  if (!existsSync('/proc/stat')) return { start() {}, stop: () => null };
  const ours = () => processCpuS(process.pid, true) + serverPids.reduce((sum, pid) => sum + processCpuS(pid), 0);
  let before = null;
  return {
    start() {
      before = { ...procStatTimes(), ours: ours(), at: Date.now() };
    },
    stop() {
      if (!before) return null;
      const after = { ...procStatTimes(), ours: ours(), at: Date.now() };
      const seconds = (after.at - before.at) / 1000;
      if (seconds <= 0) return null;
      const others = Math.max(0, after.busyS - before.busyS - (after.ours - before.ours));
      return { seconds, othersPct: Math.round((others / seconds) * 1000) / 10 };
    },
  };
}

/**
 * Waits (up to `maxWaitS`) for a second in which other processes used less than `maxOthersPct` of one
 * core; resolves with the last second's figure (so a caller can say it started on a busy machine).
 */
export async function waitForQuiet({ maxOthersPct, maxWaitS, serverPids = [] }) {
  const deadline = Date.now() + maxWaitS * 1000;
  for (;;) {
    const load = machineLoad(serverPids);
    load.start();
    await new Promise((r) => setTimeout(r, 1000));
    const figure = load.stop();
    if (!figure || figure.othersPct < maxOthersPct || Date.now() >= deadline) return figure;
  }
}
