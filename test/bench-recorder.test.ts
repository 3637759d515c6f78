import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchRecord, CacheMemo, cacheFromRawHeaders, LastHeaders, uniformSnapshot } from '../src/bench/recorder.js';
import { BenchTape, TAPE_MS, TAPE_SIZE, type TapeSink } from '../src/bench/tape.js';
import { CACHE_CODE, microsText, TapeLines } from '../src/run-dir/results-tape.js';
import { errorForStatus } from '../src/engine/classify-error.js';
import { FakeClock } from './helpers/fake-clock.js';
import { CACHE_STATUSES, type ResultRecord } from '../src/engine/records.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { resultLine } from '../src/run-dir/results-writer.js';

/** A cache status as the bench's hot path carries it: its CACHE_STATUSES index. */
const code = (cache: ResultRecord['cache']): number => CACHE_CODE.get(cache)!;

const response = (n: number, status: number, latencyMs: number, cache: ResultRecord['cache'], path = '/health?x="1"'): ResultRecord => {
  const r = benchRecord(`http://127.0.0.1:8080${path}`, path, 'GET');
  Object.assign(r, { id: `bench/${n}`, iteration: n, status, ok: status < 400, error: status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : null, latencyMs, bytes: 11 * n, cache, startedAt: 1_760_000_000_000 + n });
  return r;
};

test('the cache memo answers as the classifier does, Date set aside, repeated headers kept', () => {
  const memo = new CacheMemo();
  const sets: string[][] = [
    ['Date', 'Mon, 01 Dec 2026 10:00:00 GMT', 'X-Cache', 'HIT'],
    ['Date', 'Mon, 01 Dec 2026 10:00:01 GMT', 'X-Cache', 'HIT'],
    ['X-Cache', 'MISS', 'X-Cache', 'HIT'],
    ['Age', '12'],
    ['Age', '0'],
    ['Cache-Control', 'no-store'],
    ['Content-Type', 'application/json'],
    ['CF-Cache-Status', 'EXPIRED'],
  ];
  for (let round = 0; round < 2; round++) for (const raw of sets) assert.equal(memo.status(raw), cacheFromRawHeaders(raw), raw.join(' '));
});

test('addUniform + mirrorGlobal give the summary add gives, and the live snapshot its numbers', () => {
  const full = new RunMetrics();
  const uniform = new RunMetrics();
  for (let n = 1; n <= 300; n++) {
    const r = response(n, n % 10 === 0 ? 503 : 200, (n % 37) + 0.25, n % 3 === 0 ? 'miss' : 'hit', '/p');
    full.add(r);
    uniform.addUniform(r);
  }
  const snapshot = uniformSnapshot(uniform, 'bench', '/p');
  uniform.mirrorGlobal('bench', '/p', 'request');
  assert.deepEqual(uniform.toSummary(), full.toSummary());
  const expected = full.personaSnapshot('bench');
  // The location's percentiles come from the global histogram (3 digits), not the pair's lighter one.
  const { p50, p95, ...counts } = snapshot.locations['/p']!;
  const { p50: e50, p95: e95, ...expectedCounts } = expected.locations['/p']!;
  assert.deepEqual(counts, expectedCounts);
  assert.ok(Math.abs(p50! - e50!) / e50! < 0.01 && Math.abs(p95! - e95!) / e95! < 0.01, `${p50}/${e50} ${p95}/${e95}`);
  assert.deepEqual({ ...snapshot, locations: {} }, { ...expected, locations: {} });

  // One cache status only: the snapshot reads that scope itself, and the end result is the same.
  const hitsFull = new RunMetrics();
  const hitsUniform = new RunMetrics();
  for (let n = 1; n <= 50; n++) {
    const r = response(n, 200, n + 0.5, 'hit', '/p');
    hitsFull.add(r);
    hitsUniform.addUniform(r);
  }
  assert.deepEqual({ ...uniformSnapshot(hitsUniform, 'bench', '/p'), locations: {} }, { ...hitsFull.personaSnapshot('bench'), locations: {} });
  hitsUniform.mirrorGlobal('bench', '/p', 'request');
  assert.deepEqual(hitsUniform.toSummary(), hitsFull.toSummary());

  // add and addUniform in one run would count add's records twice in the global scope: refused.
  const mixed = new RunMetrics();
  mixed.add(response(1, 200, 1.5, 'hit', '/p'));
  mixed.addUniform(response(2, 200, 1.5, 'hit', '/p'));
  assert.throws(() => mixed.mirrorGlobal('bench', '/p', 'request'), /add and addUniform were mixed/);
});

