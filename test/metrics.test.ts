import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type JsHistogram } from 'hdr-histogram-js';
import type { CacheStatus, RequestErrorCode, ResultRecord } from '../src/engine/records.js';
import { TroupeError } from '../src/errors.js';
import { mulberry32 } from '../src/util/random.js';
import { ScopeAggregate, type ScopeSummary } from '../src/metrics/aggregate.js';
import { LatencyHistogram, PERCENTILE_KEYS, PERCENTILES, slotIndex, slotRange } from '../src/metrics/histogram.js';
import { RunMetrics, type RunMetricsSummary } from '../src/metrics/run-metrics.js';
import { PersonaLocationScopes } from '../src/metrics/persona-locations.js';

/** Deterministic PRNG, so a failure can be replayed. */
const prng = mulberry32;

/** Log-normal-ish latencies in ms, median ~40 ms, clamped to 0.5 ms – 5 s, with fractional µs. */
function latencies(n: number, seed: number): number[] {
  const random = prng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    out.push(Math.min(5000, Math.max(0.5, Math.exp(Math.log(40) + 1.3 * z))));
  }
  return out;
}

const toMicros = (ms: number) => Math.max(1, Math.round(ms * 1000));

function libraryHistogram(digits: 2 | 3): JsHistogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: digits,
    useWebAssembly: false,
  }) as JsHistogram;
}

const CACHE: CacheStatus[] = ['hit', 'miss', 'stale', 'bypass', 'unknown'];
const ERRORS: RequestErrorCode[] = ['timeout_total', 'http_5xx', 'conn_reset'];

function records(n: number, seed: number): ResultRecord[] {
  const random = prng(seed);
  const lat = latencies(n, seed + 1);
  const out: ResultRecord[] = [];
  for (let i = 0; i < n; i++) {
    const persona = `persona-${Math.floor(random() * 3)}`;
    const location = `loc-${Math.floor(random() * 7)}`;
    const failed = random() < 0.05;
    const error = failed ? ERRORS[Math.floor(random() * ERRORS.length)]! : null;
    const noResponse = error === 'timeout_total' || error === 'conn_reset';
    out.push({
      type: 'result',
      id: `${persona}/${location}/${i}`,
      persona,
      location,
      iteration: i,
      step: random() < 0.5 ? 'search' : 'detail',
      method: 'GET',
      url: 'http://127.0.0.1/x',
      status: noResponse ? null : error === 'http_5xx' ? 503 : random() < 0.1 ? 304 : 200,
      ok: !failed,
      error,
      latencyMs: lat[i]!,
      ttfbMs: noResponse ? null : lat[i]! * 0.6,
      bytes: Math.floor(random() * 5000),
      cache: CACHE[Math.floor(random() * CACHE.length)]!,
      startedAt: 1_700_000_000_000 + i * 3 + Math.floor(random() * 10),
    });
  }
  return out;
}

function record(overrides: Partial<ResultRecord>): ResultRecord {
  return {
    type: 'result', id: 'p/l/0', persona: 'p', location: 'l', iteration: 0, step: 'get', method: 'GET', url: 'http://x/',
    status: 200, ok: true, error: null, latencyMs: 10, ttfbMs: 5, bytes: 100, cache: 'unknown', startedAt: 1000,
    ...overrides,
  };
}

/** Splits items into `parts` interleaved slices, as shards would see them. */
const split = <T>(items: T[], parts: number): T[][] =>
  Array.from({ length: parts }, (_, p) => items.filter((_, i) => i % parts === p));

const jsonRoundtrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('LatencyHistogram', () => {
  it('maps values to the same slots as hdr-histogram-js', () => {
    for (const digits of [2, 3] as const) {
      const lib = libraryHistogram(digits);
      const values: number[] = [];
      for (let v = 1; v <= 5000; v++) values.push(v);
      for (let k = 1; k < 32; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
      const random = prng(7);
      for (let i = 0; i < 20_000; i++) values.push(1 + Math.floor(random() * 3_600_000_000));
      values.push(3_600_000_000);
      for (const v of values) {
        if (v > 3_600_000_000) continue;
        assert.equal(slotIndex(digits, v), lib.countsArrayIndex(v), `value ${v} with ${digits} digits`);
      }
    }
  });

  it('gives each slot the same value range as hdr-histogram-js', () => {
    for (const digits of [2, 3] as const) {
      const lib = libraryHistogram(digits);
      for (let slot = 1; slot < lib.countsArrayLength; slot++) {
        const value = lib.valueFromIndex(slot);
        const want = { lowest: lib.lowestEquivalentValue(value), highest: lib.highestEquivalentValue(value) };
        assert.deepEqual(slotRange(digits, slot), want, `slot ${slot} with ${digits} digits`);
      }
    }
  });

  it('percentiles agree with exact nearest-rank percentiles of 100k latencies within 0.1% + 1 µs', () => {
    const values = latencies(100_000, 42);
    const histogram = new LatencyHistogram();
    for (const v of values) histogram.record(v);
    const sorted = values.map(toMicros).sort((a, b) => a - b);
    // Nearest rank in integer maths (p has at most one decimal), so float error cannot shift the rank.
    const exact = (p: number) => sorted[Math.max(Math.ceil((Math.round(p * 10) * sorted.length) / 1000), 1) - 1]! / 1000;
    const within = (got: number, want: number, what: string) =>
      assert.ok(Math.abs(got - want) <= want * 0.001 + 0.001, `${what}: histogram ${got} ms, exact ${want} ms`);

    assert.equal(histogram.count, 100_000);
    const stats = histogram.stats();
    PERCENTILES.forEach((p, i) => {
      within(histogram.percentileMs(p), exact(p), `p${p}`);
      assert.equal(stats[PERCENTILE_KEYS[i]!], histogram.percentileMs(p), `stats ${PERCENTILE_KEYS[i]}`);
    });
    assert.equal(histogram.minMs, sorted[0]! / 1000, 'min is exact');
    assert.equal(histogram.maxMs, sorted[sorted.length - 1]! / 1000, 'max is exact');
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000;
    within(histogram.meanMs, mean, 'mean');
  });

  it('gives the same numbers and the same encoding as a plain hdr-histogram-js histogram', () => {
    for (const digits of [2, 3] as const) {
      const values = latencies(20_000, digits);
      const ours = new LatencyHistogram(digits);
      const lib = libraryHistogram(digits);
      for (const v of values) {
        ours.record(v);
        lib.recordValue(toMicros(v));
      }
      // The library keeps the exact max of directly recorded values; percentiles are capped at it.
      for (const p of [0.1, 1, 25, ...PERCENTILES, 99.99, 100]) {
        const want = Math.min(lib.getValueAtPercentile(p), lib.maxValue) / 1000;
        assert.equal(ours.percentileMs(p), want, `p${p}, ${digits} digits`);
      }
      assert.equal(ours.meanMs, Math.round(lib.mean) / 1000);
      assert.equal(ours.minMs, lib.minNonZeroValue / 1000);
      assert.equal(ours.maxMs, lib.maxValue / 1000);
      assert.equal(ours.encode(), encodeIntoCompressedBase64(lib));
      const decodedByLibrary = decodeFromCompressedBase64(ours.encode());
      assert.equal(decodedByLibrary.totalCount, values.length);
      assert.equal(decodedByLibrary.getValueAtPercentile(99), lib.getValueAtPercentile(99));
    }
  });

  it('writes exactly what hdr-histogram-js writes, and reads what it writes', () => {
    for (const values of [[], [0.001], [1, 1, 1, 2.5, 3000, 3_600_000], latencies(300, 3)]) {
      const ours = new LatencyHistogram();
      const lib = libraryHistogram(3);
      for (const v of values) {
        ours.record(v);
        lib.recordValue(toMicros(v));
      }
      const encoded = encodeIntoCompressedBase64(lib);
      assert.equal(ours.encode(), encoded, `${values.length} values`);
      assert.deepEqual(LatencyHistogram.decode(encoded, ours.stats()).stats(), ours.stats());
    }
  });

  it('gives the same results whether counts are stored sparse or in bucket chunks', () => {
    const random = prng(5);
    // 17-32 ms: ~940 slots of one HdrHistogram bucket, where one 8 KiB chunk beats ~9.4 KiB of sparse slots.
    const narrow = Array.from({ length: 20_000 }, () => 17 + random() * 15);
    const few = [0.7, 3, 25, 33.3, 900];
    const lib = libraryHistogram(3);
    for (const v of [...narrow, ...few]) lib.recordValue(toMicros(v));

    const chunked = new LatencyHistogram();
    for (const v of narrow) chunked.record(v);
    const sparse = new LatencyHistogram();
    for (const v of few) sparse.record(v);
    assert.equal(sparse.storageBytes, 8 * 10, 'a few values: sparse, 8 slots of 10 bytes');
    assert.ok(chunked.storageBytes < 8192 + 1024, `20k values in 1 bucket: 1 chunk, got ${chunked.storageBytes} bytes`);

    const sparseIntoChunked = LatencyHistogram.decode(chunked.encode(), chunked.stats());
    sparseIntoChunked.merge(sparse);
    const chunkedIntoSparse = LatencyHistogram.decode(sparse.encode(), sparse.stats());
    chunkedIntoSparse.merge(chunked);
    for (const merged of [sparseIntoChunked, chunkedIntoSparse]) {
      assert.equal(merged.encode(), encodeIntoCompressedBase64(lib));
      assert.equal(merged.count, lib.totalCount);
      assert.equal(merged.percentileMs(99), Math.min(lib.getValueAtPercentile(99), lib.maxValue) / 1000);
    }
    assert.deepEqual(sparseIntoChunked.stats(), chunkedIntoSparse.stats());
  });

  it('decode(encode()) then merge of 4 parts equals one histogram of all values', () => {
    const values = latencies(40_000, 9);
    const whole = new LatencyHistogram();
    for (const v of values) whole.record(v);
    const merged = new LatencyHistogram();
    for (const part of split(values, 4)) {
      const h = new LatencyHistogram();
      for (const v of part) h.record(v);
      merged.merge(LatencyHistogram.decode(h.encode(), h.stats()));
    }
    assert.deepEqual(merged.stats(), whole.stats());
    assert.equal(merged.encode(), whole.encode());
  });

  it('keeps min and max exact when told them, bucket bounds otherwise', () => {
    const h = new LatencyHistogram();
    for (const ms of [12, 30, 500]) h.record(ms);
    assert.equal(h.maxMs, 500);
    assert.equal(h.percentileMs(99), 500, 'capped at the exact max');
    assert.equal(h.percentileMs(50), 30.015, 'top of the bucket [30.000, 30.015]');
    const exact = LatencyHistogram.decode(h.encode(), h.stats());
    assert.deepEqual(exact.stats(), h.stats());
    const bounds = LatencyHistogram.decode(h.encode());
    assert.equal(bounds.minMs, 12);
    assert.equal(bounds.maxMs, 500.223);
    const wrong = LatencyHistogram.decode(h.encode(), { min: 1, max: 9000 });
    assert.equal(wrong.maxMs, 500.223, 'a max outside the top bucket is ignored');
  });

  it('clamps values to 1 µs .. 1 h and reports nothing for an empty histogram', () => {
    const h = new LatencyHistogram();
    assert.equal(h.count, 0);
    assert.equal(h.stats().p50, null);
    assert.equal(h.percentileMs(50), 0);
    assert.deepEqual(LatencyHistogram.decode(h.encode()).stats(), h.stats());
    h.record(0);
    h.record(-5);
    h.record(10 * 3_600_000);
    assert.equal(h.count, 3);
    assert.equal(h.minMs, 0.001);
    assert.ok(h.maxMs >= 3_600_000 && h.maxMs <= 3_600_000 * 1.001, `max ${h.maxMs}`);
  });

  it('refuses garbage and histograms of another precision with a coded error', () => {
    assert.throws(() => LatencyHistogram.decode('not a histogram'), (e: unknown) => e instanceof TroupeError && e.code === 'E_RUN_DIR');
    const two = new LatencyHistogram(2);
    two.record(5);
    assert.throws(() => new LatencyHistogram(3).merge(two), (e: unknown) => e instanceof TroupeError && e.code === 'E_RUN_DIR');
    assert.equal(LatencyHistogram.decode(two.encode()).significantDigits, 2);
  });
});

describe('ScopeAggregate', () => {
  it('merging 4 decoded partial aggregates equals the aggregate of all records', () => {
    const all = records(20_000, 1);
    const whole = new ScopeAggregate();
    for (const r of all) whole.add(r);
    const merged = new ScopeAggregate();
    for (const part of split(all, 4)) {
      const scope = new ScopeAggregate();
      for (const r of part) scope.add(r);
      merged.merge(ScopeAggregate.fromSummary(jsonRoundtrip(scope.toSummary())));
    }
    const want = whole.toSummary();
    assert.deepEqual(merged.toSummary(), want);
    assert.equal(want.requests, 20_000);
    assert.equal(want.ok + want.errors, want.requests);
    assert.equal(Object.values(want.errorCodes).reduce((a, b) => a + b, 0), want.errors);
    assert.ok(want.hitLatency && want.missLatency && want.ttfb);
  });

  it('hit rate counts only hits and misses; unknown, stale and bypass are shown apart', () => {
    const scope = new ScopeAggregate();
    const statuses: CacheStatus[] = ['hit', 'hit', 'hit', 'miss', 'unknown', 'unknown', 'unknown', 'unknown', 'stale', 'bypass'];
    statuses.forEach((cache, i) => scope.add(record({ cache, latencyMs: 10 + i, startedAt: 1000 + i })));
    const s = scope.toSummary();
    assert.deepEqual(s.cache, { hit: 3, miss: 1, stale: 1, bypass: 1, unknown: 4, hitRate: 0.75 });
    assert.equal(s.hitLatency!.count, 3);
    assert.equal(s.missLatency!.count, 1);
    assert.equal(s.latency.count, 10);
    assert.equal(s.hitLatency!.max, 12);
  });

  it('has null rates and no latencies when there is no data', () => {
    const s = new ScopeAggregate().toSummary();
    assert.equal(s.requests, 0);
    assert.equal(s.successRate, null);
    assert.equal(s.rps, null);
    assert.equal(s.durationMs, null);
    assert.equal(s.cache.hitRate, null);
    assert.equal(s.latency.p95, null);
    assert.equal(s.hitLatency, undefined);
    assert.deepEqual(ScopeAggregate.fromSummary(jsonRoundtrip(s)).toSummary(), s);

    const onlyUnknown = new ScopeAggregate();
    onlyUnknown.add(record({ cache: 'unknown' }));
    assert.equal(onlyUnknown.toSummary().cache.hitRate, null);
  });

  it('computes success rate, throughput and status codes', () => {
    const scope = new ScopeAggregate();
    scope.add(record({ startedAt: 1000, latencyMs: 100 }));
    scope.add(record({ startedAt: 1500, latencyMs: 500, ok: false, error: 'http_5xx', status: 503 }));
    scope.add(record({ startedAt: 1200, latencyMs: 50, ok: false, error: 'timeout_total', status: null, ttfbMs: null }));
    const s = scope.toSummary();
    assert.equal(s.successRate, 0.333333);
    assert.equal(s.durationMs, 1000);
    assert.equal(s.rps, 3);
    assert.deepEqual(s.statusCodes, { '200': 1, '503': 1 });
    assert.deepEqual(s.errorCodes, { http_5xx: 1, timeout_total: 1 });
    assert.equal(s.ttfb!.count, 2);
    assert.equal(s.latency.max, 500);
  });

  it('fromSummary(toSummary()) is exact, for full and light scopes', () => {
    for (const profile of ['full', 'light'] as const) {
      const scope = new ScopeAggregate(profile);
      for (const r of records(3000, 5)) scope.add(r);
      const s = scope.toSummary();
      const back = ScopeAggregate.fromSummary(jsonRoundtrip(s));
      assert.equal(back.profile, profile);
      assert.deepEqual(back.toSummary(), s);
    }
    const light = new ScopeAggregate('light').toSummary();
    assert.equal(light.ttfb, undefined);
    assert.equal(light.histograms.ttfb, undefined);
  });
});

/** The scope aggregates; journey checks, retries and the warm-up curve are tested with journey-metrics. */
function scopesOf(s: RunMetricsSummary) {
  const { global, personas, locations, steps, cacheStatus, personaLocations } = s;
  return { global, personas, locations, steps, cacheStatus, personaLocations };
}

describe('RunMetrics', () => {
  it('merging 4 shards read back from summaries equals one run over every record', () => {
    const all = records(12_000, 3);
    const whole = new RunMetrics();
    for (const r of all) whole.add(r);
    const merged = new RunMetrics();
    for (const part of split(all, 4)) {
      const shard = new RunMetrics();
      for (const r of part) shard.add(r);
      merged.merge(RunMetrics.fromSummary(jsonRoundtrip(shard.toSummary())));
    }
    const want = scopesOf(whole.toSummary());
    assert.deepEqual(scopesOf(merged.toSummary()), want);
    assert.deepEqual(Object.keys(want.personas), ['persona-0', 'persona-1', 'persona-2']);
    assert.deepEqual(Object.keys(want.steps), ['detail', 'search']);
    assert.deepEqual(Object.keys(want.cacheStatus), ['bypass', 'hit', 'miss', 'stale', 'unknown']);
    assert.equal(Object.keys(want.locations).length, 7);
    // Persona × location scopes stay out of summary.json (reports rebuild them from results.ndjson).
    assert.equal(whole.toSummary().personaLocations, undefined);
    const pairs = [...whole.personaLocations.rows()].map(([, , s]) => s);
    assert.equal(pairs.length, 21);
    assert.equal(pairs.reduce((n, s) => n + s.requests, 0), want.global.requests);
    const sum = (scopes: Record<string, { requests: number }>) => Object.values(scopes).reduce((n, s) => n + s.requests, 0);
    assert.equal(sum(want.personas), 12_000);
    assert.equal(sum(want.locations), 12_000);
    assert.equal(sum(want.steps), 12_000);
    assert.equal(sum(want.cacheStatus as Record<string, { requests: number }>), 12_000);
  });

  it('fromSummary(toSummary()) is exact', () => {
    const metrics = new RunMetrics();
    for (const r of records(5000, 11)) metrics.add(r);
    const s = metrics.toSummary();
    assert.deepEqual(scopesOf(RunMetrics.fromSummary(jsonRoundtrip(s)).toSummary()), scopesOf(s));
  });

  it('persona snapshots are compact: no histograms, per-location counts and p50/p95', () => {
    const metrics = new RunMetrics();
    const all = records(4000, 13);
    for (const r of all) metrics.add(r);
    const snap = metrics.personaSnapshot('persona-1');
    assert.equal(snap.persona, 'persona-1');
    assert.equal('histograms' in snap, false);
    assert.ok(!JSON.stringify(snap).includes('HISTFAA'), 'no encoded histogram in a snapshot');
    const mine = all.filter((r) => r.persona === 'persona-1');
    assert.equal(snap.requests, mine.length);
    const loc = snap.locations['loc-3']!;
    const atLoc = mine.filter((r) => r.location === 'loc-3');
    assert.equal(loc.requests, atLoc.length);
    assert.equal(loc.hit, atLoc.filter((r) => r.cache === 'hit').length);
    assert.equal(loc.hitRate, Math.round((loc.hit / (loc.hit + loc.miss)) * 1e6) / 1e6);
    const sorted = atLoc.map((r) => toMicros(r.latencyMs)).sort((a, b) => a - b);
    const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]! / 1000;
    assert.ok(Math.abs(loc.p95! - p95) <= p95 * 0.01 + 0.001, `p95 ${loc.p95} vs exact ${p95} (2 digits)`);

    const empty = metrics.personaSnapshot('nobody');
    assert.equal(empty.requests, 0);
    assert.deepEqual(empty.locations, {});
    assert.deepEqual(metrics.personaProgress('nobody'), { done: 0, errors: 0, p95Ms: null, hitRate: null });
    assert.equal(metrics.personaProgress('persona-1').done, mine.length);
  });
});

