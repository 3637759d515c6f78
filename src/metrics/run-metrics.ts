/**
 * All aggregates of a run: global, per persona, per location, per step, per cache status, and (for the
 * live persona snapshots) per persona×location. Fed one ResultRecord at a time, merged across shards and
 * runs, written to summary.json.
 *
 * Persona×location scopes (src/metrics/persona-locations.ts) stay out of summary.json: 100 personas ×
 * 1,000 locations made it 89 MB and a run's peak RSS 948 MB. Reports rebuild them from results.ndjson.
 * add() costs ~0.6 µs with a handful of personas and locations, ~3.5 µs when every record lands in a
 * different one of 100,000 pairs (cache misses).
 */
import { CACHE_STATUSES, type CacheStatus, type ResponseBlock, type ResultRecord, type SessionRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeStats, type ScopeSummary } from './aggregate.js';
import { JourneyMetrics, type JourneyMetricsSummary } from './journey-metrics.js';
import { PersonaLocationScopes } from './persona-locations.js';
import { SessionMetrics, type SessionMetricsSummary } from './session-metrics.js';

/** Optional parts (journey checks, retries, harness cache, warm-up) appear only when the run had them. */
export interface RunMetricsSummary extends JourneyMetricsSummary, SessionMetricsSummary {
  global: ScopeSummary;
  personas: Record<string, ScopeSummary>;
  locations: Record<string, ScopeSummary>;
  steps: Record<string, ScopeSummary>;
  cacheStatus: Partial<Record<CacheStatus, ScopeSummary>>;
  /**
   * persona → location → light scope: summaries written before 0.x carried it; new ones do not (reports
   * rebuild it from results.ndjson). Read when present.
   */
  personaLocations?: Record<string, Record<string, ScopeSummary>>;
}

/** Compact per-location numbers inside a persona snapshot. Latencies in ms. */
export interface LocationSnapshot {
  requests: number;
  ok: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  hit: number;
  miss: number;
  hitRate: number | null;
}

/** What a snapshot keeps of one location's figures (a persona × location pair, or a whole scope). */
export function locationSnapshotOf(figures: { requests: number; ok: number; errors: number; hit: number; miss: number; hitRate: number | null; latency: { count: number; percentileMs(p: number): number } }): LocationSnapshot {
  const empty = figures.latency.count === 0;
  return {
    requests: figures.requests,
    ok: figures.ok,
    errors: figures.errors,
    p50: empty ? null : figures.latency.percentileMs(50),
    p95: empty ? null : figures.latency.percentileMs(95),
    hit: figures.hit,
    miss: figures.miss,
    hitRate: figures.hitRate,
  };
}

/** Live numbers for a progress display; cheap enough to ask a few times a second per persona. */
export interface PersonaProgressStats {
  done: number;
  errors: number;
  p95Ms: number | null;
  hitRate: number | null;
}

/** What personas/<slug>.json holds while a run goes on: no encoded histograms, so it stays small. */
export interface PersonaSnapshot extends ScopeStats {
  persona: string;
  locations: Record<string, LocationSnapshot>;
}

const byKey = <K extends string, V>(entries: Iterable<[K, V]>): [K, V][] =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// Keys here are names users chose (personas, locations, steps): Object.fromEntries defines them as own
// properties, so "__proto__" or "constructor" stays a key instead of reaching the prototype.
function summaries(map: ReadonlyMap<string, ScopeAggregate>): Record<string, ScopeSummary> {
  return Object.fromEntries(byKey(map).map(([key, scope]) => [key, scope.toSummary()]));
}

function fromSummaries(into: Map<string, ScopeAggregate>, from: Record<string, ScopeSummary>): void {
  for (const [key, s] of Object.entries(from)) into.set(key, ScopeAggregate.fromSummary(s));
}

function mergeInto<K>(into: Map<K, ScopeAggregate>, from: ReadonlyMap<K, ScopeAggregate>): void {
  for (const [key, scope] of from) {
    let mine = into.get(key);
    if (mine === undefined) into.set(key, (mine = new ScopeAggregate()));
    mine.merge(scope);
  }
}

