/**
 * Load models registered by name behind one interface: the engine picks one by the config and hands
 * it the same options. `closed` (a concurrency bound over the plan) and `open` (an arrival rate in
 * phases) today; another model (the closed model for a duration with stages) is one more entry.
 */
import { setMaxListeners } from 'node:events';
import { selectLocations } from '../inputs/locations.js';
import type { LoadConfig } from '../inputs/load.js';
import type { Location } from '../inputs/types.js';
import { mulberry32 } from '../util/random.js';
import { runClosedModel, type ClosedModelOptions, type ClosedModelOutcome } from './closed-model.js';
import { createJourneyRunner } from './journey.js';
import { runOpenModel, type ArrivalNumbering, type OpenLoadReport } from './open-model.js';

export interface WorkloadOptions extends ClosedModelOptions {
  /** The open model's schedule; null: the closed model. */
  load: LoadConfig | null;
  allLocations: readonly Location[];
  /** Open model: a persona's next location at random (`order: shuffled`) instead of in order. */
  randomLocations: boolean;
  /** Seeds jitter (think time) and, without scheduleSeed, the open model's schedule. */
  seed: number;
  /**
   * Open model: seeds the schedule (Poisson gaps, persona picks, random locations). The same in every
   * shard and worker thread of a run, which each run their share of that one schedule. Default: seed.
   */
  scheduleSeed?: number;
  /** Open model: see OpenModelOptions.arrivalNumbering. */
  arrivalNumbering?: ArrivalNumbering;
}

export type WorkloadOutcome = ClosedModelOutcome & { load?: OpenLoadReport };

export interface LoadModel {
  /** Runs the whole workload; returns when it is done or stopped. */
  run(options: WorkloadOptions): Promise<WorkloadOutcome>;
}

const closed: LoadModel = { run: (options) => runClosedModel(options) };

const open: LoadModel = {
  run(options) {
    const load = options.load!;
    const random = options.random ?? mulberry32(options.seed);
    const runJourney = createJourneyRunner({ ...options, random });
    const scheduleRandom = options.random ?? mulberry32(options.scheduleSeed ?? options.seed);
    return runOpenModel({
      load,
      personas: options.plan.personas,
      locationsOf: (persona) => selectLocations(options.allLocations, persona.locations),
      randomLocations: options.randomLocations,
      runJourney,
      onRecord: options.onRecord,
      ready: options.ready,
      signal: options.signal,
      clock: options.clock,
      random: scheduleRandom,
      arrivalNumbering: options.arrivalNumbering,
    });
  },
};

export const LOAD_MODELS: ReadonlyMap<string, LoadModel> = new Map([
  ['closed', closed],
  ['open', open],
]);

/** The model a run's options ask for: `open` with an arrival schedule (`load:`), else `closed`. */
export function loadModelName(options: Pick<WorkloadOptions, 'load'>): string {
  return options.load ? 'open' : 'closed';
}

/** Runs the workload with the load model its options ask for. */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadOutcome> {
  // Every virtual user and every request in flight listens on these two signals: one listener each is
  // the design, not a leak, so Node's limit of 10 (and its MaxListenersExceededWarning) does not apply.
  for (const signal of [options.signal, options.abortInFlight]) if (signal) setMaxListeners(0, signal);
  const name = loadModelName(options);
  const model = LOAD_MODELS.get(name);
  if (!model) throw new Error(`no load model "${name}"`);
  return model.run(options);
}
