/**
 * The run directory's format: schemas checked on write and read, formatVersion written, an unversioned
 * file read as 1.0.0, a newer minor read, a newer major refused by report, compare and merge (exit 2).
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DamagedFileError, ExitCode, FormatVersionError, TroupeError } from '../src/errors.js';
import { buildReports } from '../src/reports/build.js';
import { readSummary as readComparable } from '../src/reports/compare.js';
import { readManifest, readSummary, readSummaryParts } from '../src/run-dir/json-files.js';
import { runDirPaths } from '../src/run-dir/layout.js';
import { buildManifest } from '../src/run-dir/manifest.js';
import { FORMAT_VERSION } from '../src/run-dir/schemas.js';
import type { RunManifest, RunSummary } from '../src/run-dir/types.js';
import { writeManifest, writeSummary } from '../src/run-dir/write.js';
import { mergeRuns } from '../src/run/merge.js';
import { runCli, tempDir } from './helpers/cli.js';
import { makeRunDir, sampleRecords } from './fixtures/reports/make-run-dir.js';

async function setVersion(file: string, version: string): Promise<void> {
  const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...value, formatVersion: version }));
}

async function refusedNewer(promise: Promise<unknown>, file: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof FormatVersionError, String(err));
    assert.equal(err.code, 'E_RUN_DIR_FORMAT');
    assert.equal(err.exitCode, ExitCode.usage);
    assert.ok(err.message.endsWith(`${file}: format version 2.0.0 is newer than this troupe reads (1.x); upgrade troupe`), err.message);
    return true;
  });
}

test('an unversioned run directory (earlier troupe) reads as 1.0.0; a newer minor reads; a newer major is refused by report, compare and merge', async () => {
  const dir = await tempDir('run-dir-format-');
  await makeRunDir(dir, sampleRecords());
  const paths = runDirPaths(dir);
  assert.equal((await readManifest(dir))?.formatVersion, undefined, 'the fixture is unversioned, as troupe wrote it before 1.0.0');
  assert.equal((await readSummary(paths.summary))?.name, 'sample');

  await setVersion(paths.summary, '1.7.0');
  assert.equal((await readSummaryParts(paths.summary))?.summary.formatVersion, '1.7.0', 'a newer minor only adds keys: read');

  await setVersion(paths.summary, '2.0.0');
  await refusedNewer(buildReports(dir, ['csv']), paths.summary);
  assert.deepEqual((await readdir(dir)).filter((f) => f === 'csv'), [], 'nothing written');
  await refusedNewer(readComparable(dir, 'baseline'), paths.summary);
  await refusedNewer(readComparable(paths.summary, 'current'), paths.summary);

  // merge reads run.json first: a shard's newer run.json is refused the same way.
  await setVersion(paths.summary, FORMAT_VERSION);
  await setVersion(paths.manifest, '2.0.0');
  const out = join(await tempDir('run-dir-format-out-'), 'merged');
  await refusedNewer(mergeRuns({ dirs: [dir], out, thresholds: () => [] }), paths.manifest);

  await setVersion(paths.manifest, 'two');
  await assert.rejects(readManifest(dir), (err: unknown) => err instanceof DamagedFileError && /formatVersion "two" is not a version like "1\.0\.0"/.test(err.message));
});

test('a run.json or summary.json that does not match its schema is a damaged file naming the key', async () => {
  const dir = await tempDir('run-dir-format-');
  await makeRunDir(dir, sampleRecords());
  const paths = runDirPaths(dir);
  const manifest = JSON.parse(await readFile(paths.manifest, 'utf8')) as Record<string, unknown>;
  await writeFile(paths.manifest, JSON.stringify({ ...manifest, status: 'done', planned: 'many' }));
  await assert.rejects(readManifest(dir), (err: unknown) => {
    assert.ok(err instanceof DamagedFileError && err.code === 'E_RUN_DIR_DAMAGED', String(err));
    assert.match(err.message, /run\.json: does not match its schema \(status: .*; planned: .*\) \(the file is damaged or not written by troupe\)/);
    return true;
  });
  const summary = JSON.parse(await readFile(paths.summary, 'utf8')) as Record<string, unknown>;
  await writeFile(paths.summary, JSON.stringify({ ...summary, global: { requests: 1 } }));
  await assert.rejects(readSummaryParts(paths.summary), (err: unknown) => err instanceof DamagedFileError && /summary\.json: does not match its schema \(global\./.test(err.message));
});

test('the writers stamp formatVersion and refuse to write a file that breaks its schema', async () => {
  const dir = await tempDir('run-dir-format-');
  await makeRunDir(dir, sampleRecords());
  const paths = runDirPaths(dir);
  const old = (await readManifest(dir))!;
  const manifest: RunManifest = buildManifest({ ...old, formatVersion: '0.9.0' });
  assert.equal(manifest.formatVersion, FORMAT_VERSION);
  assert.equal(manifest.node, process.version);
  await writeManifest(dir, manifest);
  assert.equal((await readManifest(dir))?.formatVersion, FORMAT_VERSION);

  const before = await readFile(paths.summary, 'utf8');
  const broken = { ...(await readSummary(paths.summary))!, completed: 'all' } as unknown as RunSummary;
  await assert.rejects(writeSummary(dir, broken), (err: unknown) => err instanceof TroupeError && err.code === 'E_INTERNAL' && /summary\.json \(completed: /.test(err.message));
  assert.equal(await readFile(paths.summary, 'utf8'), before, 'nothing half-written');
});

test('troupe report on a newer major: exit 2, the message, no stack trace', async () => {
  const dir = await tempDir('run-dir-format-');
  await makeRunDir(dir, sampleRecords());
  await setVersion(runDirPaths(dir).summary, '2.0.0');
  const result = await runCli(['report', dir, '--format', 'csv']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /summary\.json: format version 2\.0\.0 is newer than this troupe reads \(1\.x\); upgrade troupe/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});
