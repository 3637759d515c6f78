/**
 * The fault matrix: one test per way a target can fail. Each asserts its error code, its timing where a
 * timeout is involved (within 10 % of the setting, printed when it fails), and that ok + errors = planned
 * with every concurrency slot given back (a mixed plan of faults and /ok completes).
 */
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostAllowList } from '../src/engine/allow-hosts.js';
import { runClosedModel } from '../src/engine/closed-model.js';
import { createDispatcher, type RedirectPolicy } from '../src/engine/http.js';
import { systemClock } from '../src/engine/clock.js';
import type { EngineRecord, RequestErrorCode, ResultRecord } from '../src/engine/records.js';
import type { BuiltRequest } from '../src/engine/request-builder.js';
import type { Location, Persona, Timeouts } from '../src/inputs/types.js';
import { buildPlan } from '../src/plan/plan.js';
import { Redactor } from '../src/redact.js';
import { closedPortUrl, startCountingServer, startFaultServer, startSelfSignedTlsServer, type TestServer } from './helpers/servers.js';

const persona: Persona = { name: 'p', slug: 'p', weight: 1, headers: {}, params: {}, source: 'test' };
const TIMEOUTS: Timeouts = { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 10_000 };

interface RunOptions {
  concurrency?: number;
  iterations?: number;
  timeouts?: Timeouts;
  maxResponseBytes?: number;
  insecure?: boolean;
  redirects?: RedirectPolicy;
  allowHosts?: HostAllowList | null;
  headers?: Record<string, string>;
}

/** Each key of `urls` is a location whose request goes to its URL; `fault` items and `ok` items mix. */
async function runAgainst(urls: Record<string, string>, options: RunOptions = {}) {
  const locations: Location[] = Object.keys(urls).map((id) => ({ id, row: 1, fields: { id } }));
  const plan = buildPlan([persona], locations, { order: 'interleaved', iterations: options.iterations ?? 3, seed: 1 });
  const timeouts = options.timeouts ?? TIMEOUTS;
  const dispatcher = createDispatcher(timeouts, { insecure: options.insecure });
  const records: EngineRecord[] = [];
  const started = performance.now();
  try {
    const outcome = await runClosedModel({
      plan,
      locations: new Map(locations.map((l) => [l.id, l])),
      buildRequest: (_p, loc): BuiltRequest => ({ method: 'GET', url: urls[loc.id]!, headers: options.headers ?? {}, step: 'request', displayUrl: urls[loc.id]! }),
      dispatcher,
      concurrency: options.concurrency ?? 2,
      timeouts,
      maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024,
      cache: {},
      redactor: new Redactor(),
      onRecord: (r) => records.push(r),
      redirects: options.redirects,
      allowHosts: options.allowHosts ?? null,
    });
    const results = records.filter((r): r is ResultRecord => r.type === 'result');
    return { outcome, results, plan, elapsedMs: performance.now() - started };
  } finally {
    await dispatcher.close();
  }
}

type Run = Awaited<ReturnType<typeof runAgainst>>;

/** Every fault item ends with `code`, every ok item is ok, and nothing is lost: ok + errors = planned. */
function assertReconciled(run: Run, code: RequestErrorCode, faultLocation = 'fault'): ResultRecord[] {
  const { results, plan, outcome } = run;
  assert.equal(outcome.completed, plan.size, 'every planned item completed');
  assert.equal(results.length, plan.size);
  assert.equal(new Set(results.map((r) => r.id)).size, plan.size, 'each item once');
  const faults = results.filter((r) => r.location === faultLocation);
  for (const r of faults) {
    assert.equal(r.error, code, `${r.id}: ${r.error} ${r.message ?? ''}`);
    assert.equal(r.ok, false);
    assert.ok(r.message, 'an error has a message');
  }
  for (const r of results.filter((x) => x.location === 'ok')) assert.equal(r.ok, true, `${r.id} after faults: ${r.error} ${r.message ?? ''}`);
  const ok = results.filter((r) => r.ok).length;
  const errors = results.filter((r) => !r.ok).length;
  assert.equal(ok + errors, plan.size);
  return faults;
}