test('addResponses records a block as addUniform records its records: every status, cache status, odd latency', () => {
  // The same responses through BenchTape twice: records into addUniform, and numbers into addResponses.
  const viaRecords = new RunMetrics();
  const viaBlocks = new RunMetrics();
  const clock = new FakeClock();
  const records = new BenchTape('http://127.0.0.1:8080/p', '/p', 'GET', { record: (r) => viaRecords.addUniform(r) }, clock);
  const blocks = new BenchTape('http://127.0.0.1:8080/p', '/p', 'GET', { record: (r) => viaBlocks.addUniform(r), responseRecords: false, responses: (b) => viaBlocks.addResponses('bench', b) }, clock);
  const caches: ResultRecord['cache'][] = ['hit', 'miss', 'stale', 'bypass', 'unknown'];
  const statuses = [200, 200, 304, 404, 503, 99, 600, 201];
  for (let n = 1; n <= TAPE_SIZE + 500; n++) {
    const args = [statuses[n % statuses.length]!, (n % 41) * 0.7312 + 0.0004, n % 5 === 0 ? 0 : 11 + (n % 7), code(caches[n % caches.length]!), 1_760_000_000_000.5 + n * 0.37] as const;
    records.response(...args);
    blocks.response(...args);
  }
  const failed: ResultRecord = { ...benchRecord('http://127.0.0.1:8080/p', '/p', 'GET'), status: null, ok: false, error: 'timeout_total', message: 'timed out', latencyMs: 10_000, startedAt: 1_760_000_000_000 };
  records.failure(failed);
  blocks.failure(failed);
  records.flush();
  blocks.flush();
  assert.equal(blocks.total, records.total);
  assert.deepEqual(uniformSnapshot(viaBlocks, 'bench', '/p'), uniformSnapshot(viaRecords, 'bench', '/p'));
  viaRecords.mirrorGlobal('bench', '/p', 'request');
  viaBlocks.mirrorGlobal('bench', '/p', 'request');
  const summary = viaBlocks.toSummary();
  assert.deepEqual(summary, viaRecords.toSummary());
  assert.equal(summary.global.requests, TAPE_SIZE + 501);
  assert.ok(summary.global.cache.hit > 0 && summary.global.cache.miss > 0 && summary.global.errors > 0, 'the block had every kind');
});

test('the header check answers as the classifier does: same set (Date, Content-Length aside), changed values, order, Buffers, repeats', () => {
  const last = new LastHeaders(new CacheMemo());
  const sets: (string | Buffer)[][] = [
    ['Date', 'Mon, 01 Dec 2026 10:00:00 GMT', 'X-Cache', 'HIT'],
    ['Date', 'Mon, 01 Dec 2026 10:00:01 GMT', 'X-Cache', 'HIT'],
    ['Date', 'Mon, 01 Dec 2026 10:00:01 GMT', 'X-Cache', 'MISS'],
    ['Date', 'Mon, 01 Dec 2026 10:00:02 GMT', 'X-Cache', 'MISS'],
    ['date', 'x', 'Age', '12'],
    ['date', 'y', 'Age', '0'],
    ['X-Cache', 'MISS', 'X-Cache', 'HIT'],
    ['X-Cache', 'MISS', 'X-Cache', 'HIT'],
    ['X-Cache', Buffer.from('HIT')],
    ['X-Cache', Buffer.from('MISS')],
    ['Cache-Control', 'no-store'],
    [],
    ['Content-Type', 'application/json'],
    ['CF-Cache-Status', 'EXPIRED'],
    ['CF-Cache-Status', 'HIT'],
    // Only the headers a detector reads are compared: Content-Length changes nothing, Age does, order does.
    ['Content-Length', '11', 'Age', '3'],
    ['Content-Length', '12', 'Age', '3'],
    ['Content-Length', '12', 'Age', '0'],
    ['Age', '0', 'Content-Length', '12'],
    ['Content-Length', '12', 'age', '5'],
    ['Content-Length', '12', 'Cache-Control', 'private'],
    ['Content-Length', '12', 'Cache-Control', 'max-age=60'],
  ];
  for (let round = 0; round < 2; round++) for (const raw of sets) assert.equal(last.status(raw), cacheFromRawHeaders(raw), raw.join(' '));
  // The code the hot path carries, asked first or after status, from the same check.
  const byCode = new LastHeaders(new CacheMemo());
  for (let round = 0; round < 2; round++) for (const raw of sets) assert.equal(CACHE_STATUSES[byCode.code(raw)], cacheFromRawHeaders(raw), raw.join(' '));
});

