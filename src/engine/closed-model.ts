import PQueue from 'p-queue';
import type { Location, Persona } from '../inputs/types.js';
import type { Plan } from '../plan/plan.js';
import type { WorkItem } from '../plan/types.js';
import { systemClock } from './clock.js';
import { createJourneyRunner, thinkMs, type JourneyEngineOptions } from './journey.js';
import type { EngineRecord } from './records.js';

/** The closed model's own options; how each visit is sent (timeouts, retries, redirects, …) is the journey runner's. */
export interface ClosedModelOptions extends JourneyEngineOptions {
  plan: Plan;
  locations: ReadonlyMap<string, Location>;
  concurrency: number;
  onRecord: (record: EngineRecord) => void;
  /**
   * Backpressure from the consumers: when it returns a promise, no new work starts until it settles
   * (the results file is flushing).
   */
  ready?: () => Promise<void> | undefined;
  /** Items already done (resume) or belonging to another shard. */
  skip?: (item: WorkItem) => boolean;
  /** Aborting stops new work from starting; requests in flight finish. */
  signal?: AbortSignal;
  /** Awaited when a virtual user starts, before its first visit. */
  onVuStart?: (vu: number) => Promise<void> | void;
  /** Awaited when a virtual user's loop ends: at the end of the load, or when it stops (its setup failed). */
  onVuEnd?: (vu: number) => Promise<void> | void;
}

export interface ClosedModelOutcome {
  planned: number;
  started: number;
  completed: number;
  /** True when the signal stopped the run before every planned item started or completed. */
  stoppedEarly: boolean;
  /** Requests cut by `abortInFlight`: started, not completed, not emitted. */
  aborted: number;
}

interface PersonaState {
  persona: Persona;
  planned: number;
  completed: number;
  started: boolean;
  /** Optional per-persona bound; null when only the global bound applies. */
  gate: PQueue | null;
}

/**
 * Closed model: at most `concurrency` requests in flight. A slot that ran a persona's request rests for
 * that persona's think time before taking the next item, as a user (or k6's VU sleep) would.
 */
export async function runClosedModel(options: ClosedModelOptions): Promise<ClosedModelOutcome> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { plan, signal } = options;
  // A work item is one journey (a persona without one: a single request); concurrency bounds journeys in flight.
  const runJourney = createJourneyRunner({ ...options, clock, random });
  const queue = new PQueue({ concurrency: options.concurrency });
  const personas = new Map<string, PersonaState>();

  for (const persona of plan.personas) {
    personas.set(persona.name, {
      persona,
      planned: 0,
      completed: 0,
      started: false,
      gate: persona.concurrency && persona.concurrency < options.concurrency ? new PQueue({ concurrency: persona.concurrency }) : null,
    });
  }
  // Count what will actually run per persona (after skips) so persona-end fires at the right moment.
  let planned = 0;
  for (const item of plan) {
    if (options.skip?.(item)) continue;
    personas.get(item.persona)!.planned++;
    planned++;
  }

  let started = 0;
  let completed = 0;
  let aborted = 0;
  // Virtual-user ids until the VU loops land: a slot takes the lowest free id when its task starts and
  // gives it back when the task ends; a VU that stops is retired and the bound shrinks with it.
  const freeVus = Array.from({ length: options.concurrency }, (_, i) => i + 1);
  const startedVus = new Set<number>();
  let liveVus = options.concurrency;

  const execute = async (item: WorkItem, state: PersonaState): Promise<void> => {
    // Items already queued when the stop signal came are dropped here: nothing new starts after it.
    if (signal?.aborted || liveVus === 0) return;
    const vu = freeVus.shift()!;
    if (!startedVus.has(vu)) {
      startedVus.add(vu);
      await options.onVuStart?.(vu);
    }
    let stopVu = false;
    try {
      stopVu = await visit(item, state, vu);
    } finally {
      if (!stopVu) freeVus.splice(sortedIndex(freeVus, vu), 0, vu);
    }
    if (stopVu) {
      liveVus--;
      startedVus.delete(vu);
      if (liveVus > 0) queue.concurrency = liveVus;
      await options.onVuEnd?.(vu);
    }
  };

  /** One visit by a VU; true when the VU stops there. */
  const visit = async (item: WorkItem, state: PersonaState, vu: number): Promise<boolean> => {
    started++;
    if (!state.started) {
      state.started = true;
      options.onRecord({ type: 'persona-start', persona: state.persona.name, planned: state.planned, at: clock.wallNow() });
    }
    const location = options.locations.get(item.location)!;
    const journey = await runJourney({ id: item.id, persona: state.persona, location, iteration: item.iteration, vu });
    if (journey.aborted) {
      aborted++;
      return false;
    }
    completed++;
    state.completed++;
    for (const record of journey.records) options.onRecord(record);
    if (state.completed === state.planned) {
      options.onRecord({ type: 'persona-end', persona: state.persona.name, at: clock.wallNow() });
    }
    if (journey.stopVu) return true;
    const think = state.persona.thinkTime;
    if (think && state.completed < state.planned && !signal?.aborted) {
      await clock.sleep(thinkMs(think, random), signal);
    }
    return false;
  };

  // Feed the queue lazily: the plan can hold millions of items and only a window is ever materialised.
  const window = Math.max(options.concurrency * 2, 16);
  for (const item of plan) {
    if (signal?.aborted || liveVus === 0) break;
    if (options.skip?.(item)) continue;
    const pause = options.ready?.();
    if (pause) await pause;
    if (queue.size >= window) await queue.onSizeLessThan(window);
    if (signal?.aborted) break;
    const state = personas.get(item.persona)!;
    const task = () => execute(item, state);
    if (state.gate) {
      const gate = state.gate;
      void gate.add(() => queue.add(task));
    } else {
      void queue.add(task);
    }
  }
  await Promise.all([...personas.values()].map((s) => s.gate?.onIdle()));
  await queue.onIdle();
  await Promise.all([...startedVus].map((vu) => options.onVuEnd?.(vu)));
  return { planned, started, completed, stoppedEarly: started < planned || aborted > 0, aborted };
}

function sortedIndex(list: readonly number[], value: number): number {
  let i = 0;
  while (i < list.length && list[i]! < value) i++;
  return i;
}
