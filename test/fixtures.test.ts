import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode, InputError, UsageError } from '../src/errors.js';
import { parseBytes } from '../src/inputs/bytes.js';
import { DEFAULTS, discoverConfig, loadInputs } from '../src/inputs/config.js';
import { durationProblem, formatDuration, parseDuration, parseDurationRange } from '../src/inputs/duration.js';
import { loadLocations, parseLocations, selectLocations } from '../src/inputs/locations.js';
import { loadPersonas } from '../src/inputs/personas.js';
import { DEFAULT_REQUEST, mergeRequest } from '../src/inputs/request.js';
import { slugify, uniqueSlugs } from '../src/inputs/slug.js';
import { compileTemplate, renderTemplate } from '../src/engine/template.js';
import { findPlaceholders, validateTemplate } from '../src/inputs/template.js';
import type { Location, Persona, RequestTemplate } from '../src/inputs/types.js';

// Tests run from dist/test/; fixtures are read from the source tree.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VALID = 'test/fixtures/valid';
const BAD = 'test/fixtures/bad';
const at = (rel: string) => join(ROOT, rel);

/** Runs `fn`, expecting an InputError; checks code, exit code and that the message names the file and place. */
async function expectInputError(
  fn: () => Promise<unknown>,
  expected: { code: InputError['code']; file: string; place: string; also?: RegExp },
): Promise<InputError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
  assert.equal(error.code, expected.code, error.message);
  assert.equal(error.exitCode, ExitCode.usage);
  assert.ok(error.message.includes(expected.file), `message should name ${expected.file}: ${error.message}`);
  assert.ok(error.message.includes(expected.place), `message should name ${expected.place}: ${error.message}`);
  if (expected.also) assert.match(error.message, expected.also);
  return error;
}

const personas = (rel: string, env: NodeJS.ProcessEnv = {}) => () => loadPersonas(at(rel), { cwd: ROOT, env });
const locations = (rel: string) => () => loadLocations(at(rel), { cwd: ROOT });
const inputs = (configPath: string, env: NodeJS.ProcessEnv = {}) => () => loadInputs({ cwd: ROOT, configPath, overrides: {}, env });

function persona(over: Partial<Persona> = {}): Persona {
  return { name: 'Sarah', slug: 'sarah', weight: 1, headers: {}, params: { radius_miles: 5 }, source: 'x.yaml', ...over };
}
function location(fields: Location['fields'], id = 'loc-1'): Location {
  return { id, row: 2, fields };
}

describe('durations and sizes', () => {
  it('parses durations and ranges, and returns null for bad input', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1s'), 1000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('0'), 0, 'only 0 goes without a unit');
    assert.equal(parseDuration(0), 0);
    // One rule for every duration: a bare number is refused, and the message shows the fix.
    for (const bad of ['fast', '-1s', '', '1 sec', null, {}, -5, Number.NaN, 250, '250', '3']) assert.equal(parseDuration(bad), null, String(bad));
    assert.equal(durationProblem('3'), '"3": add a unit, e.g. 3s or 3ms');
    assert.equal(durationProblem(250), '"250": add a unit, e.g. 250s or 250ms');
    assert.match(durationProblem('fast'), /expected a duration with a unit, like 500ms, 10s, 1.5s or 2m, got "fast"/);
    assert.equal(formatDuration(10_000), '10s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(120_000), '2m');
    assert.deepEqual(parseDurationRange('200ms-800ms'), { minMs: 200, maxMs: 800 });
    assert.deepEqual(parseDurationRange('1s'), { minMs: 1000, maxMs: 1000 });
    assert.equal(parseDurationRange('800ms-200ms'), null);
    assert.equal(parseDurationRange('1s-2s-3s'), null);
  });

  it('parses byte sizes in binary units', () => {
    assert.equal(parseBytes('10mb'), 10 * 1024 * 1024);
    assert.equal(parseBytes('512kb'), 512 * 1024);
    assert.equal(parseBytes(2048), 2048);
    for (const bad of ['lots', 0, -1, 1.5, '10 parsecs']) assert.equal(parseBytes(bad), null, String(bad));
  });
});

