/**
 * "Slowest locations" of a journey run, per step: a location's login and its report are different
 * requests, and ranking a location by the p95 of both together says nothing about either. Tallied in the
 * one pass over results.ndjson with a light histogram per step × location pair; at most MAX_PAIRS pairs
 * are kept (~0.7 KiB each), so memory stays bounded for a run over 100,000 locations.
 */
import { ScopeAggregate } from '../metrics/aggregate.js';
import type { ResultLine } from '../run-dir/results.js';
import type { ResultSink } from './scan.js';

export const MAX_PAIRS = 50_000;

export interface StepLocationRow {
  step: string;
  location: string;
  requests: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  hitRate: number | null;
}

export interface StepLocationFacts {
  /** Slowest first by p95, at most `limit` of them. */
  rows: StepLocationRow[];
  /** Pairs ranked; `capped` when more pairs existed than were kept (rows then rank the first MAX_PAIRS seen). */
  pairs: number;
  capped: boolean;
}

export class StepLocationTally implements ResultSink {
  private readonly pairs = new Map<string, Map<string, ScopeAggregate>>();
  private count = 0;
  private capped = false;

  add(r: ResultLine): void {
    // As in the other tables: first attempts sent to the target only.
    if (r.harnessCache !== undefined || (r.attempt ?? 1) > 1) return;
    let locations = this.pairs.get(r.step);
    if (!locations) this.pairs.set(r.step, (locations = new Map()));
    let scope = locations.get(r.location);
    if (!scope) {
      if (this.count >= MAX_PAIRS) {
        this.capped = true;
        return;
      }
      locations.set(r.location, (scope = new ScopeAggregate('light')));
      this.count++;
    }
    scope.add({ type: 'result', ...r });
  }

  facts(limit: number): StepLocationFacts {
    const rows: StepLocationRow[] = [];
    for (const [step, locations] of this.pairs) {
      for (const [location, s] of locations) {
        const seen = s.latency.count > 0;
        rows.push({
          step,
          location,
          requests: s.requests,
          errors: s.errors,
          p50: seen ? s.latency.percentileMs(50) : null,
          p95: seen ? s.latency.percentileMs(95) : null,
          p99: seen ? s.latency.percentileMs(99) : null,
          hitRate: s.hitRate,
        });
      }
    }
    rows.sort((a, b) => (b.p95 ?? 0) - (a.p95 ?? 0) || (a.step + a.location < b.step + b.location ? -1 : 1));
    return { rows: rows.slice(0, limit), pairs: this.count, capped: this.capped };
  }
}