/**
 * A timeout fired no earlier than its setting and less than 10 % after it. `earlyMs` is how much
 * sooner than the setting the latency may end: the total timeout runs from the request's start, the
 * latency from the write, so a connect that waits for a busy loop comes off the latency.
 */
function assertNear(measured: number, setting: number, what: string, earlyMs = setting * 0.01): void {
  assert.ok(measured >= setting - earlyMs && measured <= setting * 1.1, `${what}: ${measured.toFixed(1)} ms, setting ${setting} ms (allowed ${setting - earlyMs}–${setting * 1.1})`);
}

let faults: TestServer;
test.before(async () => {
  faults = await startFaultServer();
});
test.after(() => faults.close());

test('connection refused → conn_refused', async () => {
  const refused = await closedPortUrl();
  const run = await runAgainst({ fault: `${refused}/`, ok: `${faults.url}/ok` });
  assertReconciled(run, 'conn_refused');
});

test('reset before headers → conn_reset', async () => {
  const run = await runAgainst({ fault: `${faults.url}/reset-before-headers`, ok: `${faults.url}/ok` });
  for (const r of assertReconciled(run, 'conn_reset')) assert.equal(r.status, null);
});

test('reset mid-body → conn_reset, with the status that arrived', async () => {
  const run = await runAgainst({ fault: `${faults.url}/reset-mid-body`, ok: `${faults.url}/ok` });
  for (const r of assertReconciled(run, 'conn_reset')) assert.equal(r.status, 200);
});

// The three timeout tests wait on real time and hardly compute: side by side they end in the time of
// the longest (~2 s) instead of the sum (~5 s), and a timer's precision is the event loop's, which
// they leave idle.
describe('timeouts', { concurrency: true }, () => {
  it('no response → timeout_headers within 10 % of timeouts.headers, slots freed', async () => {
    const timeouts = { ...TIMEOUTS, headersMs: 1000 };
    // 3 hangs and 3 oks through 2 slots: the run completes only if each hang gives its slot back.
    const run = await runAgainst({ fault: `${faults.url}/hang`, ok: `${faults.url}/ok` }, { timeouts });
    for (const r of assertReconciled(run, 'timeout_headers')) assertNear(r.latencyMs, 1000, 'header timeout');
    assert.ok(run.elapsedMs < 3 * 1000 + 1500, `3 hangs over 2 slots took ${run.elapsedMs.toFixed(0)} ms`);
  });

  it('headers then a slow drip → timeout_body within 10 % of timeouts.body', async () => {
    const timeouts = { ...TIMEOUTS, bodyMs: 1000 };
    const run = await runAgainst({ fault: `${faults.url}/slow-body?every=3000`, ok: `${faults.url}/ok` }, { timeouts });
    for (const r of assertReconciled(run, 'timeout_body')) {
      assert.equal(r.status, 200);
      assertNear(r.latencyMs - r.ttfbMs!, 1000, 'body stall timeout after headers');
    }
  });

  it('a body that keeps dripping → timeout_total within 10 % of timeouts.total', async () => {
    const timeouts = { ...TIMEOUTS, bodyMs: 1000, totalMs: 1000 };
    const run = await runAgainst({ fault: `${faults.url}/slow-body?every=100`, ok: `${faults.url}/ok` }, { timeouts, iterations: 2 });
    for (const r of assertReconciled(run, 'timeout_total')) {
      assertNear(r.latencyMs, 1000, 'total timeout', 50);
      assert.ok(r.bytes > 0, 'bytes read before the cut are counted');
    }
  });
});

