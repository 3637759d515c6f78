/**
 * What `troupe bench` does per response, kept to a few hundred nanoseconds: autocannon's own loop is
 * the thing measured, so every microsecond spent here is throughput lost (issue 12: `troupe bench`
 * ≥ 0.97× bare autocannon; the former path, a fresh record object, JSON.stringify, six scopes and a
 * header object per response, cost ~18 % of the CPU and 0.46–0.65× the requests).
 *
 * - One reused record (nothing allocated per response but the line): consumers copy what they keep.
 * - The line is built from the record's parts, not serialised (`benchResultLine`, equal to resultLine).
 * - The cache status is remembered per distinct set of response headers (without Date).
 * - Metrics go to the global and cache-status scopes only (RunMetrics.addUniform): one persona, one
 *   location, one step are copies of the global one.
 */
import { cacheStatusFromHeaders, type ResponseHeaders } from '../engine/cache-status.js';
import type { CacheStatus, ResultRecord } from '../engine/records.js';
import { locationSnapshotOf, type PersonaSnapshot, type RunMetrics } from '../metrics/run-metrics.js';
import { resultLine } from '../run-dir/results-writer.js';

/**
 * results.ndjson batches of `troupe bench`: every 10 ms (or 256 KiB), however many lines. A bench
 * cannot be resumed, so the line count of RESULTS_FLUSH (the loss window of a killed `run`) does not
 * apply, and at 40,000 responses a second it would be 2,500 writes a second.
 */
export const BENCH_FLUSH = { lines: Number.POSITIVE_INFINITY, ms: 10 } as const;

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
 * A client's cache status, answered without a lookup when its response carries the same headers as its
 * last one (Date aside): a server sends the same set over and over, and comparing a few short strings
 * costs less than building the memo's key. Anything else (a new set, Buffers) asks the memo.
 */
export class LastHeaders {
  private raw: readonly (string | Buffer)[] = [];
  private last: CacheStatus = 'unknown';

  constructor(private readonly memo: CacheMemo) {}

  status(raw: readonly (string | Buffer)[]): CacheStatus {
    const prev = this.raw;
    this.raw = raw;
    if (raw.length === prev.length && raw.length > 0 && sameButDate(raw, prev)) return this.last;
    return (this.last = this.memo.status(raw));
  }
}

/** `Date` in any case, without lower-casing the common spellings (a new string per response). */
const isDate = (name: string): boolean => name === 'Date' || name === 'date' || (name.length === 4 && name.toLowerCase() === 'date');

function sameButDate(raw: readonly (string | Buffer)[], prev: readonly (string | Buffer)[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (typeof name !== 'string' || name !== prev[i]) return false;
    if (raw[i + 1] !== prev[i + 1] && !isDate(name)) return false;
  }
  return true;
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

/** The constant parts of the last line's shape (a bench's records share persona, location, step, method and url). */
let shape: { persona: string; location: string; step: string; method: string; url: string; head: string; middle: string } | null = null;

/**
 * resultLine(record) for the records `troupe bench` makes, concatenated instead of serialised; any other
 * shape (an error with its message, fields bench never sets) goes to resultLine.
 */
export function benchResultLine(r: ResultRecord): string {
  if (
    r.message !== undefined || r.protocol !== 'http/1.1' || r.ttfbMs !== null || r.decodedBytes !== undefined || r.redirects !== undefined ||
    r.scheduledAt !== undefined || r.responseTimeMs !== undefined || r.attempt !== undefined || r.checks !== undefined || r.harnessCache !== undefined
  ) return resultLine(r);
  if (shape === null || shape.persona !== r.persona || shape.location !== r.location || shape.step !== r.step || shape.method !== r.method || shape.url !== r.url) {
    shape = {
      persona: r.persona,
      location: r.location,
      step: r.step,
      method: r.method,
      url: r.url,
      head: `,"persona":${JSON.stringify(r.persona)},"location":${JSON.stringify(r.location)},"iteration":`,
      middle: `,"step":${JSON.stringify(r.step)},"method":${JSON.stringify(r.method)},"url":${JSON.stringify(r.url)},"status":`,
    };
  }
  return `{"id":${JSON.stringify(r.id)}${shape.head}${r.iteration}${shape.middle}${r.status},"ok":${r.ok},"error":${r.error === null ? 'null' : JSON.stringify(r.error)},"latencyMs":${num(r.latencyMs)},"ttfbMs":null,"bytes":${num(r.bytes)},"protocol":"http/1.1","cache":${JSON.stringify(r.cache)},"startedAt":${num(r.startedAt)}}\n`;
}

/** A number as JSON writes it (non-finite as null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** The bench persona's snapshot from the global scope (addUniform fills no other while it runs). */
export function uniformSnapshot(metrics: RunMetrics, persona: string, location: string): PersonaSnapshot {
  const g = metrics.global;
  return { persona, ...g.toStats(), locations: g.requests > 0 ? { [location]: locationSnapshotOf(g) } : {} };
}
