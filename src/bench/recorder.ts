/**
 * What `troupe bench` does per response, kept to a few hundred nanoseconds: autocannon's own loop is
 * the thing measured, so every microsecond spent here is throughput lost (issue 12: `troupe bench`
 * ≥ 0.97× bare autocannon; the former path, a fresh record object, JSON.stringify, six scopes and a
 * header object per response, cost ~18 % of the CPU and 0.46–0.65× the requests).
 *
 * - One reused record, nothing allocated per response: consumers copy what they keep.
 * - No line per response: results go to results.tape as numbers (src/run-dir/results-tape.ts).
 * - The cache status is remembered per distinct set of response headers (without Date).
 * - Metrics go to the cache-status scopes only (RunMetrics.addUniform): the global scope is their merge,
 *   and one persona, one location, one step are copies of it.
 */
import { CACHE_HEADER_NAMES, cacheStatusFromHeaders, type ResponseHeaders } from '../engine/cache-status.js';
import type { CacheStatus, ResultRecord } from '../engine/records.js';
import { CACHE_CODE } from '../run-dir/results-tape.js';
import { locationSnapshotOf, type PersonaSnapshot, type RunMetrics } from '../metrics/run-metrics.js';

/** The cache status of a set of raw headers, remembered for this many distinct sets at most. */
const CACHE_MEMO = 1024;

/**
 * The cache status of a response from its raw header list [name, value, name, value, …], by the same
 * rules as `troupe run` (header priority, then Age).
 */
export function cacheFromRawHeaders(raw: readonly (string | Buffer)[]): CacheStatus {
  const headers: ResponseHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    // A repeated header (two proxies' X-Cache) keeps every value, in order, as undici gives them to `run`.
    const value = String(raw[i + 1]);
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return cacheStatusFromHeaders(headers, {});
}

/** cacheFromRawHeaders, remembered per header set: a server sends the same few sets over and over. */
export class CacheMemo {
  private readonly known = new Map<string, CacheStatus>();

  status(raw: readonly (string | Buffer)[]): CacheStatus {
    let key = '';
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      // Date changes every second and no detector reads it.
      if (name.length === 4 && String(name).toLowerCase() === 'date') continue;
      key += `${name}\u0000${raw[i + 1]}\u0001`;
    }
    let status = this.known.get(key);
    if (status === undefined) {
      status = cacheFromRawHeaders(raw);
      if (this.known.size < CACHE_MEMO) this.known.set(key, status);
    }
    return status;
  }
}

/**
 * A response's cache status, answered without a lookup when it carries the same header names as the
 * last response, in the same order, with the same values in the headers a detector reads
 * (CACHE_HEADER_NAMES): a server sends the same set over and over, and comparing a few short strings costs
 * less than building the memo's key. Date, Content-Length and the rest are not compared: no detector reads
 * them. Anything else (a new set, Buffers) asks the memo. One serves every client of a bench: the set it
 * compares with is then the one seen a moment ago, still in the CPU's cache, not a client's from 50
 * responses back.
 */
export class LastHeaders {
  private names: readonly (string | Buffer)[] = [];
  /** Per name of the last set: its value when a detector reads it, else undefined (not compared). */
  private values: (string | Buffer | undefined)[] = [];
  private last: CacheStatus = 'unknown';
  private lastCode = CACHE_CODE.get('unknown')!;

  constructor(private readonly memo: CacheMemo) {}

  /** The status as its CACHE_STATUSES index (what results.tape and the bench's blocks hold). */
  code(raw: readonly (string | Buffer)[]): number {
    if (!this.isLast(raw)) this.learn(raw);
    return this.lastCode;
  }

  status(raw: readonly (string | Buffer)[]): CacheStatus {
    if (!this.isLast(raw)) this.learn(raw);
    return this.last;
  }

  private isLast(raw: readonly (string | Buffer)[]): boolean {
    return raw.length > 0 && raw.length === this.names.length * 2 && this.sameAsLast(raw);
  }

  /** A new set: its status from the memo, and what the next responses are compared with. */
  private learn(raw: readonly (string | Buffer)[]): void {
    const names: (string | Buffer)[] = [];
    const values: (string | Buffer | undefined)[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      names.push(name);
      values.push(CACHE_HEADER_NAMES.has(String(name).toLowerCase()) ? raw[i + 1] : undefined);
    }
    this.names = names;
    this.values = values;
    this.last = this.memo.status(raw);
    this.lastCode = CACHE_CODE.get(this.last)!;
  }

  private sameAsLast(raw: readonly (string | Buffer)[]): boolean {
    const { names, values } = this;
    for (let i = 0, j = 0; j < names.length; i += 2, j++) {
      const name = raw[i]!;
      if (typeof name !== 'string' || name !== names[j]) return false;
      const value = values[j];
      if (value !== undefined && raw[i + 1] !== value) return false;
    }
    return true;
  }
}

/**
 * The record a bench response becomes, one object rewritten for every response (its fields in
 * resultLine's order). `url` and `location` are the bench's own; `reset` fills the rest.
 */
export function benchRecord(url: string, location: string, method: string): ResultRecord {
  return {
    type: 'result',
    id: '',
    persona: 'bench',
    location,
    iteration: 0,
    step: 'request',
    method,
    url,
    status: null,
    ok: true,
    error: null,
    latencyMs: 0,
    ttfbMs: null,
    bytes: 0,
    protocol: 'http/1.1',
    cache: 'unknown',
    startedAt: 0,
  };
}

/** The bench persona's snapshot from the global scope so far (addUniform fills only the cache-status ones while it runs). */
export function uniformSnapshot(metrics: RunMetrics, persona: string, location: string): PersonaSnapshot {
  const g = metrics.uniformGlobal();
  return { persona, ...g.toStats(), locations: g.requests > 0 ? { [location]: locationSnapshotOf(g) } : {} };
}