describe('slugs', () => {
  it('makes safe file-name stems', () => {
    assert.equal(slugify('Sarah the Site Selector'), 'sarah-the-site-selector');
    assert.equal(slugify('José Ñúñez'), 'jose-nunez');
    assert.equal(slugify('../../etc/passwd'), 'etc-passwd');
    assert.equal(slugify('.hidden'), 'hidden');
    assert.equal(slugify('***'), 'persona');
    assert.equal(slugify(''), 'persona');
    assert.equal(slugify('CON'), 'con-1');
    assert.equal(slugify('lpt9'), 'lpt9-1');
    assert.ok(slugify('x'.repeat(100)).length <= 60);
  });

  it('makes slugs unique in order', () => {
    assert.deepEqual(uniqueSlugs(['Sarah', 'sarah', 'SARAH!', 'sarah-2']), ['sarah', 'sarah-2', 'sarah-3', 'sarah-2-2']);
    const long = uniqueSlugs(['y'.repeat(80), 'y'.repeat(90)]);
    assert.notEqual(long[0], long[1]);
    assert.ok(long.every((s) => s.length <= 60));
  });
});

describe('personas', () => {
  it('loads a folder: every yaml/yml/json file, sorted by name, objects and lists', async () => {
    const { personas: list, files } = await loadPersonas(at(`${VALID}/personas-folder`), { cwd: ROOT, env: {} });
    assert.deepEqual(list.map((p) => p.name), ['Ana the planner', 'Ben', 'Ben!', 'Cleo']);
    assert.deepEqual(list.map((p) => p.slug), ['ana-the-planner', 'ben', 'ben-2', 'cleo']);
    assert.equal(files.length, 3, 'README.md is not a persona file');
    const [ana, ben, ben2, cleo] = list as [Persona, Persona, Persona, Persona];
    assert.equal(ana.weight, 2);
    assert.deepEqual(ana.headers, { 'User-Agent': 'planner/1.0', 'X-Build': '42' });
    assert.deepEqual(ana.thinkTime, { minMs: 200, maxMs: 800 });
    assert.deepEqual(ana.locations, { ids: ['chi-loop', '7'] });
    assert.equal(ana.source, `${VALID}/personas-folder/a-ana.yaml`);
    assert.deepEqual(ben.thinkTime, { minMs: 1500, maxMs: 1500 });
    assert.deepEqual(ben.locations, { tag: 'Urban', column: 'tags' });
    assert.equal(ben.weight, 1);
    assert.equal(ben2.concurrency, 2);
    assert.equal(cleo.description, 'from JSON');
    assert.deepEqual(cleo.locations, { ids: ['nyc'] });
  });

  it('merges a persona request over the base template, headers per name', async () => {
    const { personas: list } = await loadPersonas(at(`${VALID}/personas-folder`), { cwd: ROOT, env: {} });
    const ben2 = list[2]!;
    assert.deepEqual(ben2.request, { method: 'POST', path: '/api/v1/other', headers: { 'x-client': 'ben-override' }, json: DEFAULT_REQUEST.json });
    const ana = list[0]!;
    assert.deepEqual(ana.request?.headers, ana.headers, 'persona headers are folded into its effective request');
  });

  it('loads a single {personas: [...]} file with reserved and empty slugs', async () => {
    const { personas: list } = await loadPersonas(at(`${VALID}/personas-list.yaml`), { cwd: ROOT, env: {} });
    assert.deepEqual(list.map((p) => [p.name, p.slug]), [['Con', 'con-1'], ['***', 'persona']]);
  });
});

describe('request merging', () => {
  it('a persona path replaces the base url, json replaces body, headers merge case-insensitively', () => {
    const base: RequestTemplate = { method: 'GET', url: 'https://a.example/x', body: 'raw', headers: { 'X-Client': 'base', Accept: 'text/plain' }, query: { a: 1 } };
    const merged = mergeRequest(base, { path: '/y', json: { k: 1 }, headers: { 'x-client': 'req' }, query: { b: 2 } }, { ACCEPT: 'application/json' });
    assert.deepEqual(merged, { method: 'GET', path: '/y', json: { k: 1 }, headers: { ACCEPT: 'application/json', 'x-client': 'req' }, query: { a: 1, b: 2 } });
  });
});

