import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Chalk } from 'chalk';
import { ExitCode, mostImportantExit } from '../src/errors.js';
import { loadInputs } from '../src/inputs/config.js';
import { renderInterruption, renderRunTable } from '../src/reports/console.js';
import { executeRun, type StartedRun } from '../src/run/execute.js';
import { resumeCommand, shellQuote } from '../src/run/resume-command.js';
import { recordInvocation, restoreFlags } from '../src/run/resume-flags.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };
const plain = new Chalk({ level: 0 });

/** A target that calls `onRequest(n)` for its n-th request (1-based) and answers at once. */
async function startTarget(onRequest: (n: number) => void) {
  let n = 0;
  const server = createServer((req, res) => {
    onRequest(++n);
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())), requests: () => n };
}

async function project(url: string) {
  const config = `name: stop\ntarget: ${url}\nlocations: locations.csv\nrequest: { method: GET, path: "/{{location.route}}" }\nconcurrency: 2\nout: ${JSON.stringify(await tempDir('cli-contract-out-'))}\n`;
  return writeProject({ config, personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Ben\n' }, locations: locationsCsv(6, (i) => `r${i}`) });
}

test('an interrupted run says how much was done and how to resume; resuming completes it with no id twice', async (t) => {
  const controller = new AbortController();
  const target = await startTarget((n) => {
    if (n === 4) controller.abort();
  });
  t.after(() => target.close());
  const dir = await project(target.url);
  const inputs = await loadInputs({ cwd: dir, overrides: {} });

  const first = await executeRun({ inputs, progress: quiet, signal: controller.signal });
  assert.equal(first.status, 'interrupted');
  assert.ok(first.summary.completed >= 4 && first.summary.completed < 12, `completed ${first.summary.completed}`);
  assert.equal(JSON.parse(await readFile(join(first.runDir, 'run.json'), 'utf8')).status, 'interrupted');

  const table = renderRunTable(first.summary, plain);
  assert.match(table.split('\n')[0]!, new RegExp(`^partial results \\(interrupted\\): ${first.summary.completed} of 12 planned requests completed`));
  const command = resumeCommand(first.runDir, { cwd: join(first.runDir, '..'), argv: ['node', '/x/bin/troupe.js'], env: { npm_command: 'exec' } });
  assert.equal(command, `npx troupe run --resume ${first.runId}`);
  assert.equal(renderInterruption(first.summary, command, plain), `interrupted: ${first.summary.completed} of 12 planned requests completed\nresume with: ${command}\n`);

  const resumed = await executeRun({ inputs, progress: quiet, resume: first.runDir });
  assert.equal(resumed.status, 'complete');
  assert.equal(resumed.summary.completed, 12);
  const ids = (await readFile(join(first.runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  assert.equal(ids.length, 12);
  assert.equal(new Set(ids).size, 12, 'no id twice');
  assert.doesNotMatch(renderRunTable(resumed.summary, plain), /partial/);
});

test('markInterruptedSync: run.json says interrupted at once while the run goes on, and changes nothing after the final write', async (t) => {
  let started: StartedRun | null = null;
  let seen: string | undefined;
  const target = await startTarget((n) => {
    if (n !== 2 || !started) return;
    // What a second Ctrl-C does before process.exit: synchronous, so nothing waits on the event loop.
    started.markInterruptedSync('stopped by a second signal');
    const manifest = JSON.parse(readFileSync(join(started.path, 'run.json'), 'utf8')) as { status: string; reason: string; endedAt: string | null };
    seen = `${manifest.status}: ${manifest.reason}; ended ${manifest.endedAt ? 'set' : 'null'}`;
  });
  t.after(() => target.close());
  const inputs = await loadInputs({ cwd: await project(target.url), overrides: {} });
  const result = await executeRun({ inputs, progress: quiet, onRunDirectory: (run) => (started = run) });
  assert.equal(seen, 'interrupted: stopped by a second signal; ended set');
  assert.equal(result.status, 'complete');
  started!.markInterruptedSync('too late');
  assert.equal(JSON.parse(await readFile(join(result.runDir, 'run.json'), 'utf8')).status, 'complete');
});

test('recordInvocation: typed flags only, paths relative to cwd, credentials out of the target, display flags not kept', () => {
  const recorded = recordInvocation(
    { config: '/work/p/cfg/troupe.yaml', target: 'https://user:s3cret@api.example.com/v1', concurrency: 5, threshold: ['p95 < 2s'], progress: false, json: true, verbose: true, resume: 'x', reports: false },
    '/work/p',
  );
  assert.deepEqual(recorded, {
    flags: { config: 'cfg/troupe.yaml', target: 'https://redacted:redacted@api.example.com/v1', concurrency: 5, threshold: ['p95 < 2s'], reports: false },
    redacted: ['target'],
  });
  assert.doesNotMatch(JSON.stringify(recorded), /s3cret/);
  // A value of an `${env:…}` secret repeated in any flag is removed too.
  assert.deepEqual(recordInvocation({ name: 'run-tok123', concurrency: 2 }, '/p', ['tok123']), { flags: { name: 'run-[redacted]', concurrency: 2 }, redacted: ['name'] });
});

test('restoreFlags: --resume alone restores; the same value is fine; a different or new flag is refused naming it and both values', () => {
  const recorded = recordInvocation({ config: 'cfg.yaml', concurrency: 5, threshold: ['p95 < 2s'], reports: false }, '/p');
  assert.deepEqual(restoreFlags('reports/r', recorded, {}, '/p'), { config: 'cfg.yaml', concurrency: 5, threshold: ['p95 < 2s'], reports: false });
  assert.deepEqual(restoreFlags('reports/r', recorded, { concurrency: 5, config: '/p/cfg.yaml', progress: false }, '/p'), { config: '/p/cfg.yaml', concurrency: 5, threshold: ['p95 < 2s'], reports: false, progress: false });
  assert.throws(() => restoreFlags('reports/r', recorded, { concurrency: 10 }, '/p'), {
    code: 'E_RUN_DIR',
    exitCode: ExitCode.usage,
    message: /^cannot resume reports\/r: --concurrency: the run was started with --concurrency 5, given --concurrency 10\. /,
  });
  assert.throws(() => restoreFlags('reports/r', recorded, { iterations: 3 }, '/p'), { message: /--iterations: the run was started without it, given --iterations 3/ });
  assert.throws(() => restoreFlags('reports/r', recorded, { reports: true }, '/p'), { message: /started with --no-reports, given --reports/ });
  // Credentials are not in run.json, so that target must be given again; the same one is accepted.
  const secret = recordInvocation({ target: 'https://u:pw@h.example/' }, '/p');
  assert.throws(() => restoreFlags('r', secret, {}, '/p'), { message: /whose credentials run\.json does not keep; give --target again/ });
  assert.deepEqual(restoreFlags('r', secret, { target: 'https://u:pw@h.example/' }, '/p'), { target: 'https://u:pw@h.example/' });
  // A run directory from before flags were recorded: the given flags, unchanged.
  assert.deepEqual(restoreFlags('r', undefined, { concurrency: 3 }, '/p'), { concurrency: 3 });
});

test('resumeCommand: how troupe was started, the run directory relative to cwd, shell-quoted', () => {
  const env = { PATH: '/usr/bin:/opt/troupe/bin' };
  assert.equal(resumeCommand('/p/reports/demo-1', { cwd: '/p', argv: ['node', '/opt/troupe/bin/troupe'], env }), 'troupe run --resume reports/demo-1');
  assert.equal(resumeCommand('/p/reports/demo-1', { cwd: '/p', argv: ['node', '/src/troupe/bin/troupe.js'], env }), 'node /src/troupe/bin/troupe.js run --resume reports/demo-1');
  assert.equal(resumeCommand("/elsewhere/it's here", { cwd: '/p', argv: ['node', '/p/bin/troupe.js'], env: { npm_command: 'exec' } }), `npx troupe run --resume '/elsewhere/it'\\''s here'`);
  assert.equal(shellQuote('a b$c'), "'a b$c'");
});

test('exit precedence: interrupted > thresholds failed > artifact not written > ok', () => {
  assert.equal(mostImportantExit(ExitCode.ok, ExitCode.artifactFailed), ExitCode.artifactFailed);
  assert.equal(mostImportantExit(ExitCode.failed, ExitCode.artifactFailed), ExitCode.failed);
  assert.equal(mostImportantExit(ExitCode.artifactFailed, ExitCode.interrupted, ExitCode.failed), ExitCode.interrupted);
  assert.equal(mostImportantExit(), ExitCode.ok);
});
