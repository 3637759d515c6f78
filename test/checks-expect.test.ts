/** expect: header checks, status classes and ranges, JSON Schema of the body, placeholders in expected values; their load-time errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResponseView } from '../src/engine/capture.js';
import { runCheck, type CheckInput } from '../src/engine/checks.js';
import { visitValues } from '../src/engine/visit-values.js';
import { TroupeError, validate } from '../src/index.js';
import { journeySchema, type Check } from '../src/inputs/journey.js';
import type { Persona } from '../src/inputs/types.js';
import { writeProject } from './helpers/project.js';

/** The checks of one step, parsed as the loader parses them. */
function checks(...expect: unknown[]): Check[] {
  return journeySchema.parse([{ name: 's', request: { path: '/x' }, expect }])[0]!.expect;
}

function input(options: { status?: number | null; headers?: Record<string, string | string[]>; body?: unknown; vars?: Record<string, unknown> } = {}): CheckInput {
  const text = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const persona: Persona = { name: 'P', slug: 'p', weight: 1, headers: {}, params: {}, source: 'p.yaml' };
  return {
    status: options.status === undefined ? 200 : options.status,
    latencyMs: 5,
    view: new ResponseView(text, options.headers ?? {}),
    render: { persona, location: { id: 'l', row: 2, fields: {} }, iteration: 1, vars: options.vars ?? {}, visit: visitValues(1, 'p/l/1', 0, () => 0) },
    isSensitiveHeader: (name) => name === 'set-cookie',
  };
}

const judge = (check: Check, i: CheckInput) => runCheck(check, i);

describe('expect: header checks', () => {
  it('exists, absent, equals and matches, case-insensitive names, any of several values', () => {
    const [exists, absent, equals, matches, equalsNumber] = checks(
      { header: 'Cache-Control' },
      { header: 'x-debug', exists: false },
      { header: 'x-cache', equals: 'HIT' },
      { header: 'cache-control', matches: 'max-age=\\d+' },
      { header: 'age', equals: 0 },
    );
    const served = input({ headers: { 'cache-control': 'public, max-age=60', 'x-cache': 'HIT', age: '0' } });
    for (const c of [exists!, absent!, equals!, matches!, equalsNumber!]) assert.deepEqual(judge(c, served), { name: c.label, ok: true }, c.label);
    assert.equal(exists!.label, 'header cache-control exists');
    assert.equal(equals!.label, 'header x-cache equals "HIT"');
    const miss = input({ headers: { 'x-cache': 'MISS', 'x-debug': '1' } });
    assert.deepEqual(judge(exists!, miss), { name: 'header cache-control exists', ok: false, message: 'missing' });
    assert.deepEqual(judge(absent!, miss), { name: 'header x-debug absent', ok: false, message: 'present: "1"' });
    assert.deepEqual(judge(equals!, miss), { name: 'header x-cache equals "HIT"', ok: false, message: 'got "MISS"' });
    assert.equal(judge(matches!, miss).message, 'missing');
  });

  it('a failed check on a credential header does not quote its value', () => {
    const [cookie] = checks({ header: 'set-cookie', matches: '^session=' });
    const result = judge(cookie!, input({ headers: { 'set-cookie': ['theme=dark', 'tracking=s3cr3t'] } }));
    assert.deepEqual(result, { name: 'header set-cookie matches /^session=/', ok: false, message: 'got [redacted]' });
    assert.equal(judge(cookie!, input({ headers: { 'set-cookie': ['theme=dark', 'session=abc'] } })).ok, true, 'any value may match');
  });
});

describe('expect: status classes and ranges', () => {
  it('a code, a class (2xx), a range (200-299) and lists mixing them', () => {
    const [single, klass, range, list, upper] = checks({ status: 200 }, { status: '2xx' }, { status: '200-204' }, { status: [201, '3xx'] }, { status: '4XX' });
    const at = (status: number | null) => [single, klass, range, list, upper].map((c) => judge(c!, input({ status })).ok);
    assert.deepEqual(at(200), [true, true, true, false, false]);
    assert.deepEqual(at(204), [false, true, true, false, false]);
    assert.deepEqual(at(299), [false, true, false, false, false]);
    assert.deepEqual(at(201), [false, true, true, true, false]);
    assert.deepEqual(at(304), [false, false, false, true, false]);
    assert.deepEqual(at(404), [false, false, false, false, true]);
    assert.deepEqual(at(null), [false, false, false, false, false]);
    assert.deepEqual([single, klass, range, list, upper].map((c) => c!.label), ['status 200', 'status 2xx', 'status 200-204', 'status 201|3xx', 'status 4XX']);
    assert.equal(judge(klass!, input({ status: 503 })).message, 'status 503');
  });
});

