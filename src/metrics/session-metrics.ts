/**
 * Setup and teardown, reported apart from the load (summary.json `setup` and `teardown`): their
 * requests in a scope of their own, never in the load's figures or percentiles, and what came of each
 * session's setup — passed, retried, failed, stopped. Serializes, reads back and merges like the rest.
 */
import type { SessionRecord } from '../engine/records.js';
import { ScopeAggregate, type ScopeSummary } from './aggregate.js';

export interface SessionCounts {
  /** Setups (teardowns) that ran to their end: one per VU × persona, per open-model session, and the run level. */
  sessions: number;
  /** Of those, failed after their last attempt. */
  failed: number;
}

export interface SessionPhaseSummary extends ScopeSummary, SessionCounts {
  /** Attempts, retries included (setup only retries). */
  attempts: number;
  /** Failed sessions that stopped (`setupFailure.then: stop`): a VU that ended, or an arrival that skipped its visit. */
  stopped: number;
  /** Per persona; the run-level setup or teardown is `run` below. */
  byPersona: Record<string, SessionCounts>;
  /** The run-level one (config `setup:` or `teardown:`), when there was one. */
  run?: { ok: boolean; message?: string };
  /** The first failure's message (persona, VU, step and what failed), secrets masked. */
  firstFailure?: string;
}

export interface SessionMetricsSummary {
  setup?: SessionPhaseSummary;
  teardown?: SessionPhaseSummary;
}

class PhaseMetrics {
  readonly scope = new ScopeAggregate();
  sessions = 0;
  failed = 0;
  attempts = 0;
  stopped = 0;
  readonly byPersona = new Map<string, SessionCounts>();
  run: { ok: boolean; message?: string } | undefined;
  firstFailure: string | undefined;

  add(r: SessionRecord): void {
    for (const result of r.results) this.scope.add(result);
    this.attempts++;
    if (!r.final) return;
    const failed = r.ok ? 0 : 1;
    this.sessions++;
    this.failed += failed;
    if (!r.ok && r.then === 'stop') this.stopped++;
    if (r.persona === undefined) this.run = { ok: r.ok, ...(r.message !== undefined ? { message: r.message } : {}) };
    else this.countPersona(r.persona, 1, failed);
    if (!r.ok && this.firstFailure === undefined) {
      this.firstFailure = `${r.persona === undefined ? 'run-level' : `persona ${JSON.stringify(r.persona)}${r.vu > 0 ? `, VU ${r.vu}` : ''}`}: ${r.message ?? 'failed'}`;
    }
  }

  countPersona(persona: string, sessions: number, failed: number): void {
    const c = this.byPersona.get(persona);
    if (c) {
      c.sessions += sessions;
      c.failed += failed;
    } else this.byPersona.set(persona, { sessions, failed });
  }

  merge(other: PhaseMetrics): void {
    this.scope.merge(other.scope);
    this.sessions += other.sessions;
    this.failed += other.failed;
    this.attempts += other.attempts;
    this.stopped += other.stopped;
    for (const [p, c] of other.byPersona) this.countPersona(p, c.sessions, c.failed);
    this.run ??= other.run;
    this.firstFailure ??= other.firstFailure;
  }

  toSummary(): SessionPhaseSummary {
    // Keys are persona names users chose: fromEntries keeps "__proto__" a key.
    const byPersona = Object.fromEntries([...this.byPersona].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, { ...v }]));
    return {
      ...this.scope.toSummary(),
      sessions: this.sessions,
      failed: this.failed,
      attempts: this.attempts,
      stopped: this.stopped,
      byPersona,
      ...(this.run ? { run: this.run } : {}),
      ...(this.firstFailure !== undefined ? { firstFailure: this.firstFailure } : {}),
    };
  }

  static fromSummary(s: SessionPhaseSummary): PhaseMetrics {
    const m = new PhaseMetrics();
    const { sessions, failed, attempts, stopped, byPersona, run, firstFailure, ...scope } = s;
    m.scope.merge(ScopeAggregate.fromSummary(scope));
    Object.assign(m, { sessions, failed, attempts, stopped, run, firstFailure });
    for (const [p, c] of Object.entries(byPersona)) m.countPersona(p, c.sessions, c.failed);
    return m;
  }
}

export class SessionMetrics {
  private setup: PhaseMetrics | null = null;
  private teardown: PhaseMetrics | null = null;

  add(r: SessionRecord): void {
    if (r.phase === 'setup') (this.setup ??= new PhaseMetrics()).add(r);
    else (this.teardown ??= new PhaseMetrics()).add(r);
  }

  merge(other: SessionMetrics): void {
    if (other.setup) (this.setup ??= new PhaseMetrics()).merge(other.setup);
    if (other.teardown) (this.teardown ??= new PhaseMetrics()).merge(other.teardown);
  }

  toSummary(): SessionMetricsSummary {
    return { ...(this.setup ? { setup: this.setup.toSummary() } : {}), ...(this.teardown ? { teardown: this.teardown.toSummary() } : {}) };
  }

  static fromSummary(s: SessionMetricsSummary): SessionMetrics {
    const m = new SessionMetrics();
    if (s.setup) m.setup = PhaseMetrics.fromSummary(s.setup);
    if (s.teardown) m.teardown = PhaseMetrics.fromSummary(s.teardown);
    return m;
  }
}
