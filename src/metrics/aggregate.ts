/** Aggregates of the results of one scope (the run, a persona, a location, a step, ...). Mergeable and exact. */
import { errorForStatus } from '../engine/classify-error.js';
import type { CacheStatus, RequestErrorCode, ResultRecord } from '../engine/records.js';
import { LatencyHistogram, type LatencyStats } from './histogram.js';

export interface CacheCounts {
  hit: number;
  miss: number;
  stale: number;
  bypass: number;
  unknown: number;
}

/** A scope's numbers without the encoded histograms: what snapshots carry. */
export interface ScopeStats {
  requests: number;
  ok: number;
  errors: number;
  /** ok / requests; null when there were no requests. */
  successRate: number | null;
  /** Response body bytes as the wire carried them (compressed when responses were); headers not counted. */
  bytes: number;
  /** Response body bytes after decoding; present only when some body was decoded (else equal to `bytes`). */
  decodedBytes?: number;
  /** requests / (endedAt - startedAt) in seconds; null when that span is 0. */
  rps: number | null;
  /** endedAt - startedAt; null when there were no requests. */
  durationMs: number | null;
  /** Epoch ms: earliest send. Kept so that merged scopes get the right span. */
  startedAt: number | null;
  /** Epoch ms: latest completion (startedAt + latencyMs). */
  endedAt: number | null;
  /** Responses by HTTP status; requests without a response are not here. */
  statusCodes: Record<string, number>;
  /** Failed requests by error code. */
  errorCodes: Record<string, number>;
  /** hitRate = hit / (hit + miss); stale, bypass and unknown are counted and shown, never folded in. */
  cache: CacheCounts & { hitRate: number | null };
  /** Every request's latency, failed ones included. */
  latency: LatencyStats;
  /** Absent in light (persona×location) scopes. */
  ttfb?: LatencyStats;
  /** Latency of cache hits / misses; present once the scope saw one (never in light scopes). */
  hitLatency?: LatencyStats;
  missLatency?: LatencyStats;
  /**
   * Open model: due → done (service time plus queueing: coordinated omission corrected), next to
   * `latency` (sent → done). Present once the scope saw an open-model record (never in light scopes).
   */
  responseTime?: LatencyStats;
}

/** What summary.json holds per scope: the numbers plus encoded HdrHistograms, so that runs and shards merge exactly. */
export interface ScopeSummary extends ScopeStats {
  histograms: { latency: string; ttfb?: string; hit?: string; miss?: string; responseTime?: string };
}

/**
 * `full`: latency and TTFB with 3 significant digits, hit and miss latency created on first use.
 * `light`: latency only, with 2 significant digits — for persona×location scopes, of which there can be
 * 100,000; see run-metrics.ts.
 */
export type ScopeProfile = 'full' | 'light';

/** What ScopeAggregate.lightFrom takes: a light scope's counters, status and error counts, and latency. */
export interface LightParts {
  requests: number;
  ok: number;
  bytes: number;
  decodedBytes: number;
  hit: number;
  miss: number;
  stale: number;
  bypass: number;
  unknown: number;
  firstStart: number;
  lastEnd: number;
  statusCodes: ReadonlyMap<number, number>;
  errorCodes: ReadonlyMap<string, number>;
  latency: LatencyHistogram;
}

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole, 6);
}

function mapToRecord<K extends string | number>(map: Map<K, number> | null): Record<string, number> {
  if (map === null) return {};
  const keys = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [String(key), map.get(key)!]));
}

function addAll<K>(into: Map<K, number>, from: Map<K, number>): void {
  for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n);
}

export class ScopeAggregate {
  readonly profile: ScopeProfile;
  requests = 0;
  ok = 0;
  errors = 0;
  bytes = 0;
  /** Body bytes after decoding (a record without `decodedBytes` adds its `bytes`). */
  decodedBytes = 0;
  hit = 0;
  miss = 0;
  stale = 0;
  bypass = 0;
  unknown = 0;
  /** Epoch ms of the earliest send; Infinity until the first record. */
  firstStart = Infinity;
  /** Epoch ms of the latest completion; -Infinity until the first record. */
  lastEnd = -Infinity;
  // The first status code seen is counted inline (most scopes only ever see one); others go to the map.
  private firstStatus = 0;
  private firstStatusCount = 0;
  private statusCodes: Map<number, number> | null = null;
  private errorCodes: Map<string, number> | null = null;
  readonly latency: LatencyHistogram;
  ttfb: LatencyHistogram | null;
  hitLatency: LatencyHistogram | null = null;
  missLatency: LatencyHistogram | null = null;
  responseTime: LatencyHistogram | null = null;

