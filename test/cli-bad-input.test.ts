import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listDir, runCli, tempDir } from './helpers/cli.js';

const BAD = 'test/fixtures/bad';

/** [flags, file named in the message, where in it (row or key path)]. */
const CASES: Array<[string[], string, RegExp]> = [
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
];

for (const [flags, file, where] of CASES) {
  test(`run ${flags.join(' ')} exits 2 naming ${file} and creates no run directory`, async () => {
    const out = await tempDir();
    const result = await runCli(['run', ...flags, '--out', `${out}/reports`], { env: { TROUPE_TEST_UNSET_KEY: undefined } });
    assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
    assert.ok(result.stderr.includes(file), `names the file ${file}: ${result.stderr}`);
    assert.match(result.stderr, where);
    assert.equal(result.stdout, '');
    assert.deepEqual(await listDir(out), [], 'nothing written');
  });
}
