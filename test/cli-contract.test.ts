/**
 * The CLI contract a CI job relies on: one rule for durations on every command, output that survives
 * pipes at any size, usage errors that show the failing command's help, validate taking run's flags,
 * and no warning noise at high concurrency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { TROUPE_BIN, runCli, tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };

test('a bare number for a duration is refused on every command, with the fix and that command\'s help', async () => {
  const cases: [string[], string][] = [
    [['run', '--rate', '5', '--duration', '3'], 'troupe run'],
    [['run', '--grace', '3'], 'troupe run'],
    [['bench', 'http://127.0.0.1:9/', '--duration', '3'], 'troupe bench'],
    [['capacity', 'http://127.0.0.1:9/', '--step-duration', '3'], 'troupe capacity'],
    [['demo-server', '--miss-latency', '3'], 'troupe demo-server'],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, { cwd: process.cwd() })));
  results.forEach((r, i) => {
    const [args, usage] = cases[i]!;
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /"3": add a unit, e\.g\. 3s or 3ms/, args.join(' '));
    assert.match(r.stderr, new RegExp(`Usage: ${usage} `), `${args.join(' ')} prints its own help`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

test('a bare number in a config key is refused naming the key, and 0 needs no unit', async () => {
  const project = await writeProject({
    config: 'target: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\ntimeouts: { total: 3, connect: 0 }\n',
    personas: { 'p.yaml': 'name: Pat\nthinkTime: 0\n' },
    locations: locationsCsv(1),
  });
  await assert.rejects(loadInputs({ cwd: project, overrides: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'E_CONFIG');
    assert.match(err.message, /troupe\.config\.yaml, at timeouts\.total: "3": add a unit, e\.g\. 3s or 3ms/);
    return true;
  });
});

test('an open-model plan of no arrivals, and --iterations with the open model, are usage errors', async () => {
  const project = await writeProject({ config: 'target: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: /ok }\n', personas: { 'p.yaml': 'name: Pat\n' }, locations: locationsCsv(1) });
  await assert.rejects(loadInputs({ cwd: project, overrides: { rate: 0.1, duration: 1000 } }), /--rate × --duration: the schedule asks for 0\.1 arrivals/);
  await assert.rejects(loadInputs({ cwd: project, overrides: { rate: 5, duration: 1000, iterations: 2 } }), /--iterations has no meaning in the open model/);
  const inputs = await loadInputs({ cwd: project, overrides: { rate: 1, duration: 1000 } });
  assert.equal(inputs.config.load?.phases.length, 1, 'one arrival is a plan');
});

test('--json through a real pipe is the whole document, even above 1 MiB', async (t) => {
  const server = await startCountingServer({ delayMs: 0 });
  t.after(() => server.close());
  const out = await tempDir();
  // Each location is a scope with its own histograms in summary.json, ~1.15 KiB of --json each: 1,100 of
  // them make a ~1.25 MiB document (1,500 made 1.7 MiB, 400 requests more than the check needs).
  const project = await writeProject({
    config: `target: ${server.url}\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(out)}\nconcurrency: 20\nrequest: { method: GET, path: "/{{location.id}}" }\n`,
    personas: { 'p.yaml': 'name: Pat\n' },
    locations: locationsCsv(1100),
  });
  const file = join(out, 'summary-from-pipe.json');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('sh', ['-c', `"${process.execPath}" "${TROUPE_BIN}" run --json --no-progress --no-reports | cat > "${file}"`], { cwd: project, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (c) => (clearTimeout(timer), resolve(c)));
  });
  assert.equal(code, 0);
  const text = await readFile(file, 'utf8');
  assert.ok(text.length > 1024 * 1024, `the document is ${text.length} bytes; the test needs more than 1 MiB`);
  const summary = JSON.parse(text) as { global: { requests: number } };
  assert.equal(summary.global.requests, 1100);
});

test('validate takes run\'s flags, including --threshold, and answers in JSON', async () => {
  const project = await writeProject({ config: 'target: demo\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: /health }\n', personas: { 'p.yaml': 'name: Pat\n' }, locations: locationsCsv(6) });
  const [ok, bad] = await Promise.all([
    runCli(['validate', '--threshold', 'p95 < 500ms', '--grace', '5s', '--no-reports', '--no-progress', '--shard', '2/3', '--json'], { cwd: project }),
    runCli(['validate', '--threshold', 'p95 < 500', '--json'], { cwd: project }),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const description = JSON.parse(ok.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { ok: description['ok'], planned: description['planned'], unit: description['unit'], shard: description['shard'], thresholds: description['thresholds'] },
    { ok: true, planned: 2, unit: 'requests', shard: { index: 2, count: 3 }, thresholds: ['p95 < 500ms'] },
  );
  assert.equal(bad.code, 2);
  const refusal = JSON.parse(bad.stdout) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(refusal.ok, false);
  assert.equal(refusal.error.code, 'E_USAGE');
  assert.match(bad.stderr, /--threshold "p95 < 500": 500: add a unit/);
});

test('no MaxListenersExceededWarning when many virtual users wait on the run\'s signals', async (t) => {
  const server = await startCountingServer({ delayMs: 5 });
  t.after(() => server.close());
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const project = await writeProject({
    config: `target: ${server.url}\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(await tempDir())}\nconcurrency: 60\nrequest: { method: GET, path: /ok }\n`,
    personas: { 'p.yaml': 'name: Pat\nthinkTime: 1ms\n' },
    locations: locationsCsv(240),
  });
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const run = await executeRun({ inputs, progress: quiet, signal: new AbortController().signal });
  assert.equal(run.summary.global.requests, 240);
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
});

test('a reader that stops early (| head) ends no command with a stack trace', async (t) => {
  const server = await startCountingServer({ delayMs: 0 });
  t.after(() => server.close());
  const dir = await tempDir();
  const err = join(dir, 'stderr.txt');
  // 100 location scopes: a --json document of ~115 KiB, more than a pipe holds (64 KiB), so the write is
  // still going when head has gone (the demo's 48 KiB fitted in the pipe: no EPIPE could happen).
  const project = await writeProject({
    config: `target: ${server.url}\npersonas: personas\nlocations: locations.csv\nout: ${JSON.stringify(join(dir, 'runs'))}\nconcurrency: 10\nrequest: { method: GET, path: "/{{location.id}}" }\n`,
    personas: { 'p.yaml': 'name: Pat\n' },
    locations: locationsCsv(100),
  });
  const lines = [
    `"${process.execPath}" "${TROUPE_BIN}" report --help 2>"${err}.1" | head -1 >/dev/null; echo $? > "${err}.1.code"`,
    `cd "${project}" && "${process.execPath}" "${TROUPE_BIN}" run --json --no-progress --no-reports 2>"${err}.2" | head -c 10 >/dev/null`,
  ];
  for (const line of lines) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', line], { cwd: dir, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', () => (clearTimeout(timer), resolve()));
    });
  }
  for (const n of [1, 2]) {
    const text = await readFile(`${err}.${n}`, 'utf8');
    assert.doesNotMatch(text, /EPIPE|\n\s+at /, `no stack trace after the reader went away (${n}):\n${text}`);
  }
});
