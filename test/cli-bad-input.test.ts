/**
 * The CLI's side of bad input: one case per loader (config, personas, locations) spawned as a user
 * would, proving the in-process refusal (test/bad-inputs.test.ts has every case) reaches the user as
 * exit 2, one "troupe: …" message on stderr naming the file, nothing on stdout, no stack trace and
 * no run directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listDir, runCli, tempDir } from './helpers/cli.js';
import { BAD } from './helpers/refused.js';

/** [flags, file named in the message, where in it (row or key path)]. */
const CASES: Array<[string[], string, RegExp]> = [
  [['--config', `${BAD}/project/bad-syntax.json`], 'bad-syntax.json', /row 1: invalid JSON/],
  [['--personas', `${BAD}/duplicate-names`], 'two.yaml', /duplicate persona name "Sarah", already used in .*one\.yaml/],
  [['--locations', `${BAD}/ragged.csv`], 'ragged.csv', /row 4: has 2 values, expected 3/],
];

for (const [flags, file, where] of CASES) {
  test(`run ${flags.join(' ')} exits 2 naming ${file} and creates no run directory`, async () => {
    const out = await tempDir();
    const result = await runCli(['run', ...flags, '--out', `${out}/reports`]);
    assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
    assert.match(result.stderr, /^troupe: /);
    assert.ok(result.stderr.includes(file), `names the file ${file}: ${result.stderr}`);
    assert.match(result.stderr, where);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stdout, '');
    assert.deepEqual(await listDir(out), [], 'nothing written');
  });
}