describe('expect: JSON Schema of the body', () => {
  const schema = {
    type: 'object',
    required: ['token', 'items'],
    properties: { token: { type: 'string', minLength: 3 }, items: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } },
  };
  it('passes a matching body; the first failure names the JSON pointer', () => {
    const [c] = checks({ schema });
    assert.equal(c!.label, 'body matches schema');
    assert.equal(judge(c!, input({ body: { token: 'abc', items: [{ id: 1 }] } })).ok, true);
    assert.equal(judge(c!, input({ body: { token: 'abc', items: [{ id: 1 }, { id: 'x' }] } })).message, '/items/1/id: must be integer');
    assert.equal(judge(c!, input({ body: { items: [] } })).message, '/token: is missing (required)');
    assert.equal(judge(c!, input({ body: [1] })).message, '(root): must be object');
    assert.equal(judge(c!, input({ body: 'not json' })).message, 'the body is not JSON');
  });

  it('draft 2020-12 when $schema says so; a title names the check', () => {
    const [c] = checks({ schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'cart', type: 'object', properties: { n: { type: 'number' } }, additionalProperties: false } });
    assert.equal(c!.label, 'body matches schema "cart"');
    assert.equal(judge(c!, input({ body: { n: 1, x: 2 } })).message, '/x: is not allowed (additionalProperties: false)');
  });
});

describe('expect: placeholders in expected values', () => {
  it('equals and contains render per visit (a capture, a persona param); the label keeps the template', () => {
    const [equals, contains, header] = checks({ json: 'order.id', equals: '{{vars.orderId}}' }, { contains: 'order {{vars.orderId}}' }, { header: 'x-order', equals: '{{vars.orderId}}' });
    const i = input({ body: { order: { id: 42 }, text: 'order 42 ok' }, headers: { 'x-order': '42' }, vars: { orderId: 42 } });
    assert.equal(judge(equals!, i).ok, true);
    assert.equal(judge(contains!, i).ok, true);
    assert.equal(judge(header!, i).ok, true);
    assert.equal(equals!.label, 'json order.id equals "{{vars.orderId}}"');
    const other = input({ body: { order: { id: 42 }, text: 'order 42 ok' }, headers: { 'x-order': '42' }, vars: { orderId: 7 } });
    assert.deepEqual(judge(equals!, other), { name: equals!.label, ok: false, message: 'got 42' });
    assert.deepEqual(judge(contains!, other), { name: contains!.label, ok: false, message: '"order 7" not in the body' });
  });
});

describe('expect: load-time errors name the key path, the value and what was expected', () => {
  it('bad headers, statuses and schemas are exit 2 before anything is sent', async () => {
    const dir = await writeProject({ config: 'name: t\ntarget: http://127.0.0.1:9\npersonas: personas\nlocations: locations.csv\n', personas: {}, locations: 'id\nx\n' });
    const cases: Array<[string, RegExp]> = [
      ['{ status: 2xy }', /journey\[0\]\.expect\[0\].*status: a status code \(200\), a class \(2xx\), a range \(200-299\)/],
      ['{ status: "300-200" }', /journey\[0\]\.expect\[0\].*a range \(200-299\)/],
      ['{ status: [] }', /journey\[0\]\.expect\[0\].*status: a status code/],
      ['{ header: "bad name" }', /journey\[0\]\.expect\[0\].*header: a header name such as cache-control/],
      ['{ header: x-cache, equals: HIT, matches: H }', /one of exists, equals, matches per check, not equals and matches together/],
      ['{ header: x-cache, equals: { a: 1 } }', /equals: the header value as text/],
      ['{ header: x-cache, matches: "(" }', /matches: a valid regular expression/],
      ['{ header: x-cache, within: 2 }', /a check without "within"; this kind of check takes: header, exists, equals, matches/],
      ['{ schema: { type: objekt } }', /journey\[0\]\.expect\[0\]\.schema.*a valid JSON Schema \(schema is invalid: data\/type must be equal to one of the allowed values/],
      ['{ schema: { type: object, foo: 1 } }', /journey\[0\]\.expect\[0\]\.schema.*unknown keyword: "foo"/],
      ['{ schema: { type: string, format: email } }', /journey\[0\]\.expect\[0\]\.schema.*unknown format "email"/],
      ['{ schema: { $schema: "http://json-schema.org/draft-04/schema#" } }', /\$schema "http:\/\/json-schema.org\/draft-04\/schema#" is not supported/],
      ['{ schema: [1] }', /journey\[0\]\.expect\[0\]\.schema.*a JSON Schema as a map/],
      ['{ colour: red }', /a check with one of the keys status, json, header, schema, contains or latency, got keys colour/],
    ];
    for (const [check, message] of cases) {
      await writeFile(join(dir, 'personas', 'p.yaml'), `name: P\njourney:\n  - name: one\n    request: { path: /x }\n    expect: [${check}]\n`);
      const error = await validate({ cwd: dir }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof TroupeError && error.exitCode === 2, `${check}: ${String(error)}`);
      assert.match(error.message, message, check);
    }
  });
});