/** A tape on fake time, with what its sink got. */
function tapeOn(withLines = true) {
  const clock = new FakeClock();
  const got = { records: [] as ResultRecord[], lines: [] as string[], batches: [] as number[] };
  const sink: TapeSink = { record: (r) => got.records.push({ ...r }) };
  // What results.tape makes of the blocks and failures, in the order they came (the file itself: results-tape.test.ts).
  const lines = new TapeLines({ persona: 'bench', location: '/p?q="1"', step: 'request', method: 'GET', url: 'http://127.0.0.1:8080/p?q="1"' });
  if (withLines) {
    sink.responses = (block) => {
      got.batches.push(block.count);
      got.lines.push(...lines.responses(block, null).split('\n').filter(Boolean).map((l) => `${l}\n`));
    };
    sink.failed = (line) => {
      lines.failed(line, false);
      got.lines.push(line);
    };
  }
  const tape = new BenchTape('http://127.0.0.1:8080/p?q="1"', '/p?q="1"', 'GET', sink, clock);
  return { tape, clock, got };
}

test('the tape records responses in order as bench/1, bench/2, …, each line the line resultLine writes', () => {
  const { tape, got } = tapeOn();
  const cases: [number, number, number, ResultRecord['cache']][] = [[200, 1.2345678, 11, 'hit'], [503, 0.5, 0, 'miss'], [404, 1234567.891, 7, 'unknown'], [200, 0, 0, 'stale'], [302, 0.0004, 3, 'bypass'], [99, 2, 1, 'hit'], [600, 3, 2, 'miss']];
  for (const [status, ms, bytes, cache] of cases) tape.response(status, ms, bytes, code(cache), 1_760_000_000_000.25 + ms);
  tape.flush();
  assert.equal(got.records.length, cases.length);
  got.records.forEach((r, i) => {
    const [status, ms, bytes, cache] = cases[i]!;
    assert.equal(r.id, `bench/${i + 1}`);
    assert.equal(r.iteration, i + 1);
    assert.equal(r.status, status);
    assert.equal(r.latencyMs, Math.round(ms * 1000) / 1000);
    assert.equal(r.bytes, bytes);
    assert.equal(r.cache, cache);
    assert.equal(r.error, errorForStatus(status));
    assert.equal(r.ok, errorForStatus(status) === null);
    assert.equal(r.startedAt, Math.round(1_760_000_000_000.25 + ms - r.latencyMs));
    assert.equal(got.lines[i], resultLine(r));
  });
});

