/**
 * Per persona × location counters in a compact table: a pair's counters live in one shared Float64Array
 * (FIELDS numbers a pair), its first INLINE latencies in another, and only a pair with more requests
 * than that gets a LatencyHistogram of its own. A ScopeAggregate per pair (~0.7 KiB, with 100,000 of them
 * promoted and collected during a run and again in the report) cost ~190 MB of the 100 × 1,000 grid's
 * peak; this table costs ~0.2 KiB a pair. A pair's light scope (ScopeAggregate.lightFrom) is built when
 * it is asked for, from the same numbers add() would have counted, so its figures are unchanged.
 */
import type { CacheStatus, ResultRecord } from '../engine/records.js';
import { ScopeAggregate } from './aggregate.js';
import { LatencyHistogram } from './histogram.js';

// Counters per pair, in this order, FIELDS apart.
const REQUESTS = 0;
const OK = 1;
const BYTES = 2;
const DECODED = 3;
const HIT = 4;
const MISS = 5;
const STALE = 6;
const BYPASS = 7;
const UNKNOWN = 8;
const FIRST_START = 9;
const LAST_END = 10;
/** The first status seen and its count inline (most pairs only ever see one); others go to a map. */
const STATUS = 11;
const STATUS_COUNT = 12;
const FIELDS = 13;
/** Latencies kept inline per pair before it gets a histogram (most grid pairs see 1–4 requests). */
const INLINE = 4;

const CACHE_FIELD: Record<CacheStatus, number> = { hit: HIT, miss: MISS, stale: STALE, bypass: BYPASS, unknown: UNKNOWN };

export class PairTable {
  private readonly index = new Map<string, Map<string, number>>();
  private pairs = 0;
  private counters = new Float64Array(256 * FIELDS);
  private inline = new Float64Array(256 * INLINE);
  /** pair → histogram, once it had more than INLINE latencies. */
  private readonly histograms = new Map<number, LatencyHistogram>();
  /** pair → other status → count, and pair → error code → count. */
  private readonly statuses = new Map<number, Map<number, number>>();
  private readonly errors = new Map<number, Map<string, number>>();
  // One-entry cache: consecutive records mostly share persona and location.
  private lastPersona: string | null = null;
  private lastLocations: Map<string, number> | null = null;

  get size(): number {
    return this.pairs;
  }

  add(r: ResultRecord): void {
    const pair = this.pairOf(r.persona, r.location);
    const c = this.counters;
    const at = pair * FIELDS;
    if (r.ok) c[at + OK]++;
    c[at + BYTES] += r.bytes;
    c[at + DECODED] += r.decodedBytes ?? r.bytes;
    c[at + (CACHE_FIELD[r.cache] ?? UNKNOWN)]++;
    if (r.startedAt < c[at + FIRST_START]!) c[at + FIRST_START] = r.startedAt;
    if (r.startedAt + r.latencyMs > c[at + LAST_END]!) c[at + LAST_END] = r.startedAt + r.latencyMs;
    if (r.status !== null) this.countStatus(pair, r.status, 1);
    if (r.error !== null) count(this.errors, pair, r.error, 1);
    this.addLatency(pair, r.latencyMs);
  }

  /** Adds a whole light scope (another table's pair, or one from an older summary.json). */
  absorb(persona: string, location: string, scope: ScopeAggregate): void {
    const pair = this.pairOf(persona, location);
    const c = this.counters;
    const at = pair * FIELDS;
    c[at + OK] += scope.ok;
    c[at + BYTES] += scope.bytes;
    c[at + DECODED] += scope.decodedBytes;
    c[at + HIT] += scope.hit;
    c[at + MISS] += scope.miss;
    c[at + STALE] += scope.stale;
    c[at + BYPASS] += scope.bypass;
    c[at + UNKNOWN] += scope.unknown;
    if (scope.firstStart < c[at + FIRST_START]!) c[at + FIRST_START] = scope.firstStart;
    if (scope.lastEnd > c[at + LAST_END]!) c[at + LAST_END] = scope.lastEnd;
    for (const [status, n] of scope.statusCounts()) this.countStatus(pair, status, n);
    for (const [code, n] of scope.errorCounts()) count(this.errors, pair, code, n);
    if (scope.latency.count === 0) return;
    const histogram = this.histogramOf(pair);
    c[at + REQUESTS] += scope.latency.count;
    histogram.merge(scope.latency);
  }

  merge(other: PairTable): void {
    for (const [persona, locations] of other.index) for (const [location, pair] of locations) this.absorb(persona, location, other.scope(pair));
  }