describe('locations', () => {
  it('reads CSV with a BOM, CRLF, quoted commas, blank lines; casts plain decimals only', async () => {
    const raw = readFileSync(at(`${VALID}/locations-bom-crlf.csv`));
    assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'fixture starts with a BOM');
    assert.ok(raw.includes('\r\n'), 'fixture uses CRLF');
    const { locations: rows, columns } = await loadLocations(at(`${VALID}/locations-bom-crlf.csv`), { cwd: ROOT });
    assert.deepEqual(columns, ['id', 'name', 'address', 'lat', 'lon', 'zip', 'tags']);
    assert.deepEqual(rows.toArray().map((r) => [r.id, r.row]), [['chi-loop', 2], ['bos', 3], ['7', 4]]);
    const chi = rows.at(0)!.fields;
    assert.equal(chi['address'], '233 S Wacker Dr, Chicago, IL 60606');
    assert.equal(chi['lat'], 41.8789);
    assert.equal(chi['lon'], -87.6359);
    assert.equal(chi['zip'], 60606);
    assert.equal(rows.at(1)!.fields['name'], 'Boston, Seaport');
    assert.equal(rows.at(1)!.fields['zip'], '02210', 'a leading zero keeps the value a string');
    assert.equal(rows.at(2)!.fields['lat'], '1e5', 'only plain decimals are cast');
    assert.equal(rows.at(2)!.fields['id'], '7', 'ids stay strings');
  });

  it('reads a JSON array: numbers and booleans kept, ids slugged from name or address and made unique', async () => {
    const { locations: rows, columns } = await loadLocations(at(`${VALID}/locations.json`), { cwd: ROOT });
    assert.deepEqual(rows.toArray().map((r) => r.id), ['madison-capitol', 'madison-capitol-2', '100-state-st']);
    assert.deepEqual(rows.toArray().map((r) => r.row), [1, 2, 3]);
    assert.equal(rows.at(0)!.fields['lat'], 43.0747);
    assert.equal(rows.at(1)!.fields['open'], false);
    assert.equal(rows.at(2)!.fields['note'], null);
    assert.deepEqual(columns, ['name', 'address', 'lat', 'lon', 'open', 'note']);
  });

  it('reads NDJSON with CRLF and blank lines; numeric ids become strings', async () => {
    const { locations: rows, columns } = await loadLocations(at(`${VALID}/locations.ndjson`), { cwd: ROOT });
    assert.deepEqual(rows.toArray().map((r) => [r.id, r.row]), [['a1', 1], ['2', 3]]);
    assert.equal(rows.at(1)!.fields['lat'], 39.74);
    assert.deepEqual(columns, ['id', 'city', 'lat', 'extra']);
  });

  it('selects by ids or by tag, case-insensitively', () => {
    const { locations: rows } = parseLocations('id,tags\na,Urban;retail\nb,suburban\nc,urban | office\n', 'x.csv');
    assert.deepEqual(selectLocations(rows, { tag: 'urban', column: 'tags' }).map((r) => r.id), ['a', 'c']);
    assert.deepEqual(selectLocations(rows, { ids: ['c', 'a'] }).map((r) => r.id), ['a', 'c']);
    assert.equal(selectLocations(rows, undefined).length, 3);
  });
});

