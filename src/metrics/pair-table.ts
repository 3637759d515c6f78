/**
 * Per persona × location figures for reports, rebuilt from results in a compact table: a pair's counters
 * live in one shared Float64Array (~100 bytes a pair) and each request adds its latency and pair index
 * to two growing typed arrays (12 bytes a request), instead of a ScopeAggregate per pair (~0.7 KiB, and
 * 100,000 of them, promoted and garbage-collected, grew the report's heap by ~300 MB). A pair's light
 * scope is built only when its row is written, from exactly these numbers, so its figures are the ones
 * PersonaLocationScopes gives (same histogram, same rounding).
 */
import type { ResultRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeStats } from './aggregate.js';
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
const FIELDS = 11;

export class PersonaLocationTable {
  private readonly index = new Map<string, Map<string, number>>();
  private pairs = 0;
  private counters = new Float64Array(1024 * FIELDS);
  /** pair → status → count, and pair → error code → count. */
  private readonly statuses = new Map<number, Map<number, number>>();
  private readonly errors = new Map<number, Map<string, number>>();
  private latencyPair = new Uint32Array(4096);
  private latencyMs = new Float64Array(4096);
  private samples = 0;
  // One-entry cache: consecutive records mostly share persona and location.
  private lastPersona: string | null = null;
  private lastLocations: Map<string, number> | null = null;

  get size(): number {
    return this.pairs;
  }

  add(r: ResultRecord): void {
    if (r.persona !== this.lastPersona) {
      this.lastPersona = r.persona;
      let locations = this.index.get(r.persona);
      if (locations === undefined) this.index.set(r.persona, (locations = new Map()));
      this.lastLocations = locations;
    }
    let pair = this.lastLocations!.get(r.location);
    if (pair === undefined) this.lastLocations!.set(r.location, (pair = this.newPair()));
    const c = this.counters;
    const at = pair * FIELDS;
    c[at + REQUESTS]++;
    if (r.ok) c[at + OK]++;
    c[at + BYTES] += r.bytes;
    c[at + DECODED] += r.decodedBytes ?? r.bytes;
    const field = r.cache === 'hit' ? HIT : r.cache === 'miss' ? MISS : r.cache === 'stale' ? STALE : r.cache === 'bypass' ? BYPASS : UNKNOWN;
    c[at + field]++;
    if (r.startedAt < c[at + FIRST_START]!) c[at + FIRST_START] = r.startedAt;
    if (r.startedAt + r.latencyMs > c[at + LAST_END]!) c[at + LAST_END] = r.startedAt + r.latencyMs;
    if (r.status !== null) count(this.statuses, pair, r.status);
    if (r.error !== null) count(this.errors, pair, r.error);
    if (this.samples === this.latencyMs.length) {
      this.latencyMs = grown(this.latencyMs, new Float64Array(this.samples * 2));
      this.latencyPair = grown(this.latencyPair, new Uint32Array(this.samples * 2));
    }
    this.latencyPair[this.samples] = pair;
    this.latencyMs[this.samples++] = r.latencyMs;
  }

  private newPair(): number {
    if ((this.pairs + 1) * FIELDS > this.counters.length) this.counters = grown(this.counters, new Float64Array(this.counters.length * 2));
    const at = this.pairs * FIELDS;
    this.counters[at + FIRST_START] = Infinity;
    this.counters[at + LAST_END] = -Infinity;
    return this.pairs++;
  }

  /**
   * (persona, location, numbers), sorted by persona then location, one row at a time. The latencies are
   * first regrouped by pair (a counting sort), so each row's histogram is filled from one slice.
   */
  *rows(): Generator<[string, string, ScopeStats]> {
    const start = new Uint32Array(this.pairs + 1);
    for (let i = 0; i < this.samples; i++) start[this.latencyPair[i]! + 1]!++;
    for (let p = 0; p < this.pairs; p++) start[p + 1]! += start[p]!;
    const next = start.slice(0, this.pairs);
    const grouped = new Float64Array(this.samples);
    for (let i = 0; i < this.samples; i++) grouped[next[this.latencyPair[i]!]!++] = this.latencyMs[i]!;
    this.latencyPair = new Uint32Array(0);
    this.latencyMs = new Float64Array(0);
    this.samples = 0;
    const c = this.counters;
    for (const [persona, locations] of sorted(this.index)) {
      for (const [location, pair] of sorted(locations)) {
        const latency = new LatencyHistogram(2);
        for (let i = start[pair]!; i < start[pair + 1]!; i++) latency.record(grouped[i]!);
        const at = pair * FIELDS;
        const scope = ScopeAggregate.lightFrom({
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
          statusCodes: this.statuses.get(pair) ?? new Map(),
          errorCodes: this.errors.get(pair) ?? new Map(),
          latency,
        });
        yield [persona, location, scope.toStats()];
      }
    }
  }
}

function count<K>(maps: Map<number, Map<K, number>>, pair: number, key: K): void {
  let map = maps.get(pair);
  if (map === undefined) maps.set(pair, (map = new Map()));
  map.set(key, (map.get(key) ?? 0) + 1);
}

function grown<T extends Float64Array | Uint32Array>(from: T, into: T): T {
  into.set(from);
  return into;
}

// Keys are names users chose: sorted as strings, "__proto__" included.
function sorted<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
