import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../src/errors.js';
import { loadInputs } from '../src/inputs/config.js';
import { envFileNote, loadInputEnv, parseEnvFile } from '../src/inputs/env-file.js';
import { Redactor } from '../src/redact.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const temp = () => mkdtemp(join(tmpdir(), 'init-env-'));

describe('env files', () => {
  it('reads NAME=value lines: comments, export, quotes, escapes, CRLF and a BOM', () => {
    const text = '\uFEFF# comment\r\n\r\nA=1\r\nexport B = two words # note\nC="line\\nbreak \\"q\\"" # c\nD=\'lit $x \\n\'\nE=\nF=a#b\nA=last\n';
    assert.deepEqual(Object.fromEntries(parseEnvFile(text, '.env')), { A: 'last', B: 'two words', C: 'line\nbreak "q"', D: 'lit $x \\n', E: '', F: 'a#b' });
  });

  it('names the file and line of a malformed line, never its text', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['A=1\nTOKEN s3cr3t\n', 2, /no "="/],
      ['A=1\n\n9X=s3cr3t\n', 3, /letters, digits and _/],
      ['A="s3cr3t\n', 1, /double quote/],
      ["A='s3cr3t' tail\n", 1, /after the closing quote/],
    ];
    for (const [text, row, problem] of cases) {
      assert.throws(() => parseEnvFile(text, 'ci.env'), (e: unknown) => e instanceof InputError && e.code === 'E_ENV' && e.exitCode === 2 && e.where.row === row && e.message.startsWith(`ci.env, row ${row}: `) && problem.test(e.message) && !e.message.includes('s3cr3t'));
    }
  });

  it('reads .env when present, requires a given --env-file, and lets the real environment win', async () => {
    const dir = await temp();
    assert.deepEqual(await loadInputEnv({ cwd: dir, processEnv: { X: '1' } }), { env: { X: '1' }, file: null });
    await assert.rejects(loadInputEnv({ cwd: dir, envFile: 'staging.env', processEnv: {} }), (e: unknown) => e instanceof InputError && e.message.startsWith('staging.env: env file not found'));
    await writeFile(join(dir, '.env'), 'TOKEN=from-file\nOTHER=o\n');
    const loaded = await loadInputEnv({ cwd: dir, processEnv: { TOKEN: 'from-env' } });
    assert.equal(loaded.env.TOKEN, 'from-env');
    assert.equal(loaded.env.OTHER, 'o');
    assert.equal(envFileNote(loaded.file!), 'troupe: read 2 variables from .env (1 already set in the environment, which wins)\n');
    // Node preloads a file given as --env-file into process.env: an equal value is the file's own, not a shadow.
    const preloaded = await loadInputEnv({ cwd: dir, processEnv: { TOKEN: 'from-file', OTHER: 'o' } });
    assert.equal(envFileNote(preloaded.file!), 'troupe: read 2 variables from .env\n');
  });

  it('makes ${env:NAME} values from the file secrets, redacted like any other', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'staging.env'), 'API_TOKEN="tok-3f9a-secret"\n');
    await writeFile(join(dir, 'troupe.config.yaml'), 'request:\n  path: /api/v1/analyze\n  headers: { X-Token: "${env:API_TOKEN}" }\n  json: { address: "{{location.address}}" }\n');
    const { env } = await loadInputEnv({ cwd: dir, envFile: 'staging.env', processEnv: {} });
    const inputs = await loadInputs({ cwd: dir, overrides: { locations: join(ROOT, 'fixtures/locations.csv'), personas: join(ROOT, 'personas') }, env });
    assert.deepEqual(inputs.secrets, ['tok-3f9a-secret']);
    assert.equal(new Redactor(inputs.secrets).text('sent tok-3f9a-secret'), 'sent [redacted]');
  });
});
