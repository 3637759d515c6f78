import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { FileExistsError, InputError, UsageError } from '../src/errors.js';
import { loadInputs } from '../src/inputs/config.js';
import { configJsonSchema, personaJsonSchema } from '../src/inputs/json-schema.js';
import { journeyFromHar } from '../src/scaffold/har.js';
import { checkTarget, gitignoreAddition, initProject, planScaffold } from '../src/scaffold/init.js';
import { renderInitResult } from '../src/scaffold/render.js';
import { schemaValidator } from './helpers/json-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HAR = join(ROOT, 'test/fixtures/har/session.har');
const HAR_SECRETS = /HAR-SECRET/;
const temp = () => mkdtemp(join(tmpdir(), 'init-scaffold-'));

async function filesUnder(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, await filesUnder(join(dir, entry.name), rel));
    else out[rel] = await readFile(join(dir, entry.name), 'utf8');
  }
  return out;
}

describe('troupe init: the plan', () => {
  it('writes a commented config with the schema line, two personas, a CSV and a workflow', () => {
    const plan = planScaffold({ name: 'shop', ci: 'github' });
    assert.deepEqual(plan.files.map((f) => f.path), ['troupe.config.yaml', 'personas/casual-browser.yaml', 'personas/analyst.yaml', 'data/locations.csv', '.github/workflows/troupe-nightly.yml']);
    const config = plan.files[0]!.content;
    assert.equal(config.split('\n')[0], '# yaml-language-server: $schema=./node_modules/troupe/schema/troupe.config.schema.json');
    assert.equal(plan.files[1]!.content.split('\n')[0], '# yaml-language-server: $schema=../node_modules/troupe/schema/troupe.persona.schema.json');
    const parsed = parse(config) as Record<string, unknown>;
    assert.equal(parsed.target, 'demo');
    assert.deepEqual(parsed.thresholds, ['p95 < 500ms', 'error_rate < 1%']);
    assert.deepEqual(parsed.timeouts, { connect: '5s', total: '30s' });
    const rows = plan.files[3]!.content.trim().split('\n');
    assert.ok(rows.length - 1 >= 5 && rows.length - 1 <= 8, `${rows.length - 1} location rows`);
    assert.deepEqual(plan.gitignore, ['reports/']);
  });

  it('writes files that the JSON Schemas accept', () => {
    const validConfig = schemaValidator(configJsonSchema());
    const validPersona = schemaValidator(personaJsonSchema());
    const plans = [planScaffold({ name: 'a' }), planScaffold({ name: 'b', recorded: { journey: journeyFromHar(readFileSync(HAR, 'utf8'), 'session.har'), file: 'session.har' } })];
    for (const plan of plans) {
      for (const file of plan.files) {
        if (file.path === 'troupe.config.yaml') assert.equal(validConfig(parse(file.content)), null, file.content);
        if (file.path.startsWith('personas/')) assert.equal(validPersona(parse(file.content)), null, file.content);
      }
    }
  });

  it('writes a nightly workflow: schedule and dispatch, npm ci, troupe run with --junit and --json, an artifact', () => {
    const workflow = parse(planScaffold({ name: 'a', ci: 'github' }).files.at(-1)!.content) as { on: Record<string, unknown>; jobs: Record<string, { steps: Array<Record<string, unknown>> }> };
    assert.ok(Array.isArray(workflow.on.schedule) && 'workflow_dispatch' in workflow.on);
    const steps = workflow.jobs['load-test']!.steps;
    assert.ok(steps.some((s) => s.run === 'npm ci'));
    const run = steps.find((s) => String(s.run ?? '').includes('npx troupe run'))!;
    assert.match(String(run.run), /--junit \S+ --json/);
    assert.match(JSON.stringify(run.env), /vars\.TROUPE_TARGET/);
    const upload = steps.find((s) => s.uses === 'actions/upload-artifact@v4')!;
    assert.equal(upload.if, 'always()');
  });

  it('refuses a --target with credentials or another scheme', () => {
    assert.equal(checkTarget('https://staging.example.com/'), 'https://staging.example.com');
    assert.throws(() => checkTarget('https://u:p@example.com'), (e: unknown) => e instanceof UsageError && !e.message.includes('u:p'));
    assert.throws(() => checkTarget('ftp://example.com'), UsageError);
  });

  it('appends to .gitignore only the entries it lacks', () => {
    assert.equal(gitignoreAddition(null, ['reports/']), '# troupe\nreports/\n');
    assert.equal(gitignoreAddition('node_modules/\n/reports\n', ['reports/']), null);
    assert.equal(gitignoreAddition('node_modules/', ['reports/', '.env']), '\n\n# troupe\nreports/\n.env\n');
  });
});

