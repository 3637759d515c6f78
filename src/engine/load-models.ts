/**
 * Load models registered by name behind one interface: the engine picks one by the config and hands
 * it the same options: `closed` (VUs running `iterations` passes over the plan), `constant-vus` (VUs
 * looping over the plan for a duration), `ramping-vus` (VUs ramped in stages) and `open` (an arrival
 * rate in phases). The three closed ones are the same VU loops with a different controller.
 */
import { setMaxListeners } from 'node:events';
import { SetupError } from '../errors.js';
import type { LocationTable } from '../inputs/location-table.js';
import type { LoadConfig } from '../inputs/load.js';
import type { WorkItem } from '../plan/types.js';
import { mulberry32 } from '../util/random.js';
import { runClosedModel, type ClosedModelOptions, type ClosedModelOutcome } from './closed-model.js';
import { createJourneyRunner } from './journey.js';
import { runOpenModel, type ArrivalNumbering, type OpenLoadReport } from './open-model.js';
import { Sessions } from './sessions.js';

export interface WorkloadOptions extends ClosedModelOptions {
  /** The open model's schedule; null: the closed model. */
  load: LoadConfig | null;
  allLocations: LocationTable;
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
  /** The run-level setup session's secrets (its cookies), masked in every VU's records. */
  setupSecrets?: readonly string[];
}

export type WorkloadOutcome = ClosedModelOutcome & { load?: OpenLoadReport };

export interface LoadModel {
  /** Runs the whole workload, its visits in `sessions` (also in `options.sessions`); returns when it is done or stopped. */
  run(options: WorkloadOptions, sessions: Sessions): Promise<WorkloadOutcome>;
}

/** Seeds the journeys' random source apart from the schedule's. */
const JOURNEY_STREAM = 0x5bd1e995;

/** The work item an open-model arrival id names (`persona-slug/location-id/number`), for `skip` (which looks at `id`; `persona` here is the slug). */
function itemOf(id: string): WorkItem {
  const first = id.indexOf('/');
  const last = id.lastIndexOf('/');
  return { id, persona: id.slice(0, first), location: id.slice(first + 1, last), iteration: Number(id.slice(last + 1)) };
}

/**
 * The closed models (one pass, constant-vus, ramping-vus) share their sessions' lifecycle: each VU's
 * teardown when its loop ends, and E_SETUP when every VU stopped at its setup.
 */
function closedModel(timed: boolean): LoadModel {
  return {
    async run(options, sessions) {
      const outcome = await runClosedModel({ ...options, ...(timed ? {} : { vus: null }), onVuEnd: (vu) => sessions.endVu(vu) });
      await sessions.close();
      // Nothing could run: every VU stopped at its setup. Said as an error, not as a run that passed with no requests.
      if (sessions.everyVuStopped && outcome.started < outcome.planned && !options.signal?.aborted) {
        throw new SetupError(`every virtual user stopped: its setup failed (setupFailure.then: stop); ${outcome.planned - outcome.started} planned visit(s) were not run; first failure: ${sessions.firstFailure}`);
      }
      return outcome;
    },
  };
}

const closed = closedModel(false);
const constantVus = closedModel(true);
const rampingVus = closedModel(true);

const open: LoadModel = {
  async run(options, sessions) {
    const load = options.load!;
    // The schedule (persona picks, locations, Poisson gaps) has a random source of its own, so that it
    // repeats whatever the journeys drew (think time, retry jitter): a resume replays it to find its place.
    // Every shard and worker draws the whole schedule from the run's own seed (scheduleSeed) and runs its share.
    const scheduleSeed = options.scheduleSeed ?? options.seed;
    const random = options.random ?? mulberry32(scheduleSeed);
    const runJourney = createJourneyRunner({ ...options, random: options.random ?? mulberry32(options.seed ^ JOURNEY_STREAM) });
    const skip = options.skip;
    const outcome = await runOpenModel({
      load,
      personas: options.plan.personas,
      locationsOf: (persona) => options.allLocations.pick(persona.locations),
      randomLocations: options.randomLocations,
      runJourney,
      onRecord: options.onRecord,
      ready: options.ready,
      signal: options.signal,
      clock: options.clock,
      random,
      arrivalNumbering: options.arrivalNumbering,
      ...(skip && !options.random ? { resume: { isDone: (id: string) => skip(itemOf(id)), random: mulberry32(scheduleSeed) } } : {}),
    });
    await sessions.close();
    return outcome;
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
  const sessions = new Sessions({ onRecord: options.onRecord, ...(options.setupVars ? { setupVars: options.setupVars } : {}), ...(options.setupSecrets ? { setupSecrets: options.setupSecrets } : {}) });
  return model.run({ ...options, sessions }, sessions);
}
