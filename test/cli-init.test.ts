import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT, onlyRunDir, runCli } from './helpers/cli.js';
import { schemaValidator } from './helpers/json-schema.js';
import { walk } from './helpers/run-files.js';
import * as api from '../src/index.js';
import { TroupeError } from '../src/errors.js';
import { loadInputEnv } from '../src/inputs/env-file.js';
import { renderVerdictLines } from '../src/metrics/threshold-format.js';
import { detectTerminal, paint } from '../src/sinks/terminal.js';

const temp = () => mkdtemp(join(tmpdir(), 'init-cli-'));

describe('troupe init, schema and env files from the command line', () => {
  it('init writes a project that validates, runs against the demo target and that init never overwrites', async () => {
    const parent = await temp();
    const init = await runCli(['init', 'shop', '--ci', 'github'], { cwd: parent });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /troupe\.config\.yaml[\s\S]*\.github\/workflows\/troupe-nightly\.yml[\s\S]*npx troupe validate\n {2}npx troupe run --target demo/);
    const dir = join(parent, 'shop');

    // Three independent commands on the new project, side by side, and the run in-process (what
    // `troupe run --target demo --no-reports` calls; that command's streams are cli-run's and ci-gate's).
    const config = await readFile(join(dir, 'troupe.config.yaml'), 'utf8');
    const [validate, run, again, schema] = await Promise.all([
      runCli(['validate'], { cwd: dir }),
      api.run({ cwd: dir, target: 'demo' }),
      runCli(['init', 'shop'], { cwd: parent }),
      runCli(['schema'], { cwd: parent }),
    ]);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /^ok: 2 personas, 6 locations/);
    assert.equal(run.passed, true);
    assert.match(renderVerdictLines(run.summary.thresholds!, paint(detectTerminal({}))), /thresholds: all 2 passed/);

    assert.equal(again.code, 2);
    assert.match(again.stderr, /shop\/troupe\.config\.yaml already exists; nothing was written/);
    assert.doesNotMatch(again.stderr, /Usage: troupe init/, 'an existing file is not a usage mistake: no help text');
    assert.equal(await readFile(join(dir, 'troupe.config.yaml'), 'utf8'), config);

    assert.equal(schema.code, 0, schema.stderr);
    const validConfig = schemaValidator(JSON.parse(schema.stdout) as object);
    assert.equal(validConfig(parse(config)), null);
    assert.notEqual(validConfig({ ...(parse(config) as object), concurency: 4 }), null);
  });

  it('reads .env for ${env:NAME}, says so in one line and redacts the values; a bad --env-file line is a coded error (exit 2)', async () => {
    const dir = await temp();
    const sentinel = 'ENVFILE-S3NT1NEL-4d2c';
    await writeFile(join(dir, '.env'), `# for the run\nAPI_TOKEN=${sentinel}\nUNUSED=1\n`);
    await writeFile(join(dir, 'loc.csv'), 'id,address\na,"1 Main St"\n');
    await writeFile(join(dir, 'troupe.config.yaml'), [
      'target: demo',
      `personas: ${join(REPO_ROOT, 'personas', 'sarah.yaml')}`,
      'locations: loc.csv',
      'request:',
      '  path: /api/v1/analyze',
      '  headers: { X-Token: "${env:API_TOKEN}" }',
      '  json: { address: "{{location.address}}", radius_miles: 1 }',
      '',
    ].join('\n'));
    // The CLI once (validate reads .env as run does): the one stderr line, and the value on neither stream.
    const check = await runCli(['validate'], { cwd: dir });
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stderr.split('\n').filter((l) => l.includes('.env')).join('\n'), 'troupe: read 2 variables from .env');
    assert.ok(!check.stdout.includes(sentinel) && !check.stderr.includes(sentinel));
    // The run in-process, with the environment the CLI builds from .env (src/inputs/env-file.ts).
    const loaded = await loadInputEnv({ cwd: dir });
    const run = await api.run({ cwd: dir, env: loaded.env, out: 'out' });
    assert.equal(run.passed, true);
    const runDir = await onlyRunDir(join(dir, 'out'));
    for (const file of await walk(runDir)) assert.ok(!(await readFile(join(runDir, file))).includes(sentinel), `${file} holds the .env value`);
    assert.ok((await readdir(runDir)).includes('run.json'));

    // A bad --env-file line: the coded error the CLI prints after "troupe: " with exit 2.
    await writeFile(join(dir, 'bad.env'), `A=1\nAPI_TOKEN ${sentinel}\n`);
    const bad = await loadInputEnv({ cwd: dir, envFile: 'bad.env' }).then(() => null, (e: unknown) => e);
    assert.ok(bad instanceof TroupeError, String(bad));
    assert.equal(bad.exitCode, 2);
    assert.match(bad.message, /^bad\.env, row 2: no "=" on this line/);
    assert.ok(!bad.message.includes(sentinel));
  });
});
