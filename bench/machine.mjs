// Where the benchmarks run: which core each side gets, and which server is the fast target.
//
// On a machine with two or more cores the load generator (autocannon, wrk, troupe) is pinned to core 0
// and the target to core 1 with taskset, so the two never compete for a core and a tool's figures are
// its own. nginx from Debian (`apt-get install nginx-light`) is the fast target when it is installed: a
// Node server on one core saturates before autocannon does, which would hide the generator's limits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';

const TASKSET = '/usr/bin/taskset';
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** Pinning plan: null when the machine has one core or no taskset (then nothing is pinned, and it says so). */
export function corePlan() {
  const count = cpus().length;
  if (count < 2 || !existsSync(TASKSET)) return { pinned: false, describe: `not pinned (${count} core${count === 1 ? '' : 's'}${existsSync(TASKSET) ? '' : ', no taskset'})` };
  return { pinned: true, generator: '0', target: '1', describe: `generator on core 0, target on core 1 (taskset; ${count} cores)` };
}

/** `[command, args]` wrapped in taskset for `role` ('generator' | 'target') when the plan pins. */
export function pinned(plan, role, command, args) {
  if (!plan.pinned) return [command, args];
  return [TASKSET, ['-c', plan[role], command, ...args]];
}

export function nginxAvailable() {
  return NGINX !== undefined;
}

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
 */
export async function startNginx({ dir, plan, track }) {
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
    '  access_log off;',
    '  keepalive_requests 1000000;',
    '  keepalive_timeout 120s;',
    `  client_body_temp_path ${join(dir, 'nginx', 'body')};`,
    `  proxy_temp_path ${join(dir, 'nginx', 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'nginx', 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'nginx', 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'nginx', 'scgi')};`,
    `  server { listen 127.0.0.1:${port}; location / { default_type application/json; add_header X-Cache HIT; return 200 '{"ok":true}'; } }`,
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
  return { url, port, child, name: 'nginx (Debian, 1 worker)' };
}

/** Version string of a binary, for the printed setup (null when it has none to give). */
export function versionOf(command, args = ['-v']) {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  return (out.stderr || out.stdout || '').trim().split('\n')[0] || null;
}
