import { expectedArrivals, scheduleDurationMs } from '../engine/arrivals.js';
import type { LoadedInputs } from '../fixtures/types.js';
import { buildPlan } from './plan.js';

/** How much work the inputs plan, in the unit that the run will count. */
export interface PlanDescription {
  personas: number;
  locations: number;
  /** Work items (closed model) or expected arrivals (open model). */
  planned: number;
  /** A visit of a persona with a journey is several requests; the open model counts arrivals. */
  unit: 'requests' | 'journeys' | 'arrivals';
  /** Open model only: how long the arrival schedule lasts. */
  durationMs?: number;
}

export function describePlan(inputs: LoadedInputs): PlanDescription {
  const { config } = inputs;
  const counts = { personas: inputs.personas.length, locations: inputs.locations.length };
  if (config.load) {
    return { ...counts, planned: Math.round(expectedArrivals(config.load.phases)), unit: 'arrivals', durationMs: scheduleDurationMs(config.load.phases) };
  }
  const plan = buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed });
  return { ...counts, planned: plan.size, unit: config.journey || inputs.personas.some((p) => p.journey) ? 'journeys' : 'requests' };
}
