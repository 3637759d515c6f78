/**
 * The parts of a run's metrics that sit beside the scopes: journey checks (per step and per persona),
 * retried attempts and harness-cache hits (both reported apart from the target's first answers, never
 * mixed into its latency or hit rate), and the target cache's warm-up curve. All serialize into
 * summary.json and read back (resume), and merge.
 */
import type { ResultRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeSummary } from './aggregate.js';
import { WarmupCurve, type WarmupSummary } from './warmup.js';

export interface CheckCounts {
  passed: number;
  failed: number;
  /** Per step and check only: the message of the first failure seen (secrets redacted), e.g. `got "MISS"`. */
  firstFailure?: string;
}

/** A first-failure message is kept short: it is a hint for the table, results.ndjson has them all. */
const MAX_FAILURE_MESSAGE = 200;

export interface ChecksSummary {
  /** step → check label → counts. */
  steps: Record<string, Record<string, CheckCounts>>;
  /** persona → counts over all its checks. */
  personas: Record<string, CheckCounts>;
  /** persona → step → counts. */
  personaSteps: Record<string, Record<string, CheckCounts>>;
}

/** Attempts 2, 3, … of retried requests: a scope of their own, plus a count per persona. */
export interface RetriesSummary extends ScopeSummary {
  byPersona: Record<string, number>;
}

export interface HarnessCacheSummary {
  /** Requests served by troupe's own cache instead of the target (reused + coalesced). */
  hits: number;
  reused: number;
  coalesced: number;
  byPersona: Record<string, number>;
}

export type { WarmupPoint, WarmupSummary } from './warmup.js';

export interface JourneyMetricsSummary {
  checks?: ChecksSummary;
  retries?: RetriesSummary;
  harnessCache?: HarnessCacheSummary;
  warmup?: WarmupSummary;
}

const count = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
const sorted = <V>(map: Map<string, V>): Record<string, V> => Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function addCounts(into: Map<string, CheckCounts>, key: string, passed: number, failed: number, firstFailure?: string): void {
  let c = into.get(key);
  if (c) {
    c.passed += passed;
    c.failed += failed;
  } else into.set(key, (c = { passed, failed }));
  if (firstFailure !== undefined && c.firstFailure === undefined) {
    c.firstFailure = firstFailure.length > MAX_FAILURE_MESSAGE ? `${firstFailure.slice(0, MAX_FAILURE_MESSAGE - 3)}...` : firstFailure;
  }
}

export class JourneyMetrics {
  private readonly stepChecks = new Map<string, Map<string, CheckCounts>>();
  private readonly personaChecks = new Map<string, CheckCounts>();
  private readonly personaStepChecks = new Map<string, Map<string, CheckCounts>>();
  private retries: ScopeAggregate | null = null;
  private readonly retriesByPersona = new Map<string, number>();
  private reused = 0;
  private coalesced = 0;
  private readonly harnessByPersona = new Map<string, number>();
  /** The warm-up curve; its time axis starts where the run says (startAt), else at the first response seen. */
  warmup = new WarmupCurve();

  /**
   * Counts what belongs here; returns false when the record is reported apart (a retry or a harness-cache
   * hit) and must stay out of the regular scopes.
   */
  observe(r: ResultRecord): boolean {
    if (r.checks) {
      let passed = 0;
      for (const c of r.checks) {
        if (c.ok) passed++;
        this.countStepCheck(r.step, c.name, c.ok ? 1 : 0, c.ok ? 0 : 1, c.ok ? undefined : (c.message ?? 'failed'));
      }
      this.countChecks(r.persona, r.step, passed, r.checks.length - passed);
    }
    if (r.harnessCache) {
      if (r.harnessCache === 'reused') this.reused++;
      else this.coalesced++;
      count(this.harnessByPersona, r.persona);
      return false;
    }
    if (r.attempt !== undefined && r.attempt > 1) {
      (this.retries ??= new ScopeAggregate()).add(r);
      count(this.retriesByPersona, r.persona);
      return false;
    }
    if (r.cache === 'hit' || r.cache === 'miss') this.warmup.add(r.persona, r.startedAt, r.cache === 'hit' ? 1 : 0);
    return true;
  }

