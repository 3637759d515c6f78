import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT, onlyRunDir, runCli } from './helpers/cli.js';
import { schemaValidator } from './helpers/json-schema.js';
import { walk } from './helpers/run-files.js';

const temp = () => mkdtemp('/tmp/init-cli-');

describe('troupe init, schema and env files from the command line', () => {
  it('init writes a project that validates, runs against the demo target and that init never overwrites', async () => {
    const parent = await temp();
    const init = await runCli(['init', 'shop', '--ci', 'github'], { cwd: parent });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /troupe\.config\.yaml[\s\S]*\.github\/workflows\/troupe-nightly\.yml[\s\S]*npx troupe validate\n {2}npx troupe run --target demo/);
    const dir = join(parent, 'shop');

    // Four independent commands on the new project, side by side.
    const config = await readFile(join(dir, 'troupe.config.yaml'), 'utf8');
    const [validate, run, again, schema] = await Promise.all([
      runCli(['validate'], { cwd: dir }),
      runCli(['run', '--target', 'demo', '--no-reports', '--no-progress'], { cwd: dir }),
      runCli(['init', 'shop'], { cwd: parent }),
      runCli(['schema'], { cwd: parent }),
    ]);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /^ok: 2 personas, 6 locations/);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /thresholds: all 2 passed/);

    assert.equal(again.code, 2);
    assert.match(again.stderr, /shop\/troupe\.config\.yaml already exists; nothing was written/);
    assert.doesNotMatch(again.stderr, /Usage: troupe init/, 'an existing file is not a usage mistake: no help text');
    assert.equal(await readFile(join(dir, 'troupe.config.yaml'), 'utf8'), config);

    assert.equal(schema.code, 0, schema.stderr);
    const validConfig = schemaValidator(JSON.parse(schema.stdout) as object);
    assert.equal(validConfig(parse(config)), null);
    assert.notEqual(validConfig({ ...(parse(config) as object), concurency: 4 }), null);
  });

  it('reads .env for ${env:NAME}, says so in one line and redacts the values; a bad --env-file line is exit 2', async () => {
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
    const run = await runCli(['run', '--no-reports', '--no-progress', '--out', 'out'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr.split('\n').filter((l) => l.includes('.env')).join('\n'), 'troupe: read 2 variables from .env');
    assert.ok(!run.stdout.includes(sentinel) && !run.stderr.includes(sentinel));
    const runDir = await onlyRunDir(join(dir, 'out'));
    for (const file of await walk(runDir)) assert.ok(!(await readFile(join(runDir, file))).includes(sentinel), `${file} holds the .env value`);
    assert.ok((await readdir(runDir)).includes('run.json'));

    await writeFile(join(dir, 'bad.env'), `A=1\nAPI_TOKEN ${sentinel}\n`);
    const bad = await runCli(['validate', '--env-file', 'bad.env'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^troupe: bad\.env, row 2: no "=" on this line/);
    assert.ok(!bad.stderr.includes(sentinel));
  });
});