describe('templates', () => {
  const sarah = persona({ name: 'Sarah Q', params: { radius_miles: 5, ratio: 0.5, flag: true, filters: { kind: 'cafe', max: 3 }, list: [1, 2] } });
  const chi = location({ address: '233 S Wacker Dr, Chicago', lat: 41.8789, city: 'Chicago', open: null }, 'chi loop');

  it('keeps the source type for a JSON value that is exactly one placeholder', () => {
    const template: RequestTemplate = {
      method: 'POST',
      path: '/analyze',
      json: {
        address: '{{location.address}}',
        radius_miles: '{{ persona.params.radius_miles }}',
        ratio: '{{persona.params.ratio}}',
        flag: '{{persona.params.flag}}',
        max: '{{persona.params.filters.max}}',
        filters: '{{persona.params.filters}}',
        lat: '{{location.lat}}',
        open: '{{location.open}}',
        iteration: '{{iteration}}',
        label: '{{persona.name}} #{{iteration}} at {{location.lat}}',
        captured: '{{vars.token}}',
        fixed: [1, 'two', { three: 3 }],
      },
    };
    const out = renderTemplate(template, { persona: sarah, location: chi, iteration: 3, vars: { token: 'abc' } });
    assert.deepEqual(JSON.parse(out.body as string), {
      address: '233 S Wacker Dr, Chicago',
      radius_miles: 5,
      ratio: 0.5,
      flag: true,
      max: 3,
      filters: { kind: 'cafe', max: 3 },
      lat: 41.8789,
      open: null,
      iteration: 3,
      label: 'Sarah Q #3 at 41.8789',
      captured: 'abc',
      fixed: [1, 'two', { three: 3 }],
    });
    assert.equal(out.contentType, 'application/json');
    assert.equal(out.headers['content-type'], 'application/json');
  });

  it('URL-encodes values placed in a path, repeats list query values, renders headers and text bodies', () => {
    const render = compileTemplate({
      method: 'put',
      path: '/v1/{{location.id}}/{{persona.params.filters.kind}}',
      query: { r: '{{persona.params.radius_miles}}', l: '{{persona.params.list}}', tags: ['x', '{{location.city}}'], none: null, n: 2 },
      headers: { 'X-Who': '{{persona.name}}', 'Content-Type': 'text/plain' },
      body: 'hello {{location.city}}',
    });
    const out = render({ persona: sarah, location: chi, iteration: 1 });
    assert.equal(out.path, '/v1/chi%20loop/cafe');
    assert.deepEqual(out.query, [['r', '5'], ['l', '1'], ['l', '2'], ['tags', 'x'], ['tags', 'Chicago'], ['n', '2']]);
    assert.deepEqual(out.headers, { 'X-Who': 'Sarah Q', 'Content-Type': 'text/plain' });
    assert.equal(out.body, 'hello Chicago');
    assert.equal(out.contentType, 'text/plain');
    assert.equal(out.method, 'put');
  });

  it('inserts a placeholder at the start of a url or path verbatim, and still encodes one later on', () => {
    const target = location({ url: 'https://api.example.com/a?b=1', path: '/a/b', city: 'New York' }, 'ny');
    const ctx = { persona: sarah, location: target, iteration: 1 };
    assert.equal(compileTemplate({ method: 'GET', url: '{{location.url}}' })(ctx).url, 'https://api.example.com/a?b=1');
    assert.equal(compileTemplate({ method: 'GET', path: '{{location.path}}' })(ctx).path, '/a/b');
    assert.equal(compileTemplate({ method: 'GET', path: '{{location.path}}/{{location.city}}' })(ctx).path, '/a/b/New%20York');
    assert.equal(compileTemplate({ method: 'GET', path: '/v1/{{location.path}}' })(ctx).path, '/v1/%2Fa%2Fb');
  });

  it('renders the default analyze request', () => {
    const out = renderTemplate(DEFAULT_REQUEST, { persona: sarah, location: chi, iteration: 1 });
    assert.equal(out.method, 'POST');
    assert.equal(out.path, '/api/v1/analyze');
    assert.equal(out.body, '{"address":"233 S Wacker Dr, Chicago","radius_miles":5}');
  });

  it('finds placeholders with key paths, and validates them', () => {
    const template: RequestTemplate = { method: 'GET', path: '/x', headers: { 'User-Agent': '{{persona.name}}' }, json: { a: ['{{location.city}}', '{{vars.id}}'] } };
    assert.deepEqual(findPlaceholders(template).map((p) => [p.keyPath, p.expression]), [
      ['headers.User-Agent', 'persona.name'],
      ['json.a[0]', 'location.city'],
      ['json.a[1]', 'vars.id'],
    ]);
    const ctx = { personaParams: { radius_miles: 5, filters: { kind: 'x' } }, locationColumns: new Set(['id', 'city']) };
    validateTemplate(template, ctx, { file: 'c.yaml', path: 'request' });
    validateTemplate({ json: '{{persona.params.filters.kind}}' }, ctx, { file: 'c.yaml' });
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ json: { q: '{{persona.params.filters.nope}}' } }, /at request\.json\.q: placeholder \{\{persona\.params\.filters\.nope\}\}.*no param "filters\.nope"/],
      [{ headers: { 'X-Id': '{{persona.id}}' } }, /at request\.headers\.X-Id: .*persona has no field "id"/],
      [{ path: '/{{location.zip}}' }, /at request\.path: .*no column "zip"/],
      [{ path: '/{{iteration.x}}' }, /at request\.path: .*takes no field/],
      [{ path: '/{{env.HOME}}' }, /unknown placeholder root "env"/],
    ];
    for (const [t, message] of bad) {
      assert.throws(() => validateTemplate(t, ctx, { file: 'c.yaml', path: 'request' }), (e: unknown) => e instanceof InputError && e.code === 'E_TEMPLATE' && message.test(e.message));
    }
  });
});

