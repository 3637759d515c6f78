/** Errors a user can meet are coded; an uncoded one (a bug) prints its message and a request to report it, never a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unexpectedErrorText } from '../src/cli/unexpected.js';
import { DamagedFileError } from '../src/errors.js';
import { readComparison } from '../src/reports/compare.js';
import { tempDir } from './helpers/cli.js';

test('an unexpected error prints its first line and "please report", no stack trace', () => {
  const err = new Error('invariant broken\nsecond line');
  const text = unexpectedErrorText(err);
  assert.equal(text, 'troupe: unexpected error: invariant broken\ntroupe: this is a bug in troupe; please report it, with the command you ran, at the troupe issue tracker\n');
  assert.doesNotMatch(text, /\n\s+at /);
});

test('readComparison: no compare.json is null; a damaged one is a coded error naming the file, not silence', async () => {
  const dir = await tempDir('troupe-cmpjson-');
  assert.equal(await readComparison(dir), null);
  await writeFile(join(dir, 'compare.json'), '{"rows": [');
  await assert.rejects(readComparison(dir), (err: unknown) => err instanceof DamagedFileError && /compare\.json is damaged/.test(err.message) && err.exitCode === 2);
  const folder = await tempDir('troupe-cmpjson-');
  await mkdir(join(folder, 'compare.json'));
  await assert.rejects(readComparison(folder), { code: 'E_RUN_DIR', message: /compare\.json cannot be read: EISDIR/ });
});
