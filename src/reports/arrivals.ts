/**
 * Open-model arrivals as results.ndjson shows them: each arrival has its own `iteration` (the arrival
 * index), and its first request was due at the arrival (`scheduledAt`). summary.json `load` has the
 * run's totals only; this gives arrivals per phase and per persona. Memory: one entry per arrival that
 * started, kept only for open-model runs.
 */
import type { LoadPhase } from '../inputs/load.js';
import type { ResultLine } from '../run-dir/results.js';

export interface PhaseArrivals {
  /** 1-based. */
  phase: number;
  durationMs: number;
  rate: number;
  rampTo: number;
  /** What the schedule asks for in this phase (the mean, for Poisson). */
  expected: number;
  /** Arrivals that started a journey and whose first request was due in this phase (counted from the first arrival). */
  started: number;
  /** started per second of the phase. */
  achievedRate: number | null;
}

export interface ArrivalFacts {
  phases: PhaseArrivals[];
  /** persona → arrivals that started a journey. */
  startedByPersona: Record<string, number>;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export class ArrivalTally {
  private readonly due = new Map<number, { at: number; persona: string }>();

  add(r: ResultLine): void {
    if (r.scheduledAt === undefined) return;
    const seen = this.due.get(r.iteration);
    if (seen === undefined) this.due.set(r.iteration, { at: r.scheduledAt, persona: r.persona });
    else if (r.scheduledAt < seen.at) seen.at = r.scheduledAt;
  }

  facts(phases: readonly LoadPhase[]): ArrivalFacts {
    let origin = Infinity;
    // Null prototype: persona names are user data ("__proto__" and "constructor" included).
    const startedByPersona: Record<string, number> = Object.create(null);
    for (const { at, persona } of this.due.values()) {
      if (at < origin) origin = at;
      startedByPersona[persona] = (startedByPersona[persona] ?? 0) + 1;
    }
    const counts = phases.map(() => 0);
    const ends: number[] = [];
    let end = 0;
    for (const p of phases) ends.push((end += p.durationMs));
    for (const { at } of this.due.values()) {
      const offset = at - origin;
      const i = ends.findIndex((e) => offset < e);
      counts[i === -1 ? counts.length - 1 : i]!++;
    }
    return {
      phases: phases.map((p, i) => {
        const rampTo = p.rampTo ?? p.rate;
        return {
          phase: i + 1,
          durationMs: p.durationMs,
          rate: p.rate,
          rampTo,
          expected: round(((p.rate + rampTo) / 2) * (p.durationMs / 1000)),
          started: counts[i]!,
          achievedRate: p.durationMs > 0 ? round(counts[i]! / (p.durationMs / 1000)) : null,
        };
      }),
      startedByPersona: Object.fromEntries(Object.entries(startedByPersona).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  }
}
