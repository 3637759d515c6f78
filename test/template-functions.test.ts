/** Template functions and VU/visit values: parsing, load-time errors, rendering from a per-visit seeded stream. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compileTemplate, compileValue } from '../src/engine/template.js';
import { visitValues } from '../src/engine/visit-values.js';
import { InputError } from '../src/errors.js';
import { TroupeError, validate } from '../src/index.js';
import { parsePlaceholder, validateTemplate } from '../src/inputs/template.js';
import type { Location, Persona } from '../src/inputs/types.js';
import { writeProject } from './helpers/project.js';

const persona: Persona = { name: 'Pat', slug: 'pat', weight: 1, headers: {}, params: { items: ['a', 'b', 'c'], one: 'x', empty: [] }, source: 'p.yaml' };
const location: Location = { id: 'l1', row: 2, fields: {} };
const ctx = (visit: string, seed = 7, vu = 0, now = 1_700_000_000_000) => ({ persona, location, iteration: 1, visit: visitValues(seed, visit, vu, () => now) });
const body = (json: unknown, c: ReturnType<typeof ctx>) => compileTemplate({ method: 'POST', path: '/x', json })(c).body as string;

const tctx = { personaParams: persona.params, locationColumns: new Set(['id']), personaName: 'Pat', personaSource: 'p.yaml' };
function templateError(template: Record<string, unknown>): InputError {
  try {
    validateTemplate(template, tctx, { file: 'p.yaml', path: 'request' });
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err;
  }
  assert.fail(`no error for ${JSON.stringify(template)}`);
}

describe('template functions', () => {
  it('draw from the visit stream: the same seed and visit give the same values, another visit or seed others', () => {
    const json = { key: '{{$uuid}}', n: '{{$randomInt 1 100}}', s: '{{$randomString 12}}', pick: '{{$randomFrom persona.params.items}}' };
    const a = body(json, ctx('pat/l1/1'));
    assert.equal(body(json, ctx('pat/l1/1')), a);
    assert.notEqual(body(json, ctx('pat/l1/2')), a);
    assert.notEqual(body(json, ctx('pat/l1/1', 8)), a);
    const parsed = JSON.parse(a) as { key: string; n: number; s: string; pick: string };
    assert.match(parsed.key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(typeof parsed.n, 'number', 'a JSON value that is exactly $randomInt stays a number');
    assert.match(parsed.s, /^[A-Za-z0-9]{12}$/);
    assert.ok(persona.params.items instanceof Array && (persona.params.items as string[]).includes(parsed.pick));
  });

  it('$randomInt covers its whole range, ends included; $randomFrom every item', () => {
    const ints = new Set<unknown>();
    const picks = new Set<unknown>();
    const n = compileValue('{{$randomInt 1 3}}');
    const pick = compileValue('{{$randomFrom persona.params.items}}');
    for (let i = 0; i < 200; i++) {
      ints.add(n(ctx(`v${i}`)));
      picks.add(pick(ctx(`v${i}`)));
    }
    assert.deepEqual([...ints].sort(), [1, 2, 3]);
    assert.deepEqual([...picks].sort(), ['a', 'b', 'c']);
    // A captured list works too; a capture that is no list renders nothing.
    assert.equal(compileValue('{{$randomFrom vars.ids}}')({ ...ctx('v'), vars: { ids: ['only'] } }), 'only');
    assert.equal(compileValue('{{$randomFrom vars.ids}}')({ ...ctx('v'), vars: { ids: 'x' } }), undefined);
  });

  it('50,000 visits get distinct UUIDs (no 32-bit state to collide in)', () => {
    const uuid = compileValue('{{$uuid}}');
    const seen = new Set<unknown>();
    for (let i = 0; i < 50_000; i++) seen.add(uuid(ctx(`p/l/${i}`)));
    assert.equal(seen.size, 50_000);
  });

  it('$now is ISO, $timestamp epoch ms, {{vu}} and {{visit}} the visit, $lbrace a brace', () => {
    const c = ctx('pat/l1/3', 1, 4, Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    assert.deepEqual(JSON.parse(body({ now: '{{$now}}', ts: '{{$timestamp}}', vu: '{{vu}}', visit: '{{visit}}', text: 'vu {{vu}} {{$lbrace}}{{$lbrace}}x}}' }, c)), {
      now: '2026-01-02T03:04:05.006Z',
      ts: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      vu: 4,
      visit: 'pat/l1/3',
      text: 'vu 4 {{x}}',
    });
  });

  it('parses function calls and refuses unknown functions and wrong arguments', () => {
    assert.deepEqual(parsePlaceholder('$randomInt -5 5'), { root: 'fn', fn: 'randomInt', min: -5, max: 5 });
    assert.deepEqual(parsePlaceholder('$randomFrom persona.params.items'), { root: 'fn', fn: 'randomFrom', from: { root: 'persona', field: 'params', path: ['items'] } });
    const cases: Array<[string, RegExp]> = [
      ['$uuidd', /unknown function "\$uuidd"; expected one of \{\{\$uuid\}\}/],
      ['$uuid 4', /\$uuid takes no arguments/],
      ['$randomInt 10', /\$randomInt takes two whole numbers, got "10"/],
      ['$randomInt 1 x', /\$randomInt takes two whole numbers/],
      ['$randomInt 1.5 3', /\$randomInt takes two whole numbers/],
      ['$randomInt 9 1', /\$randomInt 9 1: MIN is above MAX/],
      ['$randomString 0', /\$randomString takes one length, got "0"/],
      ['$randomString', /\$randomString takes one length, got none/],
      ['$randomFrom location.city', /\$randomFrom takes one list.*persona\.params\.NAME/],
      ['$randomFrom $uuid', /\$randomFrom takes one list/],
    ];
    for (const [expression, message] of cases) {
      const problem = parsePlaceholder(expression);
      assert.equal(typeof problem, 'string', expression);
      assert.match(problem as string, message, expression);
    }
  });

  it('validation names the key path, the value and what was expected', () => {
    let err = templateError({ json: { qty: '{{$randomInt 5}}' } });
    assert.equal(err.where.path, 'request.json.qty');
    assert.match(err.message, /placeholder \{\{\$randomInt 5\}\}: \$randomInt takes two whole numbers/);
    err = templateError({ json: { pick: '{{$randomFrom persona.params.one}}' } });
    assert.match(err.message, /needs a non-empty list; persona param "one" is "x"/);
    err = templateError({ json: { pick: '{{$randomFrom persona.params.empty}}' } });
    assert.match(err.message, /needs a non-empty list/);
    err = templateError({ json: { pick: '{{$randomFrom persona.params.nope}}' } });
    assert.match(err.message, /has no param "nope"/);
    // A "{{" no placeholder accounts for is refused, wherever it is.
    err = templateError({ headers: { 'X-Id': '{{vars.id' } });
    assert.equal(err.where.path, 'request.headers.X-Id');
    assert.match(err.message, /got "\{\{vars\.id": a "\{\{" that is not a placeholder.*\{\{\$lbrace\}\}/);
    err = templateError({ body: 'x {{ {{persona.name}} }}' });
    assert.match(err.message, /not a placeholder/);
    validateTemplate({ body: '{{$lbrace}}{{$lbrace}}not a placeholder}}', json: { a: '{{vu}}', b: '{{visit}}', c: '{{$now}}' } }, tctx, { file: 'p.yaml' });
  });

  it('validate refuses unknown functions in requests, expect values and capture defaults, with their key paths (exit 2)', async () => {
    const dir = await writeProject({ config: 'name: t\ntarget: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\n', personas: {}, locations: 'id\nx\n' });
    const cases: Array<[string, RegExp]> = [
      ['request: { path: "/x/{{$nope}}" }', /journey\[0\]\.request\.path.*unknown function "\$nope"/],
      ['request: { path: /x }\n    expect: [{ status: 200 }, { json: id, equals: "{{$randomInt 2 1}}" }]', /journey\[0\]\.expect\[1\]\.equals.*MIN is above MAX/],
      ['request: { path: /x }\n    expect: [{ contains: "{{vars.id}}" }]', /journey\[0\]\.expect\[0\]\.contains.*no earlier step captures "id"/],
      ['request: { path: /x }\n    expect: [{ json: id, equals: "{{vars.id" }]', /journey\[0\]\.expect\[0\]\.equals.*not a placeholder/],
      ['request: { path: /x }\n    capture: { id: { json: id, default: "{{$uuid 1}}" } }', /journey\[0\]\.capture\.id\.default.*\$uuid takes no arguments/],
      ['request: { path: /x }\n    expect: [{ json: id, matches: "^{{vars.id}}" }]', /journey\[0\]\.expect\[0\].*without placeholders/],
    ];
    for (const [step, message] of cases) {
      await writeFile(join(dir, 'personas', 'p.yaml'), `name: P\njourney:\n  - name: one\n    ${step}\n`);
      const error = await validate({ cwd: dir }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof TroupeError && error.exitCode === 2, `${step}: ${String(error)}`);
      assert.match(error.message, message, step);
    }
  });
});