  private countChecks(persona: string, step: string, passed: number, failed: number): void {
    addCounts(this.personaChecks, persona, passed, failed);
    let ps = this.personaStepChecks.get(persona);
    if (!ps) this.personaStepChecks.set(persona, (ps = new Map()));
    addCounts(ps, step, passed, failed);
  }

  private countStepCheck(step: string, label: string, passed: number, failed: number, firstFailure?: string): void {
    let labels = this.stepChecks.get(step);
    if (!labels) this.stepChecks.set(step, (labels = new Map()));
    addCounts(labels, label, passed, failed, firstFailure);
  }

  /** Target cache hits and misses seen on retried attempts (they reached the target too). */
  retriedCache(): { hit: number; miss: number } {
    return { hit: this.retries?.hit ?? 0, miss: this.retries?.miss ?? 0 };
  }

  merge(other: JourneyMetrics): void {
    for (const [step, labels] of other.stepChecks) for (const [label, c] of labels) this.countStepCheck(step, label, c.passed, c.failed, c.firstFailure);
    for (const [persona, steps] of other.personaStepChecks) for (const [step, c] of steps) this.countChecks(persona, step, c.passed, c.failed);
    if (other.retries) (this.retries ??= new ScopeAggregate()).merge(other.retries);
    for (const [p, n] of other.retriesByPersona) count(this.retriesByPersona, p, n);
    this.reused += other.reused;
    this.coalesced += other.coalesced;
    for (const [p, n] of other.harnessByPersona) count(this.harnessByPersona, p, n);
    this.warmup.merge(other.warmup);
  }

  toSummary(): JourneyMetricsSummary {
    const out: JourneyMetricsSummary = {};
    if (this.personaChecks.size > 0) {
      out.checks = {
        steps: sorted(new Map([...this.stepChecks].map(([k, v]) => [k, sorted(v)]))),
        personas: sorted(this.personaChecks),
        personaSteps: sorted(new Map([...this.personaStepChecks].map(([k, v]) => [k, sorted(v)]))),
      };
    }
    if (this.retries) out.retries = { ...this.retries.toSummary(), byPersona: sorted(this.retriesByPersona) };
    if (this.reused + this.coalesced > 0) {
      out.harnessCache = { hits: this.reused + this.coalesced, reused: this.reused, coalesced: this.coalesced, byPersona: sorted(this.harnessByPersona) };
    }
    const warmup = this.warmup.toSummary();
    if (warmup) out.warmup = warmup;
    return out;
  }

  static fromSummary(s: JourneyMetricsSummary): JourneyMetrics {
    const m = new JourneyMetrics();
    for (const [step, labels] of Object.entries(s.checks?.steps ?? {})) for (const [label, c] of Object.entries(labels)) m.countStepCheck(step, label, c.passed, c.failed, c.firstFailure);
    for (const [persona, steps] of Object.entries(s.checks?.personaSteps ?? {})) for (const [step, c] of Object.entries(steps)) m.countChecks(persona, step, c.passed, c.failed);
    if (s.retries) {
      const { byPersona, ...scope } = s.retries;
      m.retries = ScopeAggregate.fromSummary(scope);
      for (const [p, n] of Object.entries(byPersona)) count(m.retriesByPersona, p, n);
    }
    if (s.harnessCache) {
      m.reused = s.harnessCache.reused;
      m.coalesced = s.harnessCache.coalesced;
      for (const [p, n] of Object.entries(s.harnessCache.byPersona)) count(m.harnessByPersona, p, n);
    }
    m.warmup = WarmupCurve.fromSummary(s.warmup);
    return m;
  }
}

/** Whether a record counts in the target's figures: retried attempts and harness-cache hits are reported apart (see observe). */
export function countsInFigures(r: Pick<ResultRecord, 'harnessCache' | 'attempt'>): boolean {
  return !r.harnessCache && !(r.attempt !== undefined && r.attempt > 1);
}
