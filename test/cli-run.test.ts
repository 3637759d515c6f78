import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { onlyRunDir, REPO_ROOT, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { buildReports } from '../src/reports/build.js';
import { validate } from '../src/index.js';
import { describePlanLine } from '../src/run/describe-plan.js';
import { assertRunDirValid } from './helpers/run-dir-valid.js';

/**
 * The README's first command, as a new user runs it: the shipped config against the demo target. The
 * run directory is the subject: --no-reports leaves the PDF to the report tests (the CLI's default
 * reports are checked in hostile-cli.test.ts, the csv/ and PDF contents in reports-cli.test.ts).
 */
let shipped: Promise<{ result: CliResult; runDir: string; history: string }> | undefined;
/** The one `troupe run` of this file (--no-reports, --history), shared by the tests that read its run directory. */
function shippedRun() {
  shipped ??= (async () => {
    const [out, history] = [await tempDir(), join(await tempDir(), 'history')];
    const result = await runCli(['run', '--no-reports', '--out', out, '--history', history], { cwd: REPO_ROOT, timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    return { result, runDir: await onlyRunDir(out), history };
  })();
  return shipped;
}

test('troupe run on the shipped example writes a complete run directory with an 80% cache hit rate', async () => {
  const { result, runDir, history } = await shippedRun();
  assert.equal(result.stdout, '', 'stdout stays clean for machine output');
  // --history DIR (= --output history=DIR): a copy of summary.json named by the run id, for troupe trend.
  assert.deepEqual(await readdir(history), [`${runDir.split('/').pop()}.json`]);
  const lines = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 80);
  const results = lines.map((l) => JSON.parse(l));
  assert.equal(new Set(results.map((r) => r.id)).size, 80, 'every work item exactly once');
  assert.ok(results.every((r) => r.ok && r.status === 200));

  const snapshots = (await readdir(join(runDir, 'personas'))).filter((f) => f.endsWith('.json'));
  assert.equal(snapshots.length, 5);
  for (const file of snapshots) JSON.parse(await readFile(join(runDir, 'personas', file), 'utf8'));

  const manifest = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'));
  assert.equal(manifest.status, 'complete');
  assert.equal(manifest.planned, 80);

  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.global.requests, 80);
  assert.equal(summary.global.cache.hit, 64);
  assert.equal(summary.global.cache.miss, 16);
  assert.equal(summary.global.cache.hitRate, 0.8);
  // The target's own counters agree with what troupe observed.
  assert.equal(summary.serverCache.hits, 64);
  assert.equal(summary.serverCache.misses, 16);
  assert.equal(Object.keys(summary.personas).length, 5);
  assert.deepEqual(await assertRunDirValid(runDir), { lines: 80, snapshots: 5, hasSummary: true });

  assert.match(result.stderr, /hit rate 80\.0%/);
  assert.match(result.stderr, new RegExp(`run directory: .*${runDir.split('/').pop()}`));
});

test('troupe validate checks inputs without a network and prints the plan size', async () => {
  const out = await tempDir();
  // In-process: the plan and its line as `troupe validate --out DIR` prints them (the command's exit 0 and
  // stdout line are spawned in cli-init.test.ts, on the project init writes).
  const plan = await validate({ cwd: REPO_ROOT, out });
  assert.match(describePlanLine(plan), /^ok: 5 personas, 16 locations, 1 iteration\(s\) → 80 requests against the demo target$/);
  assert.deepEqual(await readdir(out), []);
});

test('--help lists the commands and exits 0; an unknown option exits 2', async () => {
  const [help, bad] = await Promise.all([runCli(['--help']), runCli(['run', '--concurrency', 'zero'])]);
  assert.equal(help.code, 0);
  for (const command of ['run', 'validate', 'demo-server']) assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--concurrency.*"zero"/);
});

test('--no-reports skips csv/ and report.pdf; the report builder makes them later from the run directory alone', async () => {
  const { runDir } = await shippedRun();
  const before = await readdir(runDir);
  assert.ok(!before.includes('csv') && !before.includes('report.pdf'), before.join());
  // In-process, csv only: `troupe report DIR` building csv/ and report.pdf from a run directory alone is
  // spawned in reports.test.ts, the PDF's contents are reports-cli.test.ts'.
  const built = await buildReports(runDir, ['csv']);
  assert.deepEqual(built.failed, []);
  const after = await readdir(runDir);
  assert.ok(after.includes('csv') && !after.includes('report.pdf'), after.join());
  assert.ok((await readdir(join(runDir, 'csv'))).includes('requests.csv'));
});

test('troupe validate describes an open-model config by its arrivals', async () => {
  const dir = await tempDir();
  const config = `${dir}/open.yaml`;
  await (await import('node:fs/promises')).writeFile(
    config,
    `target: demo\npersonas: ${REPO_ROOT}personas\nlocations: ${REPO_ROOT}fixtures/locations.csv\nload: { phases: [{ duration: 10s, rate: 5, rampTo: 20 }, { duration: 20s, rate: 20 }] }\n`,
  );
  // In-process: the line `troupe validate` prints (its CLI output is tested above).
  const plan = await validate({ cwd: dir, config });
  // 10 s ramping 5→20 (125 arrivals) + 20 s at 20/s (400).
  assert.match(describePlanLine(plan), /open model → about 525 uniform arrivals over 30 s/);
});
