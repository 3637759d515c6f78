import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClosedModel } from '../src/engine/closed-model.js';
import { createDispatcher } from '../src/engine/http.js';
import type { EngineRecord, ResultRecord } from '../src/engine/records.js';
import type { BuiltRequest } from '../src/engine/request-builder.js';
import type { Location, Persona, Timeouts } from '../src/inputs/types.js';
import { buildPlan } from '../src/plan/plan.js';
import { Redactor } from '../src/redact.js';
import { closedPortUrl, startCountingServer, startFaultServer } from './helpers/servers.js';

function persona(name: string, extra: Partial<Persona> = {}): Persona {
  return { name, slug: name, weight: 1, headers: {}, params: {}, source: 'test', ...extra };
}
function location(id: string): Location {
  return { id, row: 1, fields: { id } };
}

const TIMEOUTS: Timeouts = { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 10_000 };

/** Run a closed model where each location id names the URL to request. */
async function runAgainst(urls: Record<string, string>, options: { concurrency: number; iterations?: number; timeouts?: Timeouts; maxResponseBytes?: number; personas?: Persona[] }) {
  const personas = options.personas ?? [persona('p')];
  const locations = Object.keys(urls).map(location);
  const plan = buildPlan(personas, locations, { order: 'persona', iterations: options.iterations ?? 1, seed: 1 });
  const timeouts = options.timeouts ?? TIMEOUTS;
  const dispatcher = createDispatcher(timeouts);
  const records: EngineRecord[] = [];
  try {
    const outcome = await runClosedModel({
      plan,
      locations: new Map(locations.map((l) => [l.id, l])),
      buildRequest: (_p, loc): BuiltRequest => ({ method: 'GET', url: urls[loc.id]!, headers: {}, step: 'request', displayUrl: urls[loc.id]! }),
      dispatcher,
      concurrency: options.concurrency,
      timeouts,
      maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024,
      cache: {},
      redactor: new Redactor(),
      onRecord: (r) => records.push(r),
    });
    const results = records.filter((r): r is ResultRecord => r.type === 'result');
    return { outcome, records, results, plan };
  } finally {
    await dispatcher.close();
  }
}

test('the server never sees more requests in flight than --concurrency', async (t) => {
  const server = await startCountingServer({ delayMs: 20 });
  t.after(() => server.close());
  const { results, outcome } = await runAgainst({ a: `${server.url}/a`, b: `${server.url}/b` }, { concurrency: 3, iterations: 15 });
  assert.equal(results.length, 30);
  assert.equal(outcome.completed, 30);
  assert.equal(server.requests, 30);
  assert.ok(server.maxInFlight <= 3, `max in flight ${server.maxInFlight}`);
  assert.equal(server.maxInFlight, 3, 'the bound is also reached');
});

test('a per-persona concurrency bound holds inside the global one', async (t) => {
  const server = await startCountingServer({ delayMs: 20 });
  t.after(() => server.close());
  const { results } = await runAgainst({ a: `${server.url}/a` }, { concurrency: 5, iterations: 12, personas: [persona('slow', { concurrency: 2 })] });
  assert.equal(results.length, 12);
  assert.equal(server.maxInFlight, 2);
});

