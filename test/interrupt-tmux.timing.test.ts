/**
 * Ctrl-C in a real terminal (a private tmux server): the console says the run was interrupted and prints
 * the command that resumes it; that command, pasted as is in the same pane, finishes the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { TROUPE_BIN } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { readJson, readResultsFile, sleep, waitForResults } from './helpers/run-files.js';

const run = promisify(execFile);
const PLANNED = 2 * 30;

async function hasTmux(): Promise<boolean> {
  return run('tmux', ['-V']).then(() => true, () => false);
}

test('Ctrl-C in a terminal prints the interrupted line and a resume command that, pasted, completes the run', { timeout: 90_000 }, async (t) => {
  if (!(await hasTmux())) return t.skip('tmux is not installed (.ci/run installs it)');
  // Every request misses the demo cache (1 ms ttl) and takes 100 ms: 60 requests over 2 slots ≈ 3 s.
  const project = await writeProject({
    config: ['name: tmux', 'target: demo', 'locations: locations.csv', 'request: { method: POST, path: /api/v1/analyze, json: { address: "{{location.route}}", radius_miles: 5 } }', 'concurrency: 4', 'demo: { missLatency: 100ms, ttl: 1ms }', 'out: out', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Ben\n' },
    locations: locationsCsv(30, (i) => `${i} Main St`),
  });
  // As installed in a user's project: `npx troupe` finds node_modules/.bin/troupe, no registry involved.
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await symlink(TROUPE_BIN, join(project, 'node_modules', '.bin', 'troupe'));

  const socket = `troupe-test-${process.pid}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args]);
  await tmux('new-session', '-d', '-s', 'run', '-x', '200', '-y', '60', '-c', project, '-e', `PATH=${dirname(process.execPath)}:${process.env.PATH ?? ''}`, '-e', 'NO_COLOR=1', 'bash --norc --noprofile');
  t.after(() => tmux('kill-server').catch(() => undefined));
  const screen = async () => (await tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'run')).stdout;
  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (await screen()).match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`${pattern} did not appear within ${timeoutMs} ms; the pane shows:\n${await screen()}`);
      await sleep(100);
    }
  };

  // --concurrency is recorded in run.json; the resume command restores it.
  await tmux('send-keys', '-t', 'run', '-l', 'npx troupe run --concurrency 2 --no-reports');
  await tmux('send-keys', '-t', 'run', 'Enter');
  const runDir = await waitForResults(join(project, 'out'), 6, 30_000);
  await tmux('send-keys', '-t', 'run', 'C-c');
  // bash drops the rest of a command list after Ctrl-C, so the exit code is asked for once the prompt is back.
  await waitFor(/^resume with: .+\n+[^\n]*[$#]\s*$/m, 30_000);
  await tmux('send-keys', '-t', 'run', '-l', 'echo "first exit=$?"');
  await tmux('send-keys', '-t', 'run', 'Enter');
  const [, exit1] = await waitFor(/^first exit=(\d+)/m, 10_000);
  const first = await screen();
  t.diagnostic(first.trim().split('\n').slice(-6).join('\n'));
  assert.equal(exit1, '130', first);
  const interrupted = first.match(/^interrupted: (\d+) of 60 planned requests completed$/m);
  assert.ok(interrupted, `an interrupted line:\n${first}`);
  assert.match(first, /^partial results \(interrupted\): /m, 'the table is labelled partial');
  const command = first.match(/^resume with: (.+)$/m)?.[1];
  assert.equal(command, `npx troupe run --resume out/${runDir.split('/').pop()}`);
  assert.equal((await readJson(join(runDir, 'run.json'))).status, 'interrupted');
  assert.ok(Number(interrupted[1]) < PLANNED, 'stopped before the end');

  await tmux('send-keys', '-t', 'run', '-l', `clear; ${command}; echo "second exit=$?"`);
  await tmux('send-keys', '-t', 'run', 'Enter');
  const [, exit2] = await waitFor(/^second exit=(\d+)/m, 45_000);
  assert.equal(exit2, '0', await screen());
  const manifest = await readJson(join(runDir, 'run.json'));
  assert.equal(manifest.status, 'complete');
  assert.deepEqual(manifest.invocation.flags, { concurrency: 2, reports: false });
  assert.equal(manifest.resumedAt.length, 1);
  const results = await readResultsFile(runDir);
  const ids = results.lines.map((l) => l.id);
  assert.equal(ids.length, PLANNED, 'result lines = planned');
  assert.equal(new Set(ids).size, PLANNED, 'no id twice');
  assert.deepEqual(await readdir(join(project, 'out')), [runDir.split('/').pop()], 'the same run directory, no new one');
});
