/**
 * Load models registered by name behind one interface: the engine picks one by the config and hands
 * it the same options: `closed` (VUs running `iterations` passes over the plan), `constant-vus` (VUs
 * looping over the plan for a duration), `ramping-vus` (VUs ramped in stages) and `open` (an arrival
 * rate in phases). The three closed ones are the same VU loops with a different controller.
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
  /** Seeds persona picks, random locations and jitter in the open model. */
  seed: number;
  /** Open model: see OpenModelOptions.arrivalNumbering. */
  arrivalNumbering?: ArrivalNumbering;
}

export type WorkloadOutcome = ClosedModelOutcome & { load?: OpenLoadReport };

export interface LoadModel {
  /** Runs the whole workload; returns when it is done or stopped. */
  run(options: WorkloadOptions): Promise<WorkloadOutcome>;
}

const closed: LoadModel = { run: (options) => runClosedModel({ ...options, vus: null }) };
const constantVus: LoadModel = { run: (options) => runClosedModel(options) };
const rampingVus: LoadModel = { run: (options) => runClosedModel(options) };

const open: LoadModel = {
  run(options) {
    const load = options.load!;
    const random = options.random ?? mulberry32(options.seed);
    const runJourney = createJourneyRunner({ ...options, random });
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
      random,
      arrivalNumbering: options.arrivalNumbering,
    });
  },
};

export const LOAD_MODELS: ReadonlyMap<string, LoadModel> = new Map([
  ['closed', closed],
  ['constant-vus', constantVus],
  ['ramping-vus', rampingVus],
  ['open', open],
]);

/** The model a run's options ask for: `open` with an arrival schedule (`load:`), the VU load's model with `duration`/`stages`, else `closed`. */
export function loadModelName(options: Pick<WorkloadOptions, 'load' | 'vus'>): string {
  return options.load ? 'open' : (options.vus?.model ?? 'closed');
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