test('the tape flushes after TAPE_MS, when TAPE_SIZE responses wait, before a failure, and records without a results sink', async () => {
  const { tape, clock, got } = tapeOn();
  tape.response(200, 1, 1, code('hit'), 1_000);
  tape.response(200, 1, 1, code('hit'), 1_001);
  assert.equal(got.records.length, 0, 'nothing recorded on the response path');
  await clock.advance(TAPE_MS);
  assert.deepEqual(got.batches, [2]);
  for (let i = 0; i < TAPE_SIZE; i++) tape.response(200, 1, 1, code('hit'), 2_000);
  assert.deepEqual(got.batches, [2, TAPE_SIZE], 'a full tape is recorded at once');
  tape.response(200, 2, 1, code('miss'), 3_000);
  const failed: ResultRecord = { ...benchRecord('http://127.0.0.1:8080/p', '/p', 'GET'), status: null, ok: false, error: 'timeout_total', message: 'request timed out', latencyMs: 10_000, startedAt: 4_000 };
  tape.failure(failed);
  const n = TAPE_SIZE + 4;
  assert.equal(got.records.length, n);
  assert.equal(got.records[n - 2]!.id, `bench/${n - 1}`, 'the response before the failure came first');
  assert.equal(got.records[n - 1]!.id, `bench/${n}`);
  assert.equal(got.records[n - 1]!.message, 'request timed out');
  assert.equal(got.records[n - 1]!.url, 'http://127.0.0.1:8080/p?q="1"', "a failure carries the tape's (redacted) URL");
  assert.equal(got.lines[n - 1], resultLine(got.records[n - 1]!));
  assert.equal(tape.total, n);

  const quiet = tapeOn(false);
  quiet.tape.response(200, 1, 1, code('hit'), 1_000);
  quiet.tape.flush();
  assert.equal(quiet.got.records.length, 1);
  assert.deepEqual(quiet.got.lines, []);
});

test('a latency in whole microseconds is written as JSON writes the number, near and far', () => {
  const values = [...Array.from({ length: 120_000 }, (_, i) => i), 999_999, 1_000_000, 1_234_567_891, 2 ** 31 - 1, 2 ** 31, 9_007_199_254_740, 0.5, -1];
  for (let i = 0; i < 20_000; i++) values.push(Math.floor(Math.random() * 2 ** 31));
  for (const us of values) assert.equal(microsText(us), String(us / 1000), String(us));
});