test('500 → http_5xx', async () => {
  const run = await runAgainst({ fault: `${faults.url}/500`, ok: `${faults.url}/ok` });
  for (const r of assertReconciled(run, 'http_5xx')) assert.equal(r.status, 500);
});

test('503 → http_5xx', async () => {
  const run = await runAgainst({ fault: `${faults.url}/503`, ok: `${faults.url}/ok` });
  for (const r of assertReconciled(run, 'http_5xx')) assert.equal(r.status, 503);
});

test('429 with Retry-After → http_4xx, the message quotes Retry-After', async () => {
  const run = await runAgainst({ fault: `${faults.url}/429`, ok: `${faults.url}/ok` });
  for (const r of assertReconciled(run, 'http_4xx')) {
    assert.equal(r.status, 429);
    assert.equal(r.message, 'HTTP 429, Retry-After: 1');
  }
});

test('invalid JSON under application/json is ok HTTP-wise (checks come with journeys)', async () => {
  const run = await runAgainst({ fault: `${faults.url}/bad-json`, ok: `${faults.url}/ok` });
  assert.equal(run.results.length, run.plan.size);
  for (const r of run.results) assert.equal(r.ok, true, `${r.id}: ${r.error}`);
  assert.ok(run.results.filter((r) => r.location === 'fault').every((r) => r.bytes === 9));
});

test('a body over maxResponseBytes → body_too_large, reading stops near the limit', async () => {
  // No Content-Length-free route needed: /big declares its length, so the first check refuses it; the
  // chunked path is covered by engine.test.ts.
  const run = await runAgainst({ fault: `${faults.url}/big?bytes=3000000`, ok: `${faults.url}/ok` }, { maxResponseBytes: 1_000_000 });
  for (const r of assertReconciled(run, 'body_too_large')) assert.ok(r.bytes <= 1_000_000 + 65_536, `read ${r.bytes}`);
});