export class RunMetrics {
  readonly global = new ScopeAggregate();
  private readonly personaScopes = new Map<string, ScopeAggregate>();
  private readonly locationScopes = new Map<string, ScopeAggregate>();
  private readonly stepScopes = new Map<string, ScopeAggregate>();
  private readonly cacheScopes = new Map<CacheStatus, ScopeAggregate>();
  private readonly pairs = new PersonaLocationScopes();
  /** Checks, retries, harness-cache hits and the warm-up curve (see journey-metrics.ts). */
  private journeys = new JourneyMetrics();
  /** Setup and teardown requests: apart from every scope above (see session-metrics.ts). */
  private sessions = new SessionMetrics();

  // One-entry caches: consecutive records mostly share persona, location and step.
  private lastPersona: string | null = null;
  private lastPersonaScope: ScopeAggregate | null = null;
  private lastLocation: string | null = null;
  private lastLocationScope: ScopeAggregate | null = null;
  private lastStep: string | null = null;
  private lastStepScope: ScopeAggregate | null = null;
  /**
   * While every record so far had the same persona, location and step (a run of one persona at one
   * location, so far), those three scopes would be exact copies of the global one: they are not kept
   * on the hot path but made from it (merged histograms: exact) when the first record of another key
   * comes, or when anything reads them. undefined: no record yet; null: keys differ, every scope kept.
   */
  private sole: { persona: string; location: string; step: string } | null | undefined = undefined;
  /** True while `addUniform` records and `mirrorGlobal` has not yet made the global scope (see addUniform). */
  private uniform = false;
  /** addResponses' cache-status scopes by CACHE_STATUSES index. */
  private readonly blockScopes: (ScopeAggregate | undefined)[] = [];

  get personas(): ReadonlyMap<string, ScopeAggregate> {
    this.materialize();
    return this.personaScopes;
  }
  get locations(): ReadonlyMap<string, ScopeAggregate> {
    this.materialize();
    return this.locationScopes;
  }
  get steps(): ReadonlyMap<string, ScopeAggregate> {
    this.materialize();
    return this.stepScopes;
  }
  get cacheStatus(): ReadonlyMap<CacheStatus, ScopeAggregate> {
    return this.cacheScopes;
  }
  /** persona → location → light scope. */
  get personaLocations(): PersonaLocationScopes {
    return this.pairs;
  }

  /** Hot path: called once per request. */
  add(r: ResultRecord): void {
    // Retried attempts and harness-cache hits are reported apart, never mixed into the target's figures.
    if (!this.journeys.observe(r)) return;
    const sole = this.sole;
    if (sole !== null) {
      if (sole === undefined && this.personaScopes.size === 0 && this.locationScopes.size === 0 && this.stepScopes.size === 0) {
        this.sole = { persona: r.persona, location: r.location, step: r.step };
      } else if (sole === undefined || sole.persona !== r.persona || sole.location !== r.location || sole.step !== r.step) this.materialize();
    }
    this.global.add(r);
    if (this.sole === null) this.addKeyed(r);
    this.pairs.add(r);
    this.scope(this.cacheScopes, r.cache).add(r);
  }

  /** The persona, location and step scopes, once keys differ (see `sole`). */
  private addKeyed(r: ResultRecord): void {
    if (r.persona !== this.lastPersona) {
      this.lastPersona = r.persona;
      this.lastPersonaScope = this.scope(this.personaScopes, r.persona);
    }
    this.lastPersonaScope!.add(r);

    if (r.location !== this.lastLocation) {
      this.lastLocation = r.location;
      this.lastLocationScope = this.scope(this.locationScopes, r.location);
    }
    this.lastLocationScope!.add(r);

    if (r.step !== this.lastStep) {
      this.lastStep = r.step;
      this.lastStepScope = this.scope(this.stepScopes, r.step);
    }
    this.lastStepScope!.add(r);
  }

  /** Ends the deferral (see `sole`): the three scopes of the one key so far become copies of the global scope. */
  private materialize(): void {
    const sole = this.sole;
    this.sole = null;
    if (!sole) return;
    for (const [map, key] of [[this.personaScopes, sole.persona], [this.locationScopes, sole.location], [this.stepScopes, sole.step]] as const) {
      const copy = new ScopeAggregate();
      copy.merge(this.global);
      map.set(key, copy);
    }
    this.lastPersona = this.lastLocation = this.lastStep = null;
  }

