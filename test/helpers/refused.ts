/**
 * Bad input through the in-process API (what `troupe run` calls): the run is refused with a coded
 * error whose exit code is 2, whose message names the file and the place in it and is short (no dump,
 * no stack), and nothing is written — no run directory. The CLI prints exactly this message after
 * "troupe: " (test/cli-bad-input.test.ts proves that for one case per loader).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ExitCode, run, TroupeError, type RunOptions } from '../../src/index.js';
import { InputError } from '../../src/errors.js';
import { listDir, REPO_ROOT, tempDir } from './cli.js';

export const BAD = 'test/fixtures/bad';

/** CLI-style flags (`--config`, `--personas`, `--locations`) → the API's options. */
export function flagsToOptions(flags: readonly string[]): RunOptions {
  const options: RunOptions = {};
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i], flags[i + 1]];
    if (flag === '--config') options.config = value!;
    else if (flag === '--personas') options.personas = value!;
    else if (flag === '--locations') options.locations = value!;
    else throw new Error(`flagsToOptions: add ${flag}`);
  }
  return options;
}

export async function expectRefused(options: RunOptions, file: string, where: RegExp): Promise<TroupeError> {
  const out = await tempDir('troupe-refused-');
  let error: unknown;
  try {
    await run({ cwd: REPO_ROOT, ...options, out: join(out, 'reports') });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TroupeError, `expected a TroupeError, got ${error instanceof Error ? error.stack : String(error)}`);
  assert.equal(error.exitCode, ExitCode.usage, `exit code; ${error.message}`);
  assert.ok(error.message.includes(file), `names the file ${file}: ${error.message}`);
  assert.match(error.message, where);
  assert.ok(error.message.length < 2000, `a short message, not a dump (${error.message.length} chars)`);
  assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace in the message');
  assert.deepEqual(await listDir(out), [], 'no run directory');
  return error;
}

/** The InputError a synchronous loader throws (a unit test of the parser, below the API). */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an InputError');
}
