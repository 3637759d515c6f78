/**
 * Per persona × location aggregates: `light` scopes (counts + a 2-significant-digit latency histogram).
 * There can be 100 personas × 1,000 locations = 100,000 of them, so they are not part of summary.json:
 * the live persona snapshots read them from the run's own instance, and reports (csv/locations.csv) and
 * merge rebuild them from results.ndjson, where every request already is (src/run-dir/persona-locations.ts).
 *
 * Held in a compact table (src/metrics/pair-table.ts, ~0.2 KiB a pair with a few requests; a pair with
 * more than 4 requests adds its histogram: ~1 KiB with 100, ~7 KiB with 1,000); a pair's ScopeAggregate
 * is built when it is asked for.
 */
import type { ResultRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeStats, type ScopeSummary } from './aggregate.js';
import { PairTable } from './pair-table.js';

export class PersonaLocationScopes {
  private readonly table = new PairTable();

  /** A record the run's figures count (RunMetrics decides: retried attempts and harness-cache hits are not). */
  add(r: ResultRecord): void {
    this.table.add(r);
  }

  /** Scopes from an older summary.json, which still carried them. */
  addSummaries(persona: string, locations: Record<string, ScopeSummary>): void {
    for (const [id, s] of Object.entries(locations)) this.table.absorb(persona, id, ScopeAggregate.fromSummary(s));
  }

  merge(other: PersonaLocationScopes): void {
    this.table.merge(other.table);
  }

  get size(): number {
    return this.table.size;
  }

  /** A persona's pairs, built now. */
  of(persona: string): ReadonlyMap<string, ScopeAggregate> {
    return this.table.of(persona);
  }

  /** (persona, location, summary with its encoded histogram), sorted by persona then location: what addSummaries reads back. */
  *summaries(): Generator<[string, string, ScopeSummary]> {
    for (const [persona, id, scope] of this.table.scopes()) yield [persona, id, scope.toSummary()];
  }

  /** (persona, location, numbers), sorted by persona then location, one row at a time: each row's objects die young. */
  *rows(): Generator<[string, string, ScopeStats]> {
    for (const [persona, id, scope] of this.table.scopes()) yield [persona, id, scope.toStats()];
  }
}