  /**
   * Hot path of a run with one persona, one location and one step (`troupe bench`): the record goes to
   * its cache-status scope only. Every record has exactly one cache status, so the global scope is the
   * merge of those (exact: merged histograms), made when read (`uniformGlobal`) and for good by
   * `mirrorGlobal` once the run is done, which also makes the persona's, the location's and the step's
   * scopes copies of it: the same figures for a fifth of the work per response.
   */
  addUniform(r: ResultRecord): void {
    this.sole = null;
    this.uniform = true;
    if (!this.journeys.observe(r)) return;
    this.scope(this.cacheScopes, r.cache).add(r);
  }

  /**
   * addUniform of every response of a `troupe bench` block (src/bench/tape.ts), without making their
   * records: each goes to its cache-status scope (ScopeAggregate.addResponse) and, a hit or a miss, to
   * the warm-up curve, with the latency and start its record would have (blockTimes, inline: no object
   * per response).
   */
  addResponses(persona: string, block: ResponseBlock): void {
    this.sole = null;
    this.uniform = true;
    const { count, status, latencyMs, bytes, endAt, cache } = block;
    const scopes = this.blockScopes;
    const warmup = this.journeys.warmup;
    for (let i = 0; i < count; i++) {
      const code = cache[i]!;
      const name = CACHE_STATUSES[code] ?? 'unknown';
      const scope = scopes[code] ?? (scopes[code] = this.scope(this.cacheScopes, name));
      const ms = Math.round(latencyMs[i]! * 1000) / 1000;
      const startedAt = Math.round(endAt[i]! - ms);
      scope.addResponse(status[i]!, ms, bytes[i]!, startedAt, name);
      if (name === 'hit') warmup.add(persona, startedAt, 1);
      else if (name === 'miss') warmup.add(persona, startedAt, 0);
    }
  }

  /**
   * While `addUniform` records: the global scope so far, made from the cache-status scopes, to read only.
   * One cache status so far (a bench whose responses are all hits): that scope itself, not a copy.
   */
  uniformGlobal(): ScopeAggregate {
    if (!this.uniform) return this.global;
    if (this.cacheScopes.size === 1) return this.cacheScopes.values().next().value!;
    const global = new ScopeAggregate();
    for (const scope of this.cacheScopes.values()) global.merge(scope);
    return global;
  }

  /** After `addUniform`: the global scope made from the cache-status ones; the persona's, the location's and the step's are copies of it. */
  mirrorGlobal(persona: string, location: string, step: string): void {
    // `add` fills the global scope as well as the cache-status ones: merging would count its records twice.
    if (this.uniform && this.global.requests > 0) throw new Error('RunMetrics: add and addUniform were mixed in one run; its global scope would count records twice');
    if (this.uniform) for (const scope of this.cacheScopes.values()) this.global.merge(scope);
    this.uniform = false;
    this.materialize();
    for (const [map, key] of [[this.personaScopes, persona], [this.locationScopes, location], [this.stepScopes, step]] as const) {
      const copy = new ScopeAggregate();
      copy.merge(this.global);
      map.set(key, copy);
    }
    this.lastPersona = this.lastLocation = this.lastStep = null;
  }

  /** A setup or teardown attempt: counted apart, never in the load's scopes. */
  addSession(r: SessionRecord): void {
    this.sessions.add(r);
  }

  private scope<K>(map: Map<K, ScopeAggregate>, key: K): ScopeAggregate {
    let scope = map.get(key);
    if (scope === undefined) map.set(key, (scope = new ScopeAggregate()));
    return scope;
  }

  /** Adds another run's (or shard's) aggregates. Exact: percentiles come out as if one run had seen every request. */
  merge(other: RunMetrics): void {
    // Before the global scope takes the other's records: the sole key's scopes are copies of this run's alone.
    this.materialize();
    other.materialize();
    this.global.merge(other.global);
    this.journeys.merge(other.journeys);
    this.sessions.merge(other.sessions);
    mergeInto(this.personaScopes, other.personaScopes);
    mergeInto(this.locationScopes, other.locationScopes);
    mergeInto(this.stepScopes, other.stepScopes);
    mergeInto(this.cacheScopes, other.cacheScopes);
    this.pairs.merge(other.pairs);
    // Scopes may have been created: drop the hot-path caches rather than reason about them.
    this.lastPersona = this.lastLocation = this.lastStep = null;
  }