  constructor(profile: ScopeProfile = 'full') {
    this.profile = profile;
    this.latency = new LatencyHistogram(profile === 'full' ? 3 : 2);
    this.ttfb = profile === 'full' ? new LatencyHistogram(3) : null;
  }

  /**
   * A light scope from counts gathered elsewhere (the reports' compact persona × location table,
   * src/metrics/pair-table.ts): the same fields add() would have reached, so toStats() is the same.
   */
  static lightFrom(p: LightParts): ScopeAggregate {
    const scope = new ScopeAggregate('light');
    scope.requests = p.requests;
    scope.ok = p.ok;
    scope.errors = p.requests - p.ok;
    scope.bytes = p.bytes;
    scope.decodedBytes = p.decodedBytes;
    scope.hit = p.hit;
    scope.miss = p.miss;
    scope.stale = p.stale;
    scope.bypass = p.bypass;
    scope.unknown = p.unknown;
    scope.firstStart = p.firstStart;
    scope.lastEnd = p.lastEnd;
    for (const [status, n] of p.statusCodes) scope.countStatus(status, n);
    if (p.errorCodes.size > 0) scope.errorCodes = new Map(p.errorCodes);
    scope.latency.merge(p.latency);
    return scope;
  }

  /** Runs once per scope per request: no allocation after a scope's first few records. */
  add(r: ResultRecord): void {
    this.count(r.status, r.ok, r.error, r.bytes, r.decodedBytes ?? r.bytes, r.startedAt, r.latencyMs, r.cache);
    if (this.ttfb !== null && r.ttfbMs !== null) this.ttfb.record(r.ttfbMs);
    if (r.responseTimeMs !== undefined && this.profile === 'full') (this.responseTime ??= new LatencyHistogram(3)).record(r.responseTimeMs);
  }

  /**
   * add() of a `troupe bench` response's record, without the record (RunMetrics.addResponses): its error
   * is the one its status gives, and it has no TTFB and no decoded size.
   */
  addResponse(status: number, latencyMs: number, bytes: number, startedAt: number, cache: CacheStatus): void {
    const error = errorForStatus(status);
    this.count(status, error === null, error, bytes, bytes, startedAt, latencyMs, cache);
  }

  private count(status: number | null, ok: boolean, error: RequestErrorCode | null, bytes: number, decodedBytes: number, startedAt: number, latency: number, cache: CacheStatus): void {
    this.requests++;
    if (ok) this.ok++;
    else this.errors++;
    if (error !== null) {
      const codes = (this.errorCodes ??= new Map());
      codes.set(error, (codes.get(error) ?? 0) + 1);
    }
    this.bytes += bytes;
    this.decodedBytes += decodedBytes;
    if (status !== null) {
      if (status === this.firstStatus) this.firstStatusCount++;
      else this.countStatus(status, 1);
    }
    if (startedAt < this.firstStart) this.firstStart = startedAt;
    const end = startedAt + latency;
    if (end > this.lastEnd) this.lastEnd = end;
    this.latency.record(latency);
    switch (cache) {
      case 'hit':
        this.hit++;
        if (this.profile === 'full') (this.hitLatency ??= new LatencyHistogram(3)).record(latency);
        break;
      case 'miss':
        this.miss++;
        if (this.profile === 'full') (this.missLatency ??= new LatencyHistogram(3)).record(latency);
        break;
      case 'stale':
        this.stale++;
        break;
      case 'bypass':
        this.bypass++;
        break;
      default:
        this.unknown++;
    }
  }

  private countStatus(status: number, n: number): void {
    if (this.firstStatusCount === 0) {
      this.firstStatus = status;
      this.firstStatusCount = n;
    } else if (status === this.firstStatus) {
      this.firstStatusCount += n;
    } else {
      const codes = (this.statusCodes ??= new Map());
      codes.set(status, (codes.get(status) ?? 0) + n);
    }
  }

  /** Responses by HTTP status code. */
  statusCounts(): Map<number, number> {
    const counts = new Map(this.statusCodes ?? []);
    if (this.firstStatusCount > 0) counts.set(this.firstStatus, this.firstStatusCount);
    return counts;
  }

  /** Failed requests by error code. */
  errorCounts(): Map<string, number> {
    return new Map(this.errorCodes ?? []);
  }

  /** hit / (hit + miss); null when there was neither. */
  get hitRate(): number | null {
    return ratio(this.hit, this.hit + this.miss);
  }