describe('troupe init: writing', () => {
  it('writes a project that loads, and appends to an existing .gitignore', async () => {
    const dir = await temp();
    await writeFile(join(dir, '.gitignore'), 'node_modules/\n');
    const result = await initProject({ dir, cwd: dir });
    assert.equal(result.gitignore, 'appended');
    assert.equal(await readFile(join(dir, '.gitignore'), 'utf8'), 'node_modules/\n\n# troupe\nreports/\n');
    const inputs = await loadInputs({ cwd: dir, overrides: {} });
    assert.deepEqual(inputs.personas.map((p) => p.name).sort(), ['Analyst', 'Casual browser']);
    assert.equal(inputs.locations.length, 6);
    assert.equal(inputs.config.gate.thresholds.length, 2);
    assert.match(renderInitResult(result, dir), /npx troupe validate\n {2}npx troupe run --target demo/);
  });

  it('writes nothing when any file it would write exists, and names that file', async () => {
    const dir = await temp();
    await mkdir(join(dir, 'personas'));
    await writeFile(join(dir, 'personas', 'analyst.yaml'), 'name: mine\n');
    const before = await filesUnder(dir);
    await assert.rejects(initProject({ dir, cwd: dir, ci: 'github' }), (e: unknown) => e instanceof FileExistsError && e.code === 'E_EXISTS' && e.exitCode === 2 && e.message.includes('personas/analyst.yaml') && e.message.includes('nothing was written'));
    assert.deepEqual(await filesUnder(dir), before);
  });
});

