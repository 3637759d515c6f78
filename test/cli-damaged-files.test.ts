/**
 * A results.ndjson damaged before its last line is exit 2 naming the file and line, for every command
 * that reads it, never a stack trace. The run directories are made in-process; `troupe merge` spawns (the
 * CLI's side: "troupe: " + the message, exit 2), report, compare and run --resume call in-process what
 * those commands call, and get the same coded error.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { runCli } from './helpers/cli.js';
import { run, TroupeError } from '../src/index.js';
import { buildReports } from '../src/reports/build.js';
import { readSummary } from '../src/reports/compare.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };
let project = '';
let whole = '';
let shards: string[] = [];

before(async () => {
  project = await writeProject({
    config: ['name: damaged', 'target: demo', 'locations: locations.csv', 'request: { method: POST, path: /api/v1/analyze, json: { address: "{{location.route}}", radius_miles: 5 } }', 'concurrency: 2', 'demo: { missLatency: 0ms }', 'out: out', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Ben\n' },
    locations: locationsCsv(5, (i) => `${i} Main St`),
  });
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  whole = (await executeRun({ inputs, progress: quiet })).runDir;
  shards = [];
  for (const index of [1, 2]) shards.push((await executeRun({ inputs, progress: quiet, shard: { index, count: 2 } })).runDir);
});

/** A copy of a run directory whose results.ndjson line 3 was cut in half (not the last line). */
async function damagedCopy(runDir: string, name: string): Promise<string> {
  const copy = join(project, 'out', name);
  await cp(runDir, copy, { recursive: true });
  const path = join(copy, 'results.ndjson');
  const lines = (await readFile(path, 'utf8')).split('\n');
  assert.ok(lines.length > 4, 'enough lines to damage one in the middle');
  lines[2] = lines[2]!.slice(0, 20);
  await writeFile(path, lines.join('\n'));
  return copy;
}

/** The coded error an in-process call ends with: exit code 2, the same message the CLI prints. */
async function damagedLineError(promise: Promise<unknown>, file: string): Promise<void> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TroupeError, `expected a TroupeError, got ${String(error)}`);
  assertDamagedLine({ code: error.exitCode, stderr: `troupe: ${error.message}\n` }, file);
}

function assertDamagedLine(result: { code: number | null; stderr: string }, file: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.ok(result.stderr.includes(`${file}, line 3: not a JSON result line (`), result.stderr);
  assert.match(result.stderr, /\(the file is damaged; only a cut-off last line is tolerated\)\n/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

test('troupe report: a damaged middle line is exit 2 naming it; no report is left half-written', async () => {
  const dir = await damagedCopy(whole, 'report');
  await damagedLineError(buildReports(dir), 'out/report/results.ndjson');
  assert.deepEqual((await readdir(join(dir, 'csv')).catch(() => [])).filter((f) => !f.startsWith('.')), [], 'no csv written from a damaged file');
});

test('troupe merge: a damaged shard is exit 2 naming its line; no half-merged results', async () => {
  const damaged = await damagedCopy(shards[1]!, 'shard-2');
  const result = await runCli(['merge', shards[0]!, damaged, '--out', 'out/merged'], { cwd: project });
  assertDamagedLine(result, 'out/shard-2/results.ndjson');
  assert.deepEqual(await readdir(join(project, 'out', 'merged')), []);
});

test('troupe compare: a run without summary.json is rebuilt from results.ndjson; a damaged line there is exit 2 naming it', async () => {
  const dir = await damagedCopy(whole, 'compare');
  await rm(join(dir, 'summary.json'));
  await damagedLineError(readSummary(dir, 'current'), 'out/compare/results.ndjson');
});

test('troupe run --resume: a damaged middle line is exit 2 naming it; nothing is appended', async () => {
  const dir = await damagedCopy(whole, 'resume');
  const manifest = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { status: string };
  await writeFile(join(dir, 'run.json'), JSON.stringify({ ...manifest, status: 'interrupted' }));
  const before = await readFile(join(dir, 'results.ndjson'), 'utf8');
  await damagedLineError(run({ cwd: project, resume: 'out/resume' }), 'out/resume/results.ndjson');
  assert.equal(await readFile(join(dir, 'results.ndjson'), 'utf8'), before);
});
