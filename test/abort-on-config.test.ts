/** abortOn in a config: the threshold grammar's message, with the file and key path, exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../src/errors.js';
import { loadInputs } from '../src/inputs/config.js';
import { locationsCsv, writeProject } from './helpers/project.js';

test('a bad abortOn names the file and abortOn, and says what the threshold parser says', async () => {
  const project = await writeProject({
    config: ['target: demo', 'locations: locations.csv', 'abortOn: "error_rate > 5s over 10s"', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n' },
    locations: locationsCsv(1),
  });
  await assert.rejects(loadInputs({ cwd: project, overrides: {} }), (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /troupe\.config\.yaml.*abortOn.*invalid rule: unit "s" does not fit for error_rate; expected a percentage/s);
    return true;
  });
});