  merge(other: ScopeAggregate): void {
    this.requests += other.requests;
    this.ok += other.ok;
    this.errors += other.errors;
    this.bytes += other.bytes;
    this.decodedBytes += other.decodedBytes;
    this.hit += other.hit;
    this.miss += other.miss;
    this.stale += other.stale;
    this.bypass += other.bypass;
    this.unknown += other.unknown;
    if (other.firstStart < this.firstStart) this.firstStart = other.firstStart;
    if (other.lastEnd > this.lastEnd) this.lastEnd = other.lastEnd;
    for (const [status, n] of other.statusCounts()) this.countStatus(status, n);
    if (other.errorCodes !== null) addAll((this.errorCodes ??= new Map()), other.errorCodes);
    this.latency.merge(other.latency);
    if (other.ttfb !== null) (this.ttfb ??= new LatencyHistogram(other.ttfb.significantDigits)).merge(other.ttfb);
    if (other.hitLatency !== null) (this.hitLatency ??= new LatencyHistogram(3)).merge(other.hitLatency);
    if (other.missLatency !== null) (this.missLatency ??= new LatencyHistogram(3)).merge(other.missLatency);
    if (other.responseTime !== null && this.profile === 'full') (this.responseTime ??= new LatencyHistogram(3)).merge(other.responseTime);
  }

  toStats(): ScopeStats {
    const any = this.requests > 0;
    const span = any ? this.lastEnd - this.firstStart : null;
    const stats: ScopeStats = {
      requests: this.requests,
      ok: this.ok,
      errors: this.errors,
      successRate: ratio(this.ok, this.requests),
      bytes: this.bytes,
      rps: span !== null && span > 0 ? round(this.requests / (span / 1000), 3) : null,
      durationMs: span === null ? null : round(span, 3),
      startedAt: any ? this.firstStart : null,
      endedAt: any ? this.lastEnd : null,
      statusCodes: mapToRecord(this.statusCounts()),
      errorCodes: mapToRecord(this.errorCodes),
      cache: {
        hit: this.hit,
        miss: this.miss,
        stale: this.stale,
        bypass: this.bypass,
        unknown: this.unknown,
        hitRate: this.hitRate,
      },
      latency: this.latency.stats(),
    };
    if (this.decodedBytes !== this.bytes) stats.decodedBytes = this.decodedBytes;
    if (this.ttfb !== null) stats.ttfb = this.ttfb.stats();
    if (this.hitLatency !== null) stats.hitLatency = this.hitLatency.stats();
    if (this.missLatency !== null) stats.missLatency = this.missLatency.stats();
    if (this.responseTime !== null) stats.responseTime = this.responseTime.stats();
    return stats;
  }

  toSummary(): ScopeSummary {
    const histograms: ScopeSummary['histograms'] = { latency: this.latency.encode() };
    if (this.ttfb !== null) histograms.ttfb = this.ttfb.encode();
    if (this.hitLatency !== null) histograms.hit = this.hitLatency.encode();
    if (this.missLatency !== null) histograms.miss = this.missLatency.encode();
    if (this.responseTime !== null) histograms.responseTime = this.responseTime.encode();
    return { ...this.toStats(), histograms };
  }

  /** Exact inverse of toSummary(); the profile follows from the histograms present (light scopes have no TTFB). */
  static fromSummary(s: ScopeSummary): ScopeAggregate {
    const latency = LatencyHistogram.decode(s.histograms.latency, s.latency);
    const scope = new ScopeAggregate(s.histograms.ttfb === undefined ? 'light' : 'full');
    scope.requests = s.requests;
    scope.ok = s.ok;
    scope.errors = s.errors;
    scope.bytes = s.bytes;
    scope.decodedBytes = s.decodedBytes ?? s.bytes;
    scope.hit = s.cache.hit;
    scope.miss = s.cache.miss;
    scope.stale = s.cache.stale;
    scope.bypass = s.cache.bypass;
    scope.unknown = s.cache.unknown;
    if (s.startedAt !== null) scope.firstStart = s.startedAt;
    if (s.endedAt !== null) scope.lastEnd = s.endedAt;
    for (const [code, n] of Object.entries(s.statusCodes)) scope.countStatus(Number(code), n);
    const errorCodes = Object.entries(s.errorCodes);
    if (errorCodes.length > 0) scope.errorCodes = new Map(errorCodes);
    scope.latency.merge(latency);
    if (s.histograms.ttfb !== undefined) scope.ttfb = LatencyHistogram.decode(s.histograms.ttfb, s.ttfb);
    if (s.histograms.hit !== undefined) scope.hitLatency = LatencyHistogram.decode(s.histograms.hit, s.hitLatency);
    if (s.histograms.miss !== undefined) scope.missLatency = LatencyHistogram.decode(s.histograms.miss, s.missLatency);
    if (s.histograms.responseTime !== undefined) scope.responseTime = LatencyHistogram.decode(s.histograms.responseTime, s.responseTime);
    return scope;
  }
}