describe('troupe init --from-har', () => {
  const journey = journeyFromHar(readFileSync(HAR, 'utf8'), 'session.har');

  it('keeps the requests in order, relative to the first origin, without browser headers', () => {
    assert.equal(journey.origin, 'http://127.0.0.1:9');
    const requests = journey.steps.map((s) => s.request as Record<string, unknown>);
    assert.deepEqual(requests.map((r) => `${String(r.method)} ${String(r.path)}`), ['GET /health', 'POST /api/v1/analyze', 'GET /api/cache/stats']);
    assert.deepEqual(journey.steps.map((s) => s.name), ['get-health', 'post-api-v1-analyze', 'get-api-cache-stats']);
    const names = requests.flatMap((r) => Object.keys((r.headers ?? {}) as object).map((h) => h.toLowerCase()));
    for (const dropped of ['host', 'accept-encoding', 'connection', 'content-length', 'sec-fetch-mode', 'cache-control', ':authority']) assert.ok(!names.includes(dropped), dropped);
    assert.deepEqual(journey.notes.length, 2, journey.notes.join('\n')); // the websocket and the CORS preflight
  });

  it('turns credentials into ${env:...} placeholders, and JSON bodies into json:', () => {
    const [health, analyze] = journey.steps.map((s) => s.request as { headers: Record<string, string>; query?: Record<string, string>; json?: Record<string, unknown> });
    assert.equal(health!.headers.Cookie, '${env:TROUPE_COOKIE}');
    assert.equal(analyze!.headers.Authorization, 'Bearer ${env:TROUPE_AUTHORIZATION}');
    assert.equal(analyze!.headers['X-Api-Key'], '${env:TROUPE_X_API_KEY}');
    assert.deepEqual(analyze!.query, { access_token: '${env:TROUPE_QUERY_ACCESS_TOKEN}', lang: 'en' });
    assert.deepEqual(analyze!.json, { address: '233 S Wacker Dr, Chicago, IL 60606', radius_miles: 3, password: '${env:TROUPE_BODY_PASSWORD}' });
    assert.deepEqual(journey.envVars.map((v) => v.name), ['TROUPE_COOKIE', 'TROUPE_AUTHORIZATION', 'TROUPE_X_API_KEY', 'TROUPE_QUERY_ACCESS_TOKEN', 'TROUPE_BODY_PASSWORD']);
  });

  it('keeps other origins as absolute urls listed in allowHosts, and form bodies as body:', () => {
    const har = { log: { entries: [
      { request: { method: 'GET', url: 'https://app.example.com/' } },
      { request: { method: 'POST', url: 'https://api.example.com/login', headers: [], postData: { mimeType: 'application/x-www-form-urlencoded', text: 'user=ann&password=HAR-SECRET-PW&note=a%20b' } } },
    ] } };
    const j = journeyFromHar(JSON.stringify(har), 'x.har');
    const login = j.steps[1]!.request as Record<string, unknown>;
    assert.equal(login.url, 'https://api.example.com/login');
    assert.equal(login.body, 'user=ann&password=${env:TROUPE_BODY_PASSWORD}&note=a%20b');
    assert.deepEqual(j.otherHosts, ['api.example.com']);
    const config = parse(planScaffold({ name: 'x', recorded: { journey: j, file: 'x.har' } }).files[0]!.content) as Record<string, unknown>;
    assert.equal(config.target, 'https://app.example.com');
    assert.deepEqual(config.allowHosts, ['api.example.com']);
    assert.equal(j.steps[0]!.name, 'get-root');
  });

  it('writes files, notes and output with no recorded secret, and an .env.example', async () => {
    const dir = await temp();
    const result = await initProject({ dir, cwd: ROOT, fromHar: 'test/fixtures/har/session.har', ci: 'github' });
    const files = await filesUnder(dir);
    assert.deepEqual(Object.keys(files).sort(), ['.env.example', '.github/workflows/troupe-nightly.yml', '.gitignore', 'data/locations.csv', 'personas/recorded.yaml', 'troupe.config.yaml']);
    for (const [name, text] of Object.entries(files)) assert.doesNotMatch(text, HAR_SECRETS, name);
    assert.doesNotMatch(renderInitResult(result, ROOT), HAR_SECRETS);
    assert.match(files['.env.example']!, /^TROUPE_COOKIE=$/m);
    assert.match(files['.gitignore']!, /^\.env$/m);
    assert.match(files['.github/workflows/troupe-nightly.yml']!, /TROUPE_COOKIE: \$\{\{ secrets\.TROUPE_COOKIE \}\}/);
    const env = Object.fromEntries(result.envVars.map((v, i) => [v.name, `value-${i}-from-env`]));
    const inputs = await loadInputs({ cwd: dir, overrides: {}, env });
    assert.equal(inputs.personas[0]!.journey!.length, 3);
    assert.ok(inputs.secrets.includes('value-0-from-env'), 'placeholders resolve to secrets that are redacted');
  });

  it('names the file and the key path of a bad HAR', () => {
    const bad = (text: string, path: string | undefined) =>
      assert.throws(() => journeyFromHar(text, 'bad.har'), (e: unknown) => e instanceof InputError && e.exitCode === 2 && e.where.file === 'bad.har' && e.where.path === path && !e.message.includes('SECRET'));
    bad('{"log": {"entries": [ SECRET', undefined);
    bad('{"log": {}}', 'log.entries');
    bad('[]', 'log.entries');
    bad(JSON.stringify({ log: { entries: [{ request: { method: 'GET', url: 'http://a/' } }, { request: { method: 'GET' } }] } }), 'log.entries[1].request.url');
    bad(JSON.stringify({ log: { entries: [{ request: { method: 'GET', url: 'not a url' } }] } }), 'log.entries[0].request.url');
    bad(JSON.stringify({ log: { entries: [{ response: {} }] } }), 'log.entries[0].request');
  });

  it('refuses a HAR that is not there, naming it', async () => {
    await assert.rejects(initProject({ dir: await temp(), cwd: ROOT, fromHar: 'missing.har' }), (e: unknown) => e instanceof InputError && e.message.startsWith('missing.har: HAR file not found'));
  });
});