test('a redirect loop → too_many_redirects after redirects.max hops', async () => {
  const run = await runAgainst({ fault: `${faults.url}/redirect-loop`, ok: `${faults.url}/ok` }, { redirects: { follow: true, max: 4 } });
  for (const r of assertReconciled(run, 'too_many_redirects')) {
    assert.equal(r.redirects, 4, 'each hop counted');
    assert.match(r.message!, /more than 4 redirects \(a loop/);
  }
});

test('redirects are followed up to the limit and counted; follow: false returns the 3xx', async () => {
  const run = await runAgainst({ chain: `${faults.url}/redirect-chain?n=3`, ok: `${faults.url}/ok` }, { iterations: 1 });
  const chain = run.results.find((r) => r.location === 'chain')!;
  assert.equal(chain.ok, true);
  assert.equal(chain.status, 200);
  assert.equal(chain.redirects, 3);
  const over = await runAgainst({ fault: `${faults.url}/redirect-chain?n=3`, ok: `${faults.url}/ok` }, { iterations: 1, redirects: { follow: true, max: 2 } });
  assertReconciled(over, 'too_many_redirects');
  const off = await runAgainst({ chain: `${faults.url}/redirect-chain?n=3` }, { iterations: 1, redirects: { follow: false, max: 5 } });
  assert.equal(off.results[0]!.status, 302);
  assert.equal(off.results[0]!.redirects, undefined);
});

test('a malformed status line → protocol', async () => {
  const run = await runAgainst({ fault: `${faults.url}/bad-status-line`, ok: `${faults.url}/ok` });
  assertReconciled(run, 'protocol');
});

test('HTTPS with a self-signed certificate → tls; insecure accepts it', async (t) => {
  const tls = await startSelfSignedTlsServer();
  if (!tls) return t.skip('openssl is not available');
  t.after(() => tls.close());
  const run = await runAgainst({ fault: `${tls.url}/`, ok: `${faults.url}/ok` });
  const failed = assertReconciled(run, 'tls');
  assert.match(failed[0]!.message!, /self.signed|certificate/i);
  const insecure = await runAgainst({ ok: `${tls.url}/` }, { insecure: true });
  assertReconciled(insecure, 'tls');
});

test('a host that does not resolve → dns', async () => {
  const run = await runAgainst({ fault: 'http://troupe-no-such-host.invalid/', ok: `${faults.url}/ok` }, { iterations: 2 });
  assertReconciled(run, 'dns');
});

test('allowHosts: a redirect hop to a host not in the list → host_not_allowed, never sent', async (t) => {
  const other = await startCountingServer({ delayMs: 0 });
  t.after(() => other.close());
  const toOther = `${faults.url}/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`;
  const allow = new HostAllowList([]).withOrigin(faults.url);
  const run = await runAgainst({ fault: toOther, ok: `${faults.url}/ok` }, { allowHosts: allow });
  for (const r of assertReconciled(run, 'host_not_allowed')) {
    assert.equal(r.redirects, undefined, 'no hop was followed');
    assert.match(r.message!, new RegExp(`redirect hop 1 to 127\\.0\\.0\\.1:${other.port} refused`));
  }
  assert.equal(other.requests, 0, 'the other host received nothing');

  // The same origin with host:port in the list is followed; a direct request outside the list is refused too.
  const allowed = await runAgainst({ ok: toOther }, { allowHosts: new HostAllowList([`127.0.0.1:${other.port}`]).withOrigin(faults.url), iterations: 1 });
  assert.equal(allowed.results[0]!.ok, true);
  assert.equal(allowed.results[0]!.redirects, 1);
  assert.equal(other.requests, 1);
  const direct = await runAgainst({ fault: `${other.url}/x` }, { allowHosts: allow, iterations: 1 });
  assertReconciled(direct, 'host_not_allowed');
  assert.equal(other.requests, 1);
});

test('a redirect to another origin drops credentials', async (t) => {
  const echo = await startFaultServer();
  t.after(() => echo.close());
  const dispatcher = createDispatcher(TIMEOUTS);
  t.after(() => dispatcher.close());
  const { sendRequest } = await import('../src/engine/http.js');
  const redactor = new Redactor([], ['x-secret']);
  const outcome = await sendRequest(
    dispatcher,
    { method: 'GET', url: `${faults.url}/redirect?to=${encodeURIComponent(`${echo.url}/echo`)}`, headers: { authorization: 'Bearer t', 'x-secret': 's', 'x-plain': 'p' } },
    { timeouts: TIMEOUTS, maxResponseBytes: 1e6, keepBody: true, clock: systemClock, isSensitiveHeader: (n) => redactor.isSensitiveHeader(n) },
  );
  const seen = JSON.parse(outcome.bodyText!) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-plain'], 'p');
  assert.equal(seen.headers['authorization'], undefined);
  assert.equal(seen.headers['x-secret'], undefined);
});

test('HostAllowList entries: host, host:port, *.domain, IPv6', () => {
  const list = new HostAllowList(['api.example.com', 'cdn.example.com:8443', '*.internal.test', '::1', '[fe80::1]:8080']);
  const ok = (u: string) => list.allows(new URL(u));
  assert.ok(ok('https://API.example.com/x'));
  assert.ok(ok('http://api.example.com:9999/'));
  assert.ok(ok('https://cdn.example.com:8443/'));
  assert.ok(!ok('https://cdn.example.com/'), 'port 443 is not 8443');
  assert.ok(ok('http://a.b.internal.test/'));
  assert.ok(!ok('http://internal.test/'), '*.domain is subdomains only');
  assert.ok(!ok('http://evil-api.example.com/'));
  assert.ok(ok('http://[::1]:3000/'));
  assert.ok(ok('http://[fe80::1]:8080/'));
  assert.ok(!ok('http://[fe80::1]:8081/'));
  assert.throws(() => new HostAllowList(['http://x.com/']), /allowHosts/);
});
