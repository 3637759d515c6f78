/**
 * Per persona × location aggregates: `light` scopes (counts + a 2-significant-digit latency histogram).
 * There can be 100 personas × 1,000 locations = 100,000 of them, so they are not part of summary.json:
 * the live persona snapshots read them from the run's own instance, and reports (csv/locations.csv) and
 * merge rebuild them from results.ndjson, where every request already is (src/run-dir/persona-locations.ts).
 *
 * Measured (Node 20): a light scope takes ~0.7 KiB with 1–10 requests (100,000 of them: ~75 MB), ~1.8 KiB
 * with 100, ~7.6 KiB with 1,000.
 */
import type { ResultRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeStats, type ScopeSummary } from './aggregate.js';

export class PersonaLocationScopes {
  private readonly byPersona = new Map<string, Map<string, ScopeAggregate>>();
  // One-entry caches: consecutive records mostly share persona and location.
  private lastPersona: string | null = null;
  private lastLocations: Map<string, ScopeAggregate> | null = null;
  private lastLocation: string | null = null;
  private lastScope: ScopeAggregate | null = null;

  /** A record the run's figures count (RunMetrics decides: retried attempts and harness-cache hits are not). */
  add(r: ResultRecord): void {
    if (r.persona !== this.lastPersona) {
      this.lastPersona = r.persona;
      let locations = this.byPersona.get(r.persona);
      if (locations === undefined) this.byPersona.set(r.persona, (locations = new Map()));
      this.lastLocations = locations;
      this.lastScope = null;
    }
    if (r.location !== this.lastLocation || this.lastScope === null) {
      this.lastLocation = r.location;
      let scope = this.lastLocations!.get(r.location);
      if (scope === undefined) this.lastLocations!.set(r.location, (scope = new ScopeAggregate('light')));
      this.lastScope = scope;
    }
    this.lastScope.add(r);
  }

  /** Scopes from an older summary.json, which still carried them. */
  addSummaries(persona: string, locations: Record<string, ScopeSummary>): void {
    let mine = this.byPersona.get(persona);
    if (mine === undefined) this.byPersona.set(persona, (mine = new Map()));
    for (const [id, s] of Object.entries(locations)) mine.set(id, ScopeAggregate.fromSummary(s));
    this.lastPersona = null;
  }

  merge(other: PersonaLocationScopes): void {
    for (const [persona, locations] of other.byPersona) {
      let mine = this.byPersona.get(persona);
      if (mine === undefined) this.byPersona.set(persona, (mine = new Map()));
      for (const [id, scope] of locations) {
        let into = mine.get(id);
        if (into === undefined) mine.set(id, (into = new ScopeAggregate('light')));
        into.merge(scope);
      }
    }
    this.lastPersona = null;
  }

  get size(): number {
    let n = 0;
    for (const locations of this.byPersona.values()) n += locations.size;
    return n;
  }

  of(persona: string): ReadonlyMap<string, ScopeAggregate> {
    return this.byPersona.get(persona) ?? new Map();
  }

  get personas(): ReadonlyMap<string, ReadonlyMap<string, ScopeAggregate>> {
    return this.byPersona;
  }

  /**
   * (persona, location, numbers), sorted by persona then location, one row at a time: each row's
   * objects die young, where a persona's 1,000 at once were promoted and grew the heap by ~200 MB.
   */
  *rows(): Generator<[string, string, ScopeStats]> {
    for (const [persona, locations] of sorted(this.byPersona)) {
      for (const [id, scope] of sorted(locations)) yield [persona, id, scope.toStats()];
    }
  }
}

// Keys are names users chose: Object.fromEntries keeps "__proto__" a key.
function sorted<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
