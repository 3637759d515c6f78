import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, run as runInProcess, TroupeError } from '../src/index.js';
import { runCli, startCli, type CliResult } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { assertJsonFilesParse, readJson, readResultsFile, waitForResults } from './helpers/run-files.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';

/** The error a refused call ends with: a TroupeError with exit code 2. */
async function refusal(promise: Promise<unknown>): Promise<TroupeError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TroupeError, `expected a TroupeError, got ${String(error)}`);
  assert.equal(error.exitCode, ExitCode.usage, error.message);
  return error;
}

// Enough that a run slowed by a loaded machine is still running when the kill after 20 results lands
// (50 finished before it once, with four test processes at a time).
const LOCATIONS = 100;
const PERSONAS = { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Ben\n' };
const PLANNED = LOCATIONS * 2;

/** Demo target with a 30 ms miss and a one-entry cache: 200 misses over 2 slots ≈ 3 s. */
function demoProject() {
  return writeProject({
    config: [
      'name: kill',
      'target: demo',
      'locations: locations.csv',
      'request: { method: POST, path: /api/v1/analyze, json: { address: "{{location.route}}", radius_miles: 5 } }',
      'concurrency: 2',
      'demo: { missLatency: 30ms, cacheSize: 1 }',
      'out: out',
      '',
    ].join('\n'),
    personas: PERSONAS,
    locations: locationsCsv(LOCATIONS, (i) => `${i} Main St`),
  });
}

/** The final state of a fully resumed run: every planned item exactly once, and the summary agrees. */
async function assertWholeRun(runDir: string, resumes: number): Promise<void> {
  const results = await readResultsFile(runDir);
  assert.equal(results.cut, 0, 'no cut-off line after a resume');
  const ids = results.lines.map((l) => l.id);
  assert.equal(new Set(ids).size, ids.length, 'no item twice');
  const expected = new Set(['ana', 'ben'].flatMap((p) => Array.from({ length: LOCATIONS }, (_, i) => `${p}/l${i + 1}/1`)));
  assert.deepEqual(new Set(ids), expected, 'every planned item once');
  const summary = await readJson(join(runDir, 'summary.json'));
  assert.equal(summary.status, 'complete');
  assert.equal(summary.planned, PLANNED);
  assert.equal(summary.completed, PLANNED);
  assert.equal(summary.global.requests, PLANNED);
  assert.equal(summary.global.ok + summary.global.errors, PLANNED);
  assert.equal(summary.personas['Ana'].requests + summary.personas['Ben'].requests, PLANNED);
  const manifest = await readJson(join(runDir, 'run.json'));
  assert.equal(manifest.status, 'complete');
  assert.equal(manifest.resumedAt.length, resumes);
  const ana = await readJson(join(runDir, 'personas', 'ana.json'));
  const ben = await readJson(join(runDir, 'personas', 'ben.json'));
  assert.equal(ana.requests + ben.requests, PLANNED, 'snapshots cover the whole run');
}

/**
 * One run killed with SIGKILL after 20 results, shared by the two tests that need one (a process of its
 * own each before): the refusals come first and touch nothing (they say so), then the kill -9 test resumes it.
 */
let killed: Promise<{ project: string; runDir: string; killed: CliResult }> | undefined;
function killedRun() {
  killed ??= (async () => {
    const project = await demoProject();
    const run = startCli(['run', '--no-reports', '--no-progress'], { cwd: project });
    const runDir = await waitForResults(join(project, 'out'), 20);
    run.child.kill('SIGKILL');
    return { project, runDir, killed: await run.done };
  })();
  return killed;
}

test('--resume refuses changed inputs with exit 2 and says what changed', { timeout: 60_000 }, async () => {
  const { project, runDir } = await killedRun();
  const before = await readFile(join(runDir, 'results.ndjson'));

  // A flag that differs from those the run was started with (recorded in run.json) is refused by name.
  const flag = await runCli(['run', '--no-reports', '--resume', runDir, '--concurrency', '3', '--no-progress'], { cwd: project });
  assert.equal(flag.code, 2, flag.stderr);
  assert.match(flag.stderr, /cannot resume .*: --concurrency: the run was started without it, given --concurrency 3\./);

  const configPath = join(project, 'troupe.config.yaml');
  const [config, persona] = [await readFile(configPath, 'utf8'), join(project, 'personas', 'b.yaml')];
  await writeFile(configPath, config.replace('concurrency: 2', 'concurrency: 3'));
  await writeFile(persona, 'name: Ben\nthinkTime: 1ms\n');
  const changed = await refusal(runInProcess({ cwd: project, resume: runDir }));
  assert.match(changed.message, /cannot resume .*: the inputs changed since the run started: config key concurrency; personas\/b\.yaml \(changed\)/);
  assert.deepEqual(await readFile(join(runDir, 'results.ndjson')), before, 'a refused resume touches nothing');
  // The inputs as they were, for the kill -9 test that resumes this run.
  await writeFile(configPath, config);
  await writeFile(persona, PERSONAS['b.yaml']);

  const missing = await refusal(runInProcess({ cwd: project, resume: join(project, 'nowhere') }));
  assert.match(missing.message, /no run\.json/);
});

test('kill -9 mid-run leaves valid files; --resume finishes every planned item exactly once', { timeout: 90_000 }, async (t) => {
  const { project, runDir, killed } = await killedRun();
  assert.equal(killed.signal, 'SIGKILL');

  const files = await assertJsonFilesParse(runDir);
  assert.ok(files.includes('run.json'), files.join());
  await assertRunDirValid(runDir, { summary: false });
  assert.equal((await readJson(join(runDir, 'run.json'))).status, 'running', 'a killed run never got to say otherwise');
  const before = await readResultsFile(runDir);
  assert.ok(before.cut <= 1 && before.cutIsLast, `at most one cut-off line, and only the last: ${before.cut}`);
  assert.ok(before.lines.length >= 20 && before.lines.length < PLANNED, `killed after ${before.lines.length} results`);
  t.diagnostic(`killed after ${before.lines.length} results, ${before.cut} cut-off line(s)`);

  // Make sure the cut-off path is exercised: cut the last line in half if the kill did not.
  const path = join(runDir, 'results.ndjson');
  const text = await readFile(path, 'utf8');
  if (before.cut === 0) await truncate(path, Buffer.byteLength(text) - 40);

  // The kill was the CLI's part; resuming is the in-process call `troupe run --resume` makes (the flag
  // itself is spawned in the refusal test above).
  const resumed = await runInProcess({ cwd: project, resume: runDir });
  assert.equal(resumed.status, 'complete');
  assert.equal(resumed.runDir, runDir, 'the resume writes into the same run directory');
  await assertWholeRun(runDir, 1);
  await assertRunDirValid(runDir);
});

test('SIGINT: exit 130, everything marked interrupted; --resume completes the run', { timeout: 90_000 }, async () => {
  const project = await demoProject();
  const run = startCli(['run', '--no-reports', '--no-progress'], { cwd: project });
  const runDir = await waitForResults(join(project, 'out'), 10);
  run.child.kill('SIGINT');
  const result = await run.done;
  assert.equal(result.code, 130, result.stderr);
  assert.match(result.stderr, /stopping: letting requests in flight finish/);
  const manifest = await readJson(join(runDir, 'run.json'));
  const summary = await readJson(join(runDir, 'summary.json'));
  assert.equal(manifest.status, 'interrupted');
  assert.match(manifest.reason, /stopped by a signal/);
  assert.equal(summary.status, 'interrupted');
  const partial = await readResultsFile(runDir);
  assert.equal(partial.cut, 0, 'a graceful stop writes whole lines');
  assert.equal(summary.completed, partial.lines.length);
  assert.equal(summary.global.requests, partial.lines.length);
  assert.equal(summary.aborted, undefined, 'the 30 ms requests finished within the grace period');

  // The signal was the CLI's part; resuming is the same in-process call the CLI makes.
  const resumed = await runInProcess({ cwd: project, resume: runDir });
  assert.equal(resumed.status, 'complete');
  await assertWholeRun(runDir, 1);

  const again = await refusal(runInProcess({ cwd: project, resume: runDir }));
  assert.match(again.message, /already complete/);
});