test("watchResponses: troupe's queue takes the place of autocannon's and answers the client as autocannon's does; without one, the events", async () => {
  const { EventEmitter } = await import('node:events');
  const { createRequire } = await import('node:module');
  const { watchResponses } = await import('../src/bench/autocannon.js');
  // autocannon's own queue (what lib/httpClient.js makes before calling setupClient), the reference.
  const AutocannonQueue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js');
  type Seen = [number, number, number, ResultRecord['cache']];
  const nginx = (date: string, cache: string, length: string) => ['Server', 'nginx', 'Date', date, 'Content-Length', length, 'X-Cache', cache];
  const client = Object.assign(new EventEmitter(), { pipelinedRequests: new AutocannonQueue(), destroyed: false });
  const seen: Seen[] = [];
  const ends: number[] = [];
  const last = new LastHeaders(new CacheMemo());
  watchResponses(client as never, last, (status, ms, bytes, cache, endAt) => {
    seen.push([status, ms, bytes, CACHE_STATUSES[cache]!]);
    ends.push(endAt);
  });
  const ours = client.pipelinedRequests;
  assert.ok(!(ours instanceof AutocannonQueue), "troupe's queue is in place");
  const reference = new AutocannonQueue();

  // As the client drives its queue: a request written, the socket's bytes, the parser's headers, body chunks, the end.
  const request = (queue: typeof ours, req: object) => queue.insertRequest(req);
  const respond = (queue: typeof ours, status: number, raw: string[], chunks: number[]) => {
    queue.addByteCount(100);
    queue.setHeaders({ statusCode: status, headers: raw });
    for (const n of chunks) queue.addBody(Buffer.alloc(n));
    return queue.terminateRequest();
  };
  const before = Date.now();
  const sequence: [number, string[], number[]][] = [[200, nginx('d1', 'HIT', '11'), [11]], [200, nginx('d2', 'HIT', '20'), [5, 15]], [404, nginx('d2', 'MISS', '3'), [3]], [200, ['X-Cache', 'MISS', 'Age', '7'], []]];
  const returned: unknown[] = [];
  for (const [i, [status, raw, chunks]] of sequence.entries()) {
    const req = { n: i };
    request(ours, req);
    request(reference, req);
    const got = respond(ours, status, raw, chunks);
    const want = respond(reference, status, raw, chunks);
    // What the client reads back: req (for recordBody), headers.statusCode and .headers, bytes, duration; body is never built.
    assert.equal(got.req, want.req);
    assert.deepEqual(got.headers, want.headers);
    assert.equal(got.bytes, want.bytes);
    assert.equal(got.body, '');
    assert.ok(got.duration >= 0 && got.duration < 1000, String(got.duration));
    assert.equal(seen[i]![1], got.duration, "the latency is the duration the client reads");
    returned.push(got);
  }
  assert.deepEqual(seen.map(([status, , bytes, cache]) => [status, bytes, cache]), [[200, 11, 'hit'], [200, 20, 'hit'], [404, 3, 'miss'], [200, 0, 'miss']]);
  assert.equal(new Set(returned).size, 2, 'one entry in flight at a time: two objects, each reused once the next response ended');
  // The end is the queue's start time plus its duration, on the epoch clock.
  const after = Date.now();
  ends.forEach((endAt, i) => assert.ok(endAt >= before - 5 && endAt <= after + 5, `${endAt} in [${before}, ${after}] (${seen[i]![1]} ms)`));

  // Pipelined: responses end in the order their requests were written, each with its own figures.
  for (const n of [1, 2, 3]) request(ours, { n });
  const firsts = [respond(ours, 200, nginx('d3', 'HIT', '1'), [1]), respond(ours, 503, nginx('d3', 'MISS', '2'), [2])];
  assert.deepEqual(firsts.map((e) => (e!.req as { n: number }).n), [1, 2]);
  assert.equal(ours.size(), 1);
  // A reset connection: what was in flight gets no response; a destroyed client's responses are not counted.
  ours.clear();
  assert.equal(ours.size(), 0);
  assert.equal(ours.terminateRequest(), undefined);
  request(ours, { n: 4 });
  client.destroyed = true;
  assert.ok(respond(ours, 200, nginx('d4', 'HIT', '1'), [1]));
  assert.deepEqual(seen.slice(4).map(([status, , bytes]) => [status, bytes]), [[200, 1], [503, 2]], 'none counted once the client is destroyed');
  assert.equal(client.listenerCount('headers') + client.listenerCount('body') + client.listenerCount('response'), 0);

  // An autocannon without that queue: its events.
  const plain = new EventEmitter();
  const heard: Seen[] = [];
  watchResponses(plain as never, new LastHeaders(new CacheMemo()), (status, ms, bytes, cache) => heard.push([status, ms, bytes, CACHE_STATUSES[cache]!]));
  plain.emit('headers', { statusCode: 200, headers: nginx('d1', 'MISS', '4') });
  plain.emit('body', Buffer.alloc(4));
  plain.emit('response', 200, 180, 2.5);
  plain.emit('headers', { statusCode: 200, headers: nginx('d1', 'HIT', '0') });
  plain.emit('response', 200, 170, 1);
  assert.deepEqual(heard, [[200, 2.5, 4, 'miss'], [200, 1, 0, 'hit']]);
});

test("keepRequestContext: autocannon's iterator keeps its context across requests (no deep copy a request), the request unchanged", async () => {
  const { createRequire } = await import('node:module');
  const { keepRequestContext } = await import('../src/bench/autocannon.js');
  const RequestIterator = createRequire(import.meta.url)('autocannon/lib/requestIterator.js');
  const opts = { hostname: '127.0.0.1', host: '127.0.0.1:8080', port: 8080, path: '/a', method: 'GET', headers: {} };
  const reference = new RequestIterator({ ...opts });
  const kept = new RequestIterator({ ...opts });
  keepRequestContext({ requestIterator: kept } as never);
  const contexts = new Set<unknown>();
  const referenceContexts = new Set<unknown>();
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(kept.nextRequestBuffer(), reference.nextRequestBuffer(), 'the same request bytes');
    contexts.add(kept.context);
    referenceContexts.add(reference.context);
  }
  assert.equal(contexts.size, 1, 'one context for every request');
  assert.equal(referenceContexts.size, 5, "autocannon's own iterator copies it before each (what is skipped)");
  // A client without such an iterator is left as it is.
  const bare = {};
  keepRequestContext(bare as never);
  assert.deepEqual(bare, {});
});
