/**
 * Must-show 3 of issue 11: the same seed gives byte-identical request bodies across two runs with $uuid
 * and $randomInt, a different seed different ones — with concurrency > 1, so visits start in whatever order
 * the target's answers allow. Bodies are captured server-side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { startRealisticApi } from './helpers/realistic-api.js';

// The delay differs per visit (seeded too), so completions, and the order later visits start in, interleave.
const PERSONA = `name: Buyer
params: { user: buyer, sizes: [S, M, L] }
journey:
  - name: order
    request:
      method: POST
      path: /login
      query: { delay: "{{$randomInt 0 4}}" }
      json: { user: "{{persona.params.user}}", password: secret, visit: "{{visit}}", idempotencyKey: "{{$uuid}}", quantity: "{{$randomInt 1 100}}", size: "{{$randomFrom persona.params.sizes}}", note: "{{$randomString 8}}" }
    expect: [{ status: 2xx }]
`;

test('the same seed sends byte-identical bodies; another seed other ones', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const dir = await writeProject({ config: `name: seeded\ntarget: ${api.url}\npersonas: personas\nlocations: locations.csv\nconcurrency: 4\niterations: 3\nseed: 11\n`, personas: { 'buyer.yaml': PERSONA }, locations: `id\n${Array.from({ length: 6 }, (_, i) => `l${i}`).join('\n')}\n` });
  const out = await tempDir('checks-seed-out-');

  const bodiesOf = async (seed?: number): Promise<string[]> => {
    api.stats.bodies.delete('/login');
    const result = await run({ cwd: dir, out, ...(seed === undefined ? {} : { seed }) });
    assert.equal(result.status, 'complete');
    assert.equal(result.summary.global.errors, 0);
    return api.stats.bodies.get('/login') ?? [];
  };
  const first = await bodiesOf();
  const second = await bodiesOf();
  const other = await bodiesOf(12);
  assert.equal(first.length, 18);
  console.log(`first body: ${first[0]}`);
  // Arrival order at the server may differ; each body, and each visit's body, is the same.
  assert.deepEqual([...second].sort(), [...first].sort());
  const byVisit = (bodies: string[]) => new Map(bodies.map((b) => [(JSON.parse(b) as { visit: string }).visit, b]));
  assert.deepEqual(byVisit(second), byVisit(first));
  assert.equal(byVisit(first).size, 18, 'one body per visit');
  const keys = first.map((b) => (JSON.parse(b) as { idempotencyKey: string }).idempotencyKey);
  assert.equal(new Set(keys).size, 18, 'every visit has its own UUID');
  assert.ok(first.every((b) => { const q = (JSON.parse(b) as { quantity: unknown }).quantity; return typeof q === 'number' && q >= 1 && q <= 100; }));

  // --seed 12: every visit draws other values.
  const otherByVisit = byVisit(other);
  for (const [visit, body] of byVisit(first)) assert.notEqual(otherByVisit.get(visit), body, visit);
});
