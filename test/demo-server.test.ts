import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { DEFAULT_DEMO_OPTIONS, resolveDemoOptions, startDemoServer, type DemoServerOptions } from '../src/demo/server.js';

interface Reply {
  status: number;
  cache: string | null;
  body: any;
  ms: number;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  return { status: res.status, cache: res.headers.get('x-cache'), body: JSON.parse(text), ms };
}

const analyze = (base: string, address: unknown, radius: unknown = 1): Promise<Reply> =>
  call(base, 'POST', '/api/v1/analyze', { address, radius_miles: radius });

/** A demo server closed when the test ends. Fast misses unless the test asks otherwise. */
async function demo(t: { after(fn: () => Promise<void>): void }, options: DemoServerOptions = {}) {
  const server = await startDemoServer({ missLatencyMs: 1, ...options });
  t.after(() => server.close());
  return server;
}

describe('demo server', () => {
  it('answers MISS then HIT for the same normalised address and radius', async (t) => {
    const server = await demo(t);
    const first = await analyze(server.url, '  1 Main St, Springfield ', 2);
    assert.equal(first.status, 200);
    assert.equal(first.cache, 'MISS');
    assert.equal(first.body.address, '1 main st, springfield');
    assert.equal(first.body.radius_miles, 2);
    for (const section of ['demographics', 'housing', 'businesses', 'traffic', 'schools']) {
      assert.ok(first.body[section], `section ${section} present`);
    }
    assert.ok(Array.isArray(first.body.businesses.top_categories));

    const second = await analyze(server.url, '1 MAIN ST, SPRINGFIELD', 2);
    assert.equal(second.cache, 'HIT');
    assert.deepEqual(second.body, first.body);

    const otherRadius = await analyze(server.url, '1 main st, springfield', 3);
    assert.equal(otherRadius.cache, 'MISS');
    assert.deepEqual(server.stats(), { hits: 1, misses: 2, size: 2 });
  });

  it('derives the data sections from the key alone', async (t) => {
    const a = await demo(t);
    const b = await demo(t);
    const fromA = await analyze(a.url, '9 Elm Rd', 5);
    const fromB = await analyze(b.url, '9 elm rd', 5);
    const { generated_at: _a, ...restA } = fromA.body;
    const { generated_at: _b, ...restB } = fromB.body;
    assert.deepEqual(restA, restB);
    const other = await analyze(a.url, '10 Elm Rd', 5);
    assert.notDeepEqual(other.body.demographics, fromA.body.demographics);
  });

  it('reports cache stats and clear resets entries and counters', async (t) => {
    const server = await demo(t, { cacheSize: 50, ttlSeconds: 60 });
    const empty = await call(server.url, 'GET', '/api/cache/stats');
    assert.deepEqual(empty.body, { hits: 0, misses: 0, hit_rate_percent: 0, size: 0, max_size: 50, ttl_seconds: 60 });

    await analyze(server.url, 'a');
    await analyze(server.url, 'a');
    await analyze(server.url, 'a');
    await analyze(server.url, 'b');
    await analyze(server.url, 'c');
    await analyze(server.url, 'c');
    const stats = await call(server.url, 'GET', '/api/cache/stats');
    assert.deepEqual(stats.body, { hits: 3, misses: 3, hit_rate_percent: 50, size: 3, max_size: 50, ttl_seconds: 60 });

    await analyze(server.url, 'b');
    const rounded = await call(server.url, 'GET', '/api/cache/stats');
    assert.equal(rounded.body.hit_rate_percent, 57.14);

    const cleared = await call(server.url, 'POST', '/api/cache/clear');
    assert.deepEqual(cleared.body, { cleared: 3 });
    const after = await call(server.url, 'GET', '/api/cache/stats');
    assert.deepEqual(after.body, { hits: 0, misses: 0, hit_rate_percent: 0, size: 0, max_size: 50, ttl_seconds: 60 });
    assert.equal((await analyze(server.url, 'a')).cache, 'MISS');
  });

  it('answers /health and 404 for unknown routes', async (t) => {
    const server = await demo(t);
    assert.deepEqual((await call(server.url, 'GET', '/health')).body, { status: 'ok' });
    assert.equal((await call(server.url, 'GET', '/nope')).status, 404);
    assert.equal((await call(server.url, 'GET', '/api/v1/analyze')).status, 405);
  });

  it('rejects bad input with 400 and a JSON error', async (t) => {
    const server = await demo(t);
    const bad: unknown[] = [
      '{"address": "x", "radius_miles": 1',
      '[1,2]',
      'null',
      { radius_miles: 1 },
      { address: '   ', radius_miles: 1 },
      { address: 42, radius_miles: 1 },
      { address: 'x' },
      { address: 'x', radius_miles: '1' },
      { address: 'x', radius_miles: 0 },
      { address: 'x', radius_miles: -2 },
      { address: 'x', radius_miles: 1000 },
    ];
    for (const body of bad) {
      const reply = await call(server.url, 'POST', '/api/v1/analyze', body);
      assert.equal(reply.status, 400, `400 for ${JSON.stringify(body)}`);
      assert.equal(typeof reply.body.error, 'string');
      assert.equal(reply.cache, null);
    }
    assert.match((await call(server.url, 'POST', '/api/v1/analyze', '{oops')).body.error, /JSON/);
    assert.deepEqual(server.stats(), { hits: 0, misses: 0, size: 0 });
  });

  it('injects 500s by errorRate, decided by the injected random', async (t) => {
    const always = await demo(t, { errorRate: 1 });
    const failed = await analyze(always.url, 'x');
    assert.equal(failed.status, 500);
    assert.equal(typeof failed.body.error, 'string');
    assert.deepEqual(always.stats(), { hits: 0, misses: 0, size: 0 });

    const draws = [0.2, 0.7];
    const seeded = await demo(t, { errorRate: 0.5, random: () => draws.shift() ?? 0.9 });
    assert.equal((await analyze(seeded.url, 'x')).status, 500);
    assert.equal((await analyze(seeded.url, 'x')).status, 200);
  });

  it('adds slowMs to requests chosen by slowRate', async (t) => {
    const server = await demo(t, { slowRate: 1, slowMs: 60, missLatencyMs: 0 });
    const slow = await analyze(server.url, 'x');
    assert.equal(slow.status, 200);
    assert.ok(slow.ms >= 60 * 0.9, `slow request took ${slow.ms.toFixed(1)} ms, expected >= 54`);
  });

  it('takes missLatencyMs on a miss and answers a hit sooner', async (t) => {
    const missLatencyMs = DEFAULT_DEMO_OPTIONS.missLatencyMs;
    const server = await demo(t, { missLatencyMs });
    await call(server.url, 'GET', '/health'); // open the connection so both timings exclude connect
    const miss = await analyze(server.url, 'timing');
    const hit = await analyze(server.url, 'timing');
    assert.equal(miss.cache, 'MISS');
    assert.equal(hit.cache, 'HIT');
    assert.ok(miss.ms >= missLatencyMs * 0.9, `miss took ${miss.ms.toFixed(1)} ms, expected >= ${missLatencyMs * 0.9}`);
    assert.ok(hit.ms < miss.ms, `hit took ${hit.ms.toFixed(1)} ms, miss ${miss.ms.toFixed(1)} ms`);
  });

  it('expires entries after ttlSeconds on the injected clock', async (t) => {
    let clock = 1_000_000;
    const server = await demo(t, { ttlSeconds: 10, now: () => clock });
    assert.equal((await analyze(server.url, 'ttl')).cache, 'MISS');
    clock += 9_999;
    assert.equal((await analyze(server.url, 'ttl')).cache, 'HIT');
    clock += 1;
    assert.equal((await analyze(server.url, 'ttl')).cache, 'MISS');
    clock += 10_000;
    assert.equal(server.stats().size, 0);
    assert.equal((await call(server.url, 'GET', '/api/cache/stats')).body.size, 0);
  });

  it('evicts the least recently used entry beyond cacheSize', async (t) => {
    const server = await demo(t, { cacheSize: 2 });
    await analyze(server.url, 'a');
    await analyze(server.url, 'b');
    assert.equal((await analyze(server.url, 'a')).cache, 'HIT'); // b is now least recently used
    await analyze(server.url, 'c'); // evicts b
    assert.equal(server.stats().size, 2);
    assert.equal((await analyze(server.url, 'a')).cache, 'HIT');
    assert.equal((await analyze(server.url, 'c')).cache, 'HIT');
    assert.equal((await analyze(server.url, 'b')).cache, 'MISS');
  });

  it('counts every concurrent miss for the same key', async (t) => {
    const server = await demo(t, { missLatencyMs: 20 });
    const replies = await Promise.all([1, 2, 3].map(() => analyze(server.url, 'same')));
    assert.deepEqual(replies.map((r) => r.cache), ['MISS', 'MISS', 'MISS']);
    assert.deepEqual(server.stats(), { hits: 0, misses: 3, size: 1 });
  });

  it('close() ends promptly with a request still in progress', async () => {
    const server = await startDemoServer({ missLatencyMs: 60_000 });
    const pending = analyze(server.url, 'forever').catch((error: unknown) => error);
    // Wait until the server has counted the miss, bounded.
    for (let i = 0; i < 200 && server.stats().misses === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(server.stats().misses, 1);
    await server.close();
    assert.ok((await pending) instanceof Error);
  });

  it('validates options, naming the option and value', () => {
    assert.throws(() => resolveDemoOptions({ errorRate: 2 }), { code: 'E_USAGE', message: /errorRate.*2/ });
    assert.throws(() => resolveDemoOptions({ cacheSize: 1.5 }), { code: 'E_USAGE', message: /cacheSize.*1\.5/ });
    assert.throws(() => resolveDemoOptions({ missLatencyMs: -1 }), { code: 'E_USAGE', message: /missLatencyMs/ });
    assert.deepEqual(resolveDemoOptions({}), DEFAULT_DEMO_OPTIONS);
  });
});
