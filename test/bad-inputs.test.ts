/**
 * Bad input files, in-process: each is refused with exit code 2, a short message naming the file and
 * the row or key path, and no run directory (test/helpers/refused.ts). These were CLI spawns in
 * cli-bad-input.test.ts and reliability-input.test.ts; the CLI's printing of the same errors is
 * proved there for one case per loader. Valid but odd input works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { validate } from '../src/index.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { BAD, expectRefused, flagsToOptions } from './helpers/refused.js';

/** [flags, file named in the message, where in it (row or key path) and what]. */
const CASES: Array<[string[], string, RegExp]> = [
  // From cli-bad-input.test.ts.
  [['--config', `${BAD}/project/bad-syntax.json`], 'bad-syntax.json', /row 1: invalid JSON/],
  [['--config', `${BAD}/project/unknown-key.yaml`], 'unknown-key.yaml', /at concurency: unknown key/],
  [['--config', `${BAD}/project/concurrency-zero.yaml`], 'concurrency-zero.yaml', /at concurrency: got 0/],
  [['--config', `${BAD}/project/ftp-target.yaml`], 'ftp-target.yaml', /at target: got "ftp:/],
  [['--config', `${BAD}/project/bad-order.yaml`], 'bad-order.yaml', /at order: got "random"/],
  [['--config', `${BAD}/project/bad-timeout.yaml`], 'bad-timeout.yaml', /at timeouts\.connect: got "soon"/],
  [['--config', `${BAD}/project/config-env-unset.yaml`], 'config-env-unset.yaml', /at request\.headers\.X-Api-Key: environment variable TROUPE_TEST_UNSET_KEY is not set/],
  [['--config', `${BAD}/project/unknown-placeholder.yaml`], 'unknown-placeholder.yaml', /at request\.json\.user: placeholder \{\{user\.name\}\}/],
  [['--config', `${BAD}/project/unknown-column.yaml`], 'unknown-column.yaml', /placeholder \{\{location\.zip\}\}: the locations have no column "zip"/],
  [['--config', `${BAD}/project/unknown-param.yaml`], 'unknown-param.yaml', /has no param "radius_miles"/],
  [['--personas', `${BAD}/bad-yaml.yaml`], 'bad-yaml.yaml', /row 5: invalid YAML/],
  [['--personas', `${BAD}/missing-name.yaml`], 'missing-name.yaml', /at \[1\]\.name: missing required key/],
  [['--personas', `${BAD}/duplicate-names`], 'two.yaml', /duplicate persona name "Sarah", already used in .*one\.yaml/],
  [['--personas', `${BAD}/weight-heavy.yaml`], 'weight-heavy.yaml', /at weight: got "heavy", expected a number/],
  [['--personas', `${BAD}/think-time.yaml`], 'think-time.yaml', /at thinkTime: got "fast"/],
  [['--personas', `${BAD}/empty-folder`], 'empty-folder', /has no persona files/],
  [['--locations', `${BAD}/bad-quoting.csv`], 'bad-quoting.csv', /row 3: bad CSV quoting/],
  [['--locations', `${BAD}/ragged.csv`], 'ragged.csv', /row 4: has 2 values, expected 3/],
  [['--locations', `${BAD}/bad-line.ndjson`], 'bad-line.ndjson', /row 3: invalid JSON on line 3/],
  [['--locations', `${BAD}/empty-locations.csv`], 'empty-locations.csv', /has no locations/],
  [['--locations', `${BAD}/duplicate-ids.csv`], 'duplicate-ids.csv', /row 4, at id: duplicate id "x"/],
  // From reliability-input.test.ts.
  [['--locations', `${BAD}/latin1.csv`], 'latin1.csv', /row 2: is not valid UTF-8 \(byte 0xE9 at column 6\)/],
  [['--locations', `${BAD}/binary.csv`], 'binary.csv', /row 1: is not valid UTF-8/],
  [['--locations', `${BAD}/nul.csv`], 'nul.csv', /row 2: has a NUL byte, so it looks like a binary file/],
  [['--personas', `${BAD}/latin1-persona.yaml`], 'latin1-persona.yaml', /row 1: is not valid UTF-8/],
  [['--locations', `${BAD}/header-only.csv`], 'header-only.csv', /has no locations/],
  [['--locations', `${BAD}/only-bom.csv`], 'only-bom.csv', /the file is empty/],
  [['--locations', `${BAD}/empty-file.csv`], 'empty-file.csv', /the file is empty/],
  [['--locations', `${BAD}/empty.json`], 'empty.json', /invalid JSON/],
  [['--locations', `${BAD}/empty.ndjson`], 'empty.ndjson', /has no locations/],
  [['--personas', `${BAD}/empty-personas.yaml`], 'empty-personas.yaml', /the file is empty/],
  [['--locations', `${BAD}/duplicate-header.csv`], 'duplicate-header.csv', /row 1: column "name" appears twice/],
  [['--locations', `${BAD}/unnamed-column.csv`], 'unnamed-column.csv', /row 1: column 2 of the header has no name/],
  [['--locations', `${BAD}/not-array.json`], 'not-array.json', /expected a JSON array/],
  [['--locations', `${BAD}/not-object.ndjson`], 'not-object.ndjson', /row \d+: got .*expected an object/],
  [['--locations', `${BAD}/nested.json`], 'nested.json', /at \[\d+\]\.\w+: got .*nested values are not supported/],
  [['--locations', `${BAD}/locations.txt`], 'locations.txt', /unsupported file type ".txt"/],
  [['--personas', `${BAD}/persona-scalar.yaml`], 'persona-scalar.yaml', /at \[0\]: got "just a string"/],
  [['--config', `${BAD}/project/redirects-max.yaml`], 'redirects-max.yaml', /at redirects\.max: got -1/],
  [['--config', `${BAD}/project/redirects-unknown-key.yaml`], 'redirects-unknown-key.yaml', /at redirects\.hops: unknown key/],
  [['--config', `${BAD}/project/allow-hosts-url.yaml`], 'allow-hosts-url.yaml', /at allowHosts\[0\]: got "http:\/\/api\.example\.com\/path", expected a host/],
  [['--config', `${BAD}/project/insecure-string.yaml`], 'insecure-string.yaml', /at insecure: got "yes", expected a boolean/],
];

// The environment without the variable config-env-unset.yaml needs, whatever the caller's shell has.
const env = { ...process.env, TROUPE_TEST_UNSET_KEY: undefined };

for (const [flags, file, where] of CASES) {
  test(`bad input: ${flags.join(' ')} → exit 2 naming ${file}, no run directory`, async () => {
    await expectRefused({ ...flagsToOptions(flags), env }, file, where);
  });
}

test('the bad-input corpus has at least 25 files', async () => {
  const count = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) n += e.isDirectory() ? await count(join(dir, e.name)) : 1;
    return n;
  };
  const n = await count(join(REPO_ROOT, BAD));
  assert.ok(n >= 25, `${n} files`);
});

// 3 MB: a line across three of the streamed reader's 1 MB chunks, one whole chunk in the middle (it
// was 50 MB, 10-12 s of a loaded full run for the same path through the parser).
test('a 3 MB line (made at test time) ends with exit 2 naming the file and row', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const path = join(dir, 'huge-line.csv');
  const file = await open(path, 'w');
  await file.write('id,name\na,');
  const chunk = Buffer.alloc(1024 * 1024, 0x78);
  for (let i = 0; i < 3; i++) await file.write(chunk);
  await file.write(',one too many\n');
  await file.close();
  await expectRefused({ locations: path }, 'huge-line.csv', /row 2: has 3 values, expected 2/);
});

test('valid but odd input works: BOM, CRLF, quoted commas and quotes, Unicode and emoji', async () => {
  const result = await validate({ cwd: REPO_ROOT, locations: 'test/fixtures/valid/odd-locations.csv', personas: 'personas' });
  assert.equal(result.inputs.locations.length, 3);
});