describe('config and inputs', () => {
  const project = `${VALID}/project`;
  const env = { TROUPE_TEST_TOKEN: 'tok-123', TROUPE_TEST_SECRET: 's3cret', TROUPE_TEST_EMPTY: '' };

  it('discovers the config file in order yaml, yml, json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-fixtures-'));
    try {
      assert.equal(discoverConfig(dir), null);
      await writeFile(join(dir, 'troupe.config.json'), '{}');
      assert.equal(discoverConfig(dir), join(dir, 'troupe.config.json'));
      await writeFile(join(dir, 'troupe.config.yml'), '');
      assert.equal(discoverConfig(dir), join(dir, 'troupe.config.yml'));
      await writeFile(join(dir, 'troupe.config.yaml'), '');
      assert.equal(discoverConfig(dir), join(dir, 'troupe.config.yaml'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a full config: paths relative to the config file, env secrets, persona overrides', async () => {
    const loaded = await loadInputs({ cwd: at(project), overrides: {}, env });
    const { config } = loaded;
    assert.equal(config.name, 'project-run');
    assert.equal(config.target, 'https://staging.example.com');
    assert.equal(config.personasPath, at(`${project}/people`));
    assert.equal(config.locationsPath, at(`${project}/data/places.csv`));
    assert.equal(config.outDir, at(`${project}/reports`));
    assert.equal(config.source, 'troupe.config.yaml');
    assert.deepEqual([config.concurrency, config.iterations, config.order, config.seed], [3, 2, 'interleaved', 7]);
    assert.deepEqual(config.timeouts, { connectMs: 2000, headersMs: 60_000, bodyMs: 60_000, totalMs: 60_000 });
    assert.equal(config.maxResponseBytes, 10 * 1024 * 1024);
    assert.deepEqual(config.cache, { header: { name: 'X-Edge-Cache', hit: ['HIT'], miss: ['MISS'] }, jsonPath: 'meta.cache', jsonHit: ['hit', 'true'], jsonMiss: ['miss', 'false'] });
    assert.deepEqual(config.demo, { ...DEFAULTS.demo, ttlSeconds: 60, errorRate: 0.1 });
    assert.deepEqual(config.redact, ['x-api-key']);
    assert.equal(config.request.method, 'POST', 'a template with a json body defaults to POST');

    assert.deepEqual(loaded.locations.toArray().map((l) => l.id), ['den 1', 'aus-2']);
    assert.deepEqual(loaded.secrets.sort(), ['s3cret', 'tok-123'], 'empty values are not secrets');
    const [pat, quinn] = loaded.personas as [Persona, Persona];
    assert.deepEqual(pat.headers, { 'X-Client': 'pat-app', 'X-Secret': 's3cret', 'X-Empty': '', 'X-Literal': '${env:NOT_RESOLVED}' });
    assert.equal(pat.request?.headers?.['Authorization'], 'Bearer tok-123');
    assert.equal(pat.request?.headers?.['X-Client'], 'pat-app', 'persona headers win over the config template');

    const rendered = renderTemplate(pat.request!, { persona: pat, location: loaded.locations.at(0)!, iteration: 2 });
    assert.equal(rendered.path, '/v2/score/den%201');
    assert.deepEqual(rendered.query, [['radius', '5'], ['tags', 'a'], ['tags', 'Denver']]);
    assert.deepEqual(JSON.parse(rendered.body as string), { where: 'Denver, CO', radius: 5, nested: ['cafe', 2, 1, true, null], who: 'Pat' });

    assert.equal(quinn.request?.method, 'GET');
    assert.equal(quinn.request?.path, undefined, 'a persona url replaces the config path');
    assert.equal(quinn.request?.json, undefined, 'a persona body replaces the config json');
    const q = renderTemplate(quinn.request!, { persona: quinn, location: loaded.locations.at(1)!, iteration: 1 });
    assert.equal(q.url, 'https://other.example.com/q?city=Austin');
    assert.equal(q.body, 'plain Quinn');
    assert.equal(q.headers['X-Client'], 'config-default');
    assert.match(loaded.configHash, /^[0-9a-f]{64}$/);
  });

  it('lets flags override the file, with paths relative to cwd', async () => {
    const loaded = await loadInputs({
      cwd: ROOT,
      configPath: `${project}/troupe.config.yaml`,
      overrides: { target: 'demo', locations: `${project}/data/other.csv`, concurrency: 9, iterations: 4, order: 'shuffled', seed: 42, out: 'tmp/out', name: 'flagged' },
      env,
    });
    const { config } = loaded;
    assert.deepEqual([config.target, config.concurrency, config.iterations, config.order, config.seed, config.name], ['demo', 9, 4, 'shuffled', 42, 'flagged']);
    assert.equal(config.locationsPath, at(`${project}/data/other.csv`));
    assert.equal(config.outDir, at('tmp/out'));
    assert.equal(config.personasPath, at(`${project}/people`), 'unset flags keep the file value');
    assert.equal(config.source, `${project}/troupe.config.yaml`);
    assert.equal(loaded.locations.length, 3);
  });

  it('hashes config and file contents: stable, ignores secrets, changes with the locations file', async () => {
    const load = (overrides: Parameters<typeof loadInputs>[0]['overrides'], token = 'tok-123') =>
      loadInputs({ cwd: ROOT, configPath: `${project}/troupe.config.yaml`, overrides, env: { ...env, TROUPE_TEST_TOKEN: token } });
    const a = await load({});
    const b = await load({}, 'rotated-token');
    const c = await load({ locations: `${project}/data/other.csv` });
    const d = await load({ out: 'elsewhere' });
    assert.equal(a.configHash, b.configHash);
    assert.equal(a.configHash, d.configHash, 'where reports go does not change what is run');
    assert.notEqual(a.configHash, c.configHash);
  });

  it('uses defaults without a config file: demo target and the analyze request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-fixtures-'));
    try {
      const loaded = await loadInputs({
        cwd: dir,
        overrides: { personas: at(`${VALID}/personas-folder/b-pair.yml`), locations: at(`${VALID}/locations-bom-crlf.csv`) },
        env: {},
      });
      assert.equal(loaded.config.target, 'demo');
      assert.equal(loaded.config.name, 'run');
      assert.equal(loaded.config.source, null);
      assert.equal(loaded.config.outDir, join(dir, 'reports'));
      assert.deepEqual(loaded.config.request, DEFAULT_REQUEST);
      assert.deepEqual(loaded.config.timeouts, DEFAULTS.timeouts);
      assert.equal(loaded.config.maxResponseBytes, 50 * 1024 * 1024);
      assert.deepEqual([loaded.config.concurrency, loaded.config.iterations, loaded.config.order, loaded.config.seed], [5, 1, 'persona', 1]);
      // Nothing named at all: the built-in demo (test/demo-fallback.test.ts); a personas flag alone is not enough.
      assert.match((await loadInputs({ cwd: dir, overrides: {}, env: {} })).notice ?? '', /built-in demo/);
      await expectInputError(() => loadInputs({ cwd: dir, overrides: { locations: at(`${VALID}/locations-bom-crlf.csv`) }, env: {} }), { code: 'E_FIXTURE', file: 'personas', place: 'not found' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads the shipped example', async () => {
    const loaded = await loadInputs({ cwd: ROOT, overrides: {}, env: {} });
    assert.equal(loaded.config.name, 'demo');
    assert.equal(loaded.config.target, 'demo');
    assert.equal(loaded.personas.length, 5);
    assert.equal(loaded.locations.length, 16);
    assert.ok(loaded.personas.every((p) => p.params['radius_miles'] === 5), 'personas share the cache key');
    assert.ok(loaded.personas.every((p) => (p.thinkTime?.maxMs ?? 0) <= 50), 'think times stay small');
    assert.equal(new Set(loaded.personas.map((p) => p.headers['User-Agent'])).size, 5);
    // The demo request renders {{location.address}}: that column is kept, the file's other seven are dropped.
    assert.deepEqual(Object.keys(loaded.locations.at(0)!.fields), ['address']);
  });

  it('rejects bad flag values as usage errors naming the flag', async () => {
    const cases: Array<[Parameters<typeof loadInputs>[0]['overrides'], RegExp]> = [
      [{ concurrency: 0 }, /^--concurrency: got 0, expected an integer from 1 to 10000/],
      [{ order: 'random' as never }, /^--order: got "random", expected one of: persona, interleaved, shuffled/],
      [{ target: 'ftp://x' }, /^--target: got "ftp:\/\/x"/],
      [{ iterations: 1.5 }, /^--iterations: got 1\.5, expected an integer/],
    ];
    for (const [overrides, message] of cases) {
      await assert.rejects(loadInputs({ cwd: ROOT, overrides, env: {} }), (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage && message.test(e.message));
    }
  });
});

describe('malformed inputs: InputError, exit code 2, file and row or key path named', () => {
  const cases: Array<[string, () => Promise<unknown>, Parameters<typeof expectInputError>[1]]> = [
    ['bad YAML', personas(`${BAD}/bad-yaml.yaml`), { code: 'E_FIXTURE', file: 'bad-yaml.yaml', place: 'row 5', also: /invalid YAML/ }],
    ['bad JSON persona file', personas(`${BAD}/bad-json.json`), { code: 'E_FIXTURE', file: 'bad-json.json', place: 'row 4', also: /invalid JSON/ }],
    ['bad CSV quoting', locations(`${BAD}/bad-quoting.csv`), { code: 'E_FIXTURE', file: 'bad-quoting.csv', place: 'row 3', also: /quoting.*line 3/ }],
    ['missing name', personas(`${BAD}/missing-name.yaml`), { code: 'E_FIXTURE', file: 'missing-name.yaml', place: 'at [1].name', also: /missing required key, expected a string/ }],
    ['duplicate names across files', personas(`${BAD}/duplicate-names`), { code: 'E_FIXTURE', file: 'duplicate-names/two.yaml', place: 'at personas[1].name', also: /duplicate persona name "Sarah", already used in .*duplicate-names\/one\.yaml/ }],
    ['weight "heavy"', personas(`${BAD}/weight-heavy.yaml`), { code: 'E_FIXTURE', file: 'weight-heavy.yaml', place: 'at weight', also: /got "heavy", expected a number/ }],
    ['persona concurrency 0', personas(`${BAD}/concurrency-zero.yaml`), { code: 'E_FIXTURE', file: 'concurrency-zero.yaml', place: 'at personas[0].concurrency', also: /got 0, expected an integer >= 1/ }],
    ['bad thinkTime', personas(`${BAD}/think-time.yaml`), { code: 'E_FIXTURE', file: 'think-time.yaml', place: 'at thinkTime', also: /got "fast", expected a duration with a unit, like 500ms or 1s, or a range 200ms-800ms/ }],
    ['unknown persona key', personas(`${BAD}/unknown-persona-key.yaml`), { code: 'E_FIXTURE', file: 'unknown-persona-key.yaml', place: 'at wieght', also: /unknown key "wieght"; valid keys are: name, .*weight/ }],
    ['header value not a string', personas(`${BAD}/header-object.yaml`), { code: 'E_FIXTURE', file: 'header-object.yaml', place: 'at headers.Accept', also: /expected a string or a number/ }],
    ['both path and url', personas(`${BAD}/both-path-and-url.yaml`), { code: 'E_FIXTURE', file: 'both-path-and-url.yaml', place: 'at request', also: /both path and url/ }],
    ['unset env var in a persona', personas(`${BAD}/env-unset.yaml`), { code: 'E_ENV', file: 'env-unset.yaml', place: 'at headers.Authorization', also: /TROUPE_TEST_UNSET_TOKEN is not set/ }],
    ['empty persona folder', personas(`${BAD}/empty-folder`), { code: 'E_FIXTURE', file: 'empty-folder', place: 'no persona files' }],
    ['empty locations (header only)', locations(`${BAD}/empty-locations.csv`), { code: 'E_FIXTURE', file: 'empty-locations.csv', place: 'no locations' }],
    ['empty locations file', locations(`${BAD}/empty-file.csv`), { code: 'E_FIXTURE', file: 'empty-file.csv', place: 'empty' }],
    ['CSV ragged row', locations(`${BAD}/ragged.csv`), { code: 'E_FIXTURE', file: 'ragged.csv', place: 'row 4', also: /has 2 values, expected 3/ }],
    ['bad NDJSON line', locations(`${BAD}/bad-line.ndjson`), { code: 'E_FIXTURE', file: 'bad-line.ndjson', place: 'row 3', also: /invalid JSON on line 3/ }],
    ['NDJSON line not an object', locations(`${BAD}/not-object.ndjson`), { code: 'E_FIXTURE', file: 'not-object.ndjson', place: 'row 2' }],
    ['duplicate location ids', locations(`${BAD}/duplicate-ids.csv`), { code: 'E_FIXTURE', file: 'duplicate-ids.csv', place: 'row 4, at id', also: /duplicate id "x", already used at row 2/ }],
    ['empty location id', locations(`${BAD}/empty-id.csv`), { code: 'E_FIXTURE', file: 'empty-id.csv', place: 'row 3, at id' }],
    ['nested JSON location value', locations(`${BAD}/nested.json`), { code: 'E_FIXTURE', file: 'nested.json', place: 'at [1].coords' }],
    ['unknown locations extension', locations(`${BAD}/locations.txt`), { code: 'E_FIXTURE', file: 'locations.txt', place: '".txt"', also: /expected one of: \.csv, \.json, \.ndjson/ }],
    ['bad target scheme', inputs(`${BAD}/project/ftp-target.yaml`), { code: 'E_CONFIG', file: 'ftp-target.yaml', place: 'at target', also: /got "ftp:\/\/files\.example\.com", expected "demo" or an http/ }],
    ['unknown config key', inputs(`${BAD}/project/unknown-key.yaml`), { code: 'E_CONFIG', file: 'unknown-key.yaml', place: 'at concurency', also: /valid keys are: .*concurrency/ }],
    ['unknown order', inputs(`${BAD}/project/bad-order.yaml`), { code: 'E_CONFIG', file: 'bad-order.yaml', place: 'at order', also: /got "random", expected one of: persona, interleaved, shuffled/ }],
    ['config concurrency 0', inputs(`${BAD}/project/concurrency-zero.yaml`), { code: 'E_CONFIG', file: 'concurrency-zero.yaml', place: 'at concurrency', also: /got 0/ }],
    ['bad timeout', inputs(`${BAD}/project/bad-timeout.yaml`), { code: 'E_CONFIG', file: 'bad-timeout.yaml', place: 'at timeouts.connect', also: /got "soon"/ }],
    ['bad maxResponseBytes', inputs(`${BAD}/project/bad-bytes.yaml`), { code: 'E_CONFIG', file: 'bad-bytes.yaml', place: 'at maxResponseBytes' }],
    ['bad request header value', inputs(`${BAD}/project/bad-request-header.yaml`), { code: 'E_CONFIG', file: 'bad-request-header.yaml', place: 'at request.headers.Accept' }],
    ['bad config JSON', inputs(`${BAD}/project/bad-syntax.json`), { code: 'E_CONFIG', file: 'bad-syntax.json', place: 'row 1', also: /invalid JSON/ }],
    ['config is a list', inputs(`${BAD}/project/list.yaml`), { code: 'E_CONFIG', file: 'list.yaml', place: 'expected a map' }],
    ['config file missing', inputs(`${BAD}/project/missing.yaml`), { code: 'E_CONFIG', file: 'missing.yaml', place: 'not found' }],
    ['unset env var in the config', inputs(`${BAD}/project/config-env-unset.yaml`), { code: 'E_ENV', file: 'config-env-unset.yaml', place: 'at request.headers.X-Api-Key', also: /TROUPE_TEST_UNSET_KEY/ }],
    ['unknown placeholder', inputs(`${BAD}/project/unknown-placeholder.yaml`), { code: 'E_TEMPLATE', file: 'unknown-placeholder.yaml', place: 'at request.json.user', also: /\{\{user\.name\}\}/ }],
    ['unknown location column', inputs(`${BAD}/project/unknown-column.yaml`), { code: 'E_TEMPLATE', file: 'unknown-column.yaml', place: 'at request.headers.X-Zip', also: /\{\{location\.zip\}\}.*columns are: id, address, city, tags/ }],
    ['unknown persona param', inputs(`${BAD}/project/unknown-param.yaml`), { code: 'E_TEMPLATE', file: 'unknown-param.yaml', place: 'at request.query.r', also: /persona "Norad" \(.*personas-no-radius\.yaml\) has no param "radius_miles"/ }],
    ['unknown location id in a persona', inputs(`${BAD}/project/unknown-location-id.yaml`), { code: 'E_FIXTURE', file: 'project/personas.yaml', place: 'at [1].locations', also: /"nowhere"/ }],
    ['tag that matches nothing', inputs(`${BAD}/project/bad-tag.yaml`), { code: 'E_FIXTURE', file: 'personas-bad-tag.yaml', place: 'at [0].locations', also: /no location has tag "rural"/ }],
  ];
  for (const [name, run, expected] of cases) it(name, () => expectInputError(run, expected).then(() => undefined));

  it('covers at least 15 malformed inputs', () => assert.ok(cases.length >= 15));
});