  toSummary(): RunMetricsSummary {
    const cacheStatus: RunMetricsSummary['cacheStatus'] = {};
    for (const [status, scope] of byKey(this.cacheScopes)) cacheStatus[status] = scope.toSummary();
    return {
      global: this.global.toSummary(),
      personas: summaries(this.personas),
      locations: summaries(this.locations),
      steps: summaries(this.steps),
      cacheStatus,
      ...this.journeys.toSummary(),
      ...this.sessions.toSummary(),
    };
  }

  /**
   * Everything add() counted, persona × location pairs included, as plain data another thread can
   * take (`--workers N`: each worker records its own results and sends what it added since its last
   * delta). `RunMetrics.fromSummary(delta)` merged into the main thread's metrics is exact.
   */
  toDelta(): RunMetricsSummary {
    const byPersona = new Map<string, Array<[string, ScopeSummary]>>();
    for (const [persona, location, summary] of this.pairs.summaries()) {
      let locations = byPersona.get(persona);
      if (locations === undefined) byPersona.set(persona, (locations = []));
      locations.push([location, summary]);
    }
    const personaLocations = Object.fromEntries([...byPersona].map(([persona, locations]) => [persona, Object.fromEntries(locations)]));
    return { ...this.toSummary(), personaLocations };
  }

  static fromSummary(s: RunMetricsSummary): RunMetrics {
    const metrics = new RunMetrics();
    metrics.global.merge(ScopeAggregate.fromSummary(s.global));
    metrics.journeys = JourneyMetrics.fromSummary(s);
    metrics.sessions = SessionMetrics.fromSummary(s);
    fromSummaries(metrics.personaScopes, s.personas);
    fromSummaries(metrics.locationScopes, s.locations);
    fromSummaries(metrics.stepScopes, s.steps);
    for (const [status, summary] of Object.entries(s.cacheStatus)) {
      if (summary !== undefined) metrics.cacheScopes.set(status as CacheStatus, ScopeAggregate.fromSummary(summary));
    }
    for (const [persona, locations] of Object.entries(s.personaLocations ?? {})) metrics.pairs.addSummaries(persona, locations);
    return metrics;
  }

  /**
   * The instant (epoch ms) the run started its schedule: the warm-up curve's windows count from here, so
   * shards and resumed runs share one time axis. Kept once set (a resumed run keeps its first start).
   */
  startAt(epochMs: number): void {
    this.journeys.warmup.startAt(epochMs);
  }

  /** Hits and misses of every response the target itself sent, retried attempts included (to set beside its own counters). */
  targetCacheCounts(): { hits: number; misses: number } {
    const retried = this.journeys.retriedCache();
    return { hits: this.global.hit + retried.hit, misses: this.global.miss + retried.miss };
  }

  personaProgress(persona: string): PersonaProgressStats {
    const scope = this.personaScope(persona);
    if (scope === undefined) return { done: 0, errors: 0, p95Ms: null, hitRate: null };
    return { done: scope.requests, errors: scope.errors, p95Ms: scope.latency.percentileMs(95), hitRate: scope.hitRate };
  }

  /** The persona's numbers and compact per-location numbers; a persona with no results yet gets zeros. */
  personaSnapshot(persona: string): PersonaSnapshot {
    const scope = this.personaScope(persona) ?? new ScopeAggregate();
    const entries: Array<[string, LocationSnapshot]> = [];
    for (const [id, pair] of byKey(this.pairs.of(persona))) entries.push([id, locationSnapshotOf(pair)]);
    return { persona, ...scope.toStats(), locations: Object.fromEntries(entries) };
  }

  /** A persona's scope to read (the global one while it is the sole persona: see `sole`). */
  private personaScope(persona: string): ScopeAggregate | undefined {
    if (this.sole) return persona === this.sole.persona ? this.global : undefined;
    return this.personaScopes.get(persona);
  }
}
