/**
 * Arrival times of the open model, as offsets in ms from the start of the run. Pure: phases and a
 * random source in, a lazy sequence out (a long run never materialises its schedule).
 *
 * Both processes invert the cumulative rate Λ(t) = ∫ rate: arrival k of the uniform process comes when
 * Λ(t) = k; the Poisson process uses Λ(t) = E₁ + … + E_k with exponential(1) steps, which gives a
 * (non-homogeneous) Poisson process of the same rate — ramps included — by time rescaling.
 */
import type { ArrivalProcess, LoadPhase } from '../inputs/load.js';

/** Arrivals a schedule produces on average: Σ (rate + rampTo) / 2 × duration. */
// Pure arithmetic over the phases, which the inputs layer needs too (to refuse a plan of no arrivals).
export { expectedArrivals, scheduleDurationMs } from '../inputs/load-schedule.js';

/** The rate (arrivals/s) the schedule asks for at offset `t` ms. */
export function rateAt(phases: readonly LoadPhase[], t: number): number {
  let start = 0;
  for (const p of phases) {
    if (t < start + p.durationMs) return p.rate + ((p.rampTo ?? p.rate) - p.rate) * ((t - start) / p.durationMs);
    start += p.durationMs;
  }
  return 0;
}

/** Offset s (ms) into a phase where its cumulative arrivals reach `lambda`. */
function invertPhase(p: LoadPhase, lambda: number): number {
  const a = p.rate / 1000;
  const b = (p.rampTo ?? p.rate) / 1000;
  const c2 = (b - a) / (2 * p.durationMs);
  // The root of c2·s² + a·s − λ = 0 in the form that stays exact when c2 → 0 and when a = 0.
  return (2 * lambda) / (a + Math.sqrt(Math.max(0, a * a + 4 * c2 * lambda)));
}

export function* arrivalOffsets(phases: readonly LoadPhase[], process: ArrivalProcess, random: () => number): Generator<number> {
  const step = process === 'poisson' ? () => -Math.log(1 - random()) : () => 1;
  let target = process === 'poisson' ? step() : 0;
  let phaseStart = 0;
  let before = 0;
  for (const p of phases) {
    const inPhase = ((p.rate + (p.rampTo ?? p.rate)) / 2) * (p.durationMs / 1000);
    while (target < before + inPhase) {
      const offset = phaseStart + Math.min(p.durationMs, invertPhase(p, target - before));
      if (offset >= phaseStart + p.durationMs) break;
      yield offset;
      target += step();
    }
    before += inPhase;
    phaseStart += p.durationMs;
  }
}