describe('PersonaLocationScopes (compact table)', () => {
  // 3 personas × 7 locations, ~570 requests a pair (chunked histograms), plus pairs of one request.
  const all = [...records(12_000, 5), record({ persona: 'zed', location: '__proto__', status: null, ok: false, error: 'conn_reset' }), record({ persona: 'persona-0', location: 'a1', decodedBytes: 900, cache: 'hit' })];
  const expected = (rs: ResultRecord[]) => {
    const byPair = new Map<string, [string, string, ScopeAggregate]>();
    for (const r of rs) {
      const key = JSON.stringify([r.persona, r.location]);
      if (!byPair.has(key)) byPair.set(key, [r.persona, r.location, new ScopeAggregate('light')]);
      byPair.get(key)![2].add(r);
    }
    return [...byPair.values()].sort(([a, b], [c, d]) => (a < c ? -1 : a > c ? 1 : b < d ? -1 : b > d ? 1 : 0)).map(([p, l, s]) => [p, l, s.toStats()]);
  };

  it('gives the rows a ScopeAggregate per pair gives: counts, statuses, errors, cache, decoded bytes and 2-digit latency', () => {
    const scopes = new PersonaLocationScopes();
    for (const r of all) scopes.add(r);
    assert.equal(scopes.size, 23);
    const rows = [...scopes.rows()];
    assert.deepEqual(rows, expected(all));
    assert.ok(rows.some(([, , s]) => Object.keys(s.statusCodes).length > 1 && Object.keys(s.errorCodes).length > 1));
    assert.deepEqual(scopes.of('zed').get('__proto__')!.toStats(), expected(all).find(([p]) => p === 'zed')![2]);
  });

  it('merges tables and older summaries exactly, pairs with a few requests and pairs with many alike', () => {
    const parts = split(all, 3).map((part) => {
      const scopes = new PersonaLocationScopes();
      for (const r of part.slice(0, 3)) scopes.add(r); // inline latencies only, before the rest
      for (const r of part.slice(3)) scopes.add(r);
      return scopes;
    });
    const merged = new PersonaLocationScopes();
    for (const part of parts) merged.merge(part);
    assert.deepEqual([...merged.rows()], expected(all));
    const fromOld = new PersonaLocationScopes();
    fromOld.add(all[0]!);
    const rest = all.slice(1).filter((r) => r.persona === 'persona-1');
    const summaries: Record<string, ScopeSummary> = {};
    for (const r of rest) {
      const scope = ScopeAggregate.fromSummary(summaries[r.location] ?? new ScopeAggregate('light').toSummary());
      scope.add(r);
      summaries[r.location] = scope.toSummary();
    }
    fromOld.addSummaries('persona-1', summaries);
    assert.deepEqual([...fromOld.rows()], expected([all[0]!, ...rest]));
  });
});