  /** A persona's pairs as light scopes, built now (one persona's worth at a time). */
  of(persona: string): ReadonlyMap<string, ScopeAggregate> {
    const out = new Map<string, ScopeAggregate>();
    for (const [location, pair] of this.index.get(persona) ?? []) out.set(location, this.scope(pair));
    return out;
  }

  /** (persona, location, light scope), sorted by persona then location, one at a time. */
  *scopes(): Generator<[string, string, ScopeAggregate]> {
    for (const [persona, locations] of sorted(this.index)) {
      for (const [location, pair] of sorted(locations)) yield [persona, location, this.scope(pair)];
    }
  }

  private scope(pair: number): ScopeAggregate {
    const c = this.counters;
    const at = pair * FIELDS;
    const statusCodes = new Map(this.statuses.get(pair) ?? []);
    if (c[at + STATUS_COUNT]! > 0) statusCodes.set(c[at + STATUS]!, c[at + STATUS_COUNT]!);
    let latency = this.histograms.get(pair);
    if (latency === undefined) {
      latency = new LatencyHistogram(2);
      for (let i = 0; i < c[at + REQUESTS]!; i++) latency.record(this.inline[pair * INLINE + i]!);
    }
    return ScopeAggregate.lightFrom({
      requests: c[at + REQUESTS]!,
      ok: c[at + OK]!,
      bytes: c[at + BYTES]!,
      decodedBytes: c[at + DECODED]!,
      hit: c[at + HIT]!,
      miss: c[at + MISS]!,
      stale: c[at + STALE]!,
      bypass: c[at + BYPASS]!,
      unknown: c[at + UNKNOWN]!,
      firstStart: c[at + FIRST_START]!,
      lastEnd: c[at + LAST_END]!,
      statusCodes,
      errorCodes: this.errors.get(pair) ?? new Map(),
      latency,
    });
  }

  private pairOf(persona: string, location: string): number {
    if (persona !== this.lastPersona) {
      this.lastPersona = persona;
      let locations = this.index.get(persona);
      if (locations === undefined) this.index.set(persona, (locations = new Map()));
      this.lastLocations = locations;
    }
    let pair = this.lastLocations!.get(location);
    if (pair === undefined) this.lastLocations!.set(location, (pair = this.newPair()));
    return pair;
  }

  private newPair(): number {
    if ((this.pairs + 1) * FIELDS > this.counters.length) {
      this.counters = grown(this.counters, new Float64Array(this.counters.length * 2));
      this.inline = grown(this.inline, new Float64Array(this.inline.length * 2));
    }
    const at = this.pairs * FIELDS;
    this.counters[at + FIRST_START] = Infinity;
    this.counters[at + LAST_END] = -Infinity;
    return this.pairs++;
  }

  private addLatency(pair: number, ms: number): void {
    const at = pair * FIELDS;
    const n = this.counters[at + REQUESTS]!;
    this.counters[at + REQUESTS] = n + 1;
    if (n < INLINE && !this.histograms.has(pair)) this.inline[pair * INLINE + n] = ms;
    else this.histogramOf(pair, n).record(ms);
  }

  /** The pair's histogram, made from its inline latencies (the first `inlined` of them) on first use. */
  private histogramOf(pair: number, inlined = Math.min(this.counters[pair * FIELDS + REQUESTS]!, INLINE)): LatencyHistogram {
    let histogram = this.histograms.get(pair);
    if (histogram === undefined) {
      histogram = new LatencyHistogram(2);
      for (let i = 0; i < inlined; i++) histogram.record(this.inline[pair * INLINE + i]!);
      this.histograms.set(pair, histogram);
    }
    return histogram;
  }

  private countStatus(pair: number, status: number, n: number): void {
    const at = pair * FIELDS;
    const c = this.counters;
    if (c[at + STATUS_COUNT] === 0) {
      c[at + STATUS] = status;
      c[at + STATUS_COUNT] = n;
    } else if (c[at + STATUS] === status) c[at + STATUS_COUNT] += n;
    else count(this.statuses, pair, status, n);
  }
}

function count<K>(maps: Map<number, Map<K, number>>, pair: number, key: K, n: number): void {
  let map = maps.get(pair);
  if (map === undefined) maps.set(pair, (map = new Map()));
  map.set(key, (map.get(key) ?? 0) + n);
}

function grown(from: Float64Array, into: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  into.set(from);
  return into;
}

// Keys are names users chose: sorted as strings, "__proto__" included.
function sorted<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
