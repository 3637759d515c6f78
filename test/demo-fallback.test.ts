/**
 * First contact: a folder without a config runs the package's built-in demo (data found relative to
 * the package, reports under the folder), and the programmatic API does what `troupe run` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInputs } from '../src/inputs/config.js';
import { PACKAGE_ROOT } from '../src/inputs/demo-inputs.js';
import { InputError, run, validate } from '../src/index.js';
import { REPO_ROOT, runCli, tempDir } from './helpers/cli.js';

test('no config and no inputs named: the built-in demo, the same run as the checkout\'s troupe.config.yaml', async () => {
  const empty = await tempDir('troupe-empty-');
  const demo = await loadInputs({ cwd: empty, overrides: {} });
  const checkout = await loadInputs({ cwd: REPO_ROOT, overrides: {} });

  assert.match(demo.notice ?? '', /^no troupe\.config\.yaml here; running the built-in demo \(npx troupe init writes a project\)$/);
  assert.equal(checkout.notice, undefined);
  assert.equal(demo.config.personasPath, join(PACKAGE_ROOT, 'personas'));
  assert.equal(demo.config.outDir, join(empty, 'reports'), 'run directories land under the folder, not in the package');
  assert.equal(demo.config.source, null);
  // Same config values and the same persona and location bytes: the demo cannot drift from the checkout's config.
  assert.equal(demo.configHash, checkout.configHash);
  assert.deepEqual(demo.inputDigests, checkout.inputDigests);
});

test('the demo fallback applies only when nothing names the inputs', async () => {
  const dir = await tempDir('troupe-empty-');
  const withTarget = await loadInputs({ cwd: dir, overrides: { target: 'http://127.0.0.1:9' } });
  assert.match(withTarget.notice ?? '', /using the built-in demo's personas and locations/);
  assert.doesNotMatch(withTarget.notice ?? '', /127\.0\.0\.1/, 'the target (it may hold credentials) is not printed');

  // --personas given: the user means their own files, so a missing locations file is an error, not the demo.
  await writeFile(join(dir, 'p.yaml'), 'name: Ana\n');
  await assert.rejects(loadInputs({ cwd: dir, overrides: { personas: 'p.yaml' } }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /locations\.csv/);
    return true;
  });

  // A config file that leaves out personas/locations keeps meaning ./personas and ./fixtures/locations.csv.
  await writeFile(join(dir, 'troupe.config.yaml'), 'target: demo\n');
  await assert.rejects(loadInputs({ cwd: dir, overrides: {} }), InputError);
});

test('programmatic API: validate and run in an empty folder, as the README shows', async () => {
  const cwd = await tempDir('troupe-api-');
  const plan = await validate({ cwd });
  assert.deepEqual({ personas: plan.personas, locations: plan.locations, planned: plan.planned, unit: plan.unit }, { personas: 5, locations: 16, planned: 80, unit: 'requests' });

  const result = await run({ cwd, thresholds: ['error_rate < 1%', 'p95 < 1ms'] });
  assert.equal(result.status, 'complete');
  assert.equal(result.summary.completed, 80);
  assert.equal(result.summary.global.cache.hit, 64);
  assert.equal(result.runDir, join(cwd, 'reports', result.runId));
  assert.match(result.notice ?? '', /built-in demo/);
  // The 1 ms p95 cannot hold with 40 ms cache misses: the verdict fails and so does `passed`, as exit 1 would.
  assert.equal(result.summary.thresholds?.passed, false);
  assert.equal(result.passed, false);
  const onDisk = JSON.parse(await readFile(join(result.runDir, 'summary.json'), 'utf8'));
  assert.equal(onDisk.runId, result.runId);
  assert.ok(!(await readdir(result.runDir)).includes('report.pdf'), 'reports: false by default');
});

test('troupe validate in an empty folder says in one stderr line that it uses the built-in demo', async () => {
  const cwd = await tempDir('troupe-empty-');
  const result = await runCli(['validate'], { cwd });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'troupe: no troupe.config.yaml here; running the built-in demo (npx troupe init writes a project)\n');
  assert.match(result.stdout, /^ok: 5 personas, 16 locations, 1 iteration\(s\) → 80 requests against the demo target\n$/);
});
