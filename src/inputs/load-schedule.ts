/**
 * Arithmetic over the open model's phases. Apart from load.ts (the zod schema of `load:`) so that the
 * engine's arrival schedule can use it without loading zod in every worker thread.
 */
import type { LoadPhase } from './load.js';

/** Arrivals the phases ask for: the area under the rate curve. */
export function expectedArrivals(phases: readonly LoadPhase[]): number {
  return phases.reduce((sum, p) => sum + ((p.rate + (p.rampTo ?? p.rate)) / 2) * (p.durationMs / 1000), 0);
}

export function scheduleDurationMs(phases: readonly LoadPhase[]): number {
  return phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/** Phases from the flags `--rate`, `--duration` and `--ramp-up` (ramp from 0 to the rate, then steady). */
export function phasesFromFlags(rate: number, durationMs: number, rampUpMs: number | undefined): LoadPhase[] {
  const phases: LoadPhase[] = [];
  if (rampUpMs !== undefined && rampUpMs > 0) phases.push({ durationMs: rampUpMs, rate: 0, rampTo: rate });
  phases.push({ durationMs, rate });
  return phases;
}