test('each fault ends as its own error code and ok + errors = planned', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const refused = await closedPortUrl();
  const urls = {
    ok: `${faults.url}/ok`,
    refused: `${refused}/`,
    reset: `${faults.url}/reset-before-headers`,
    hang: `${faults.url}/hang`,
    drip: `${faults.url}/slow-body`,
    five: `${faults.url}/500`,
    four: `${faults.url}/status/404`,
    big: `${faults.url}/big?bytes=300000`,
    badstatus: `${faults.url}/bad-status-line`,
  };
  // The drip sends a byte every 200 ms: a 150 ms body timeout (between chunks) fires, a 300 ms one would not.
  const timeouts: Timeouts = { connectMs: 1000, headersMs: 300, bodyMs: 150, totalMs: 5000 };
  const { results, plan } = await runAgainst(urls, { concurrency: 4, timeouts, maxResponseBytes: 100_000 });
  const byLocation = Object.fromEntries(results.map((r) => [r.location, r]));
  assert.equal(byLocation.ok!.error, null);
  assert.equal(byLocation.ok!.ok, true);
  assert.equal(byLocation.refused!.error, 'conn_refused');
  assert.equal(byLocation.reset!.error, 'conn_reset');
  assert.equal(byLocation.hang!.error, 'timeout_headers');
  assert.equal(byLocation.drip!.error, 'timeout_body');
  assert.equal(byLocation.five!.error, 'http_5xx');
  assert.equal(byLocation.five!.status, 500);
  assert.equal(byLocation.four!.error, 'http_4xx');
  assert.equal(byLocation.big!.error, 'body_too_large');
  assert.ok(byLocation.big!.bytes <= 100_000 + 65_536, `stopped reading near the limit, read ${byLocation.big!.bytes}`);
  assert.equal(byLocation.badstatus!.error, 'protocol');
  // Header timeout fires near its setting (a range, printed when it fails).
  const hang = byLocation.hang!.latencyMs;
  assert.ok(hang >= 270 && hang < 1000, `header timeout after ${hang} ms`);
  const ok = results.filter((r) => r.ok).length;
  const errors = results.filter((r) => !r.ok).length;
  assert.equal(ok + errors, plan.size);
  for (const r of results.filter((x) => !x.ok)) assert.ok(r.message, `${r.location} has a message`);
});

test('the total timeout ends a request whose body keeps dripping', async (t) => {
  const faults = await startFaultServer();
  t.after(() => faults.close());
  const timeouts: Timeouts = { connectMs: 1000, headersMs: 1000, bodyMs: 1000, totalMs: 500 };
  const { results } = await runAgainst({ drip: `${faults.url}/slow-body` }, { concurrency: 1, timeouts });
  assert.equal(results[0]!.error, 'timeout_total');
  assert.ok(results[0]!.latencyMs >= 450 && results[0]!.latencyMs < 1000, `after ${results[0]!.latencyMs} ms`);
});

test('persona-start and persona-end bracket each persona, and an aborted run starts no new work', async (t) => {
  const server = await startCountingServer({ delayMs: 5 });
  t.after(() => server.close());
  const { records } = await runAgainst({ a: `${server.url}/a` }, { concurrency: 2, iterations: 4, personas: [persona('x'), persona('y')] });
  const kinds = records.filter((r) => r.type !== 'result').map((r) => `${r.type}:${r.persona}`);
  assert.equal(kinds.length, 4, kinds.join());
  assert.equal(kinds[0], 'persona-start:x');
  for (const p of ['x', 'y']) assert.ok(kinds.indexOf(`persona-start:${p}`) < kinds.indexOf(`persona-end:${p}`), kinds.join());
  const lastOfX = records.findLastIndex((r) => r.type === 'result' && r.persona === 'x');
  assert.ok(records.findIndex((r) => r.type === 'persona-end' && r.persona === 'x') > lastOfX, 'persona-end after its last result');

  const controller = new AbortController();
  const locations = [location('a')];
  const plan = buildPlan([persona('z')], locations, { order: 'persona', iterations: 50, seed: 1 });
  const dispatcher = createDispatcher(TIMEOUTS);
  let seen = 0;
  const outcome = await runClosedModel({
    plan,
    locations: new Map(locations.map((l) => [l.id, l])),
    buildRequest: () => ({ method: 'GET', url: `${server.url}/a`, headers: {}, step: 'request', displayUrl: '' }),
    dispatcher,
    concurrency: 2,
    timeouts: TIMEOUTS,
    maxResponseBytes: 1024,
    cache: {},
    redactor: new Redactor(),
    onRecord: (r) => {
      if (r.type === 'result' && ++seen === 5) controller.abort();
    },
    signal: controller.signal,
  });
  await dispatcher.close();
  assert.ok(outcome.stoppedEarly);
  assert.equal(outcome.started, outcome.completed, 'requests in flight finished');
  assert.ok(outcome.completed < 50 && outcome.completed >= 5, `completed ${outcome.completed}`);
});
