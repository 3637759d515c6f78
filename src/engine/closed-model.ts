import type { Location, Persona } from '../inputs/types.js';
import type { VuLoad } from '../inputs/stages.js';
import { loopedPlan, type Plan } from '../plan/plan.js';
import type { WorkItem } from '../plan/types.js';
import { systemClock } from './clock.js';
import { createJourneyRunner, thinkMs, type JourneyEngineOptions, type JourneyResult } from './journey.js';
import type { EngineRecord, VuRecord } from './records.js';
import { FifoGate } from './fifo-gate.js';
import { SINGLE_PROCESS, localVUs, targetAt, targetChanges, vuId, type VuNumbering } from './vu-schedule.js';

/** The closed model's own options; how each visit is sent (timeouts, retries, redirects, …) is the journey runner's. */
export interface ClosedModelOptions extends JourneyEngineOptions {
  plan: Plan;
  /** By id: a Map, or the location table (which makes the Location when asked). */
  locations: Pick<ReadonlyMap<string, Location>, 'get'>;
  /** VUs (each runs one visit at a time), counted over every shard and thread that shares `vuNumbering`. */
  concurrency: number;
  onRecord: (record: EngineRecord) => void;
  /** Each VU's start and end (the active-VU curve). */
  onVu?: (record: VuRecord) => void;
  /**
   * Backpressure from the consumers: when it returns a promise, no new work starts until it settles
   * (the results file is flushing).
   */
  ready?: () => Promise<void> | undefined;
  /** Items already done (resume) or belonging to another shard. */
  skip?: (item: WorkItem) => boolean;
  /** Aborting stops new work from starting; requests in flight finish. */
  signal?: AbortSignal;
  /** Load over time: VUs for a duration, or in stages. Absent: `iterations` passes over the plan, once. */
  vus?: VuLoad | null;
  /** Which VU ids run here (shards, worker threads). Default: all of them, from 1. */
  vuNumbering?: VuNumbering;
  /** When the time is up, visits in flight get this long before they are cut. Default 10 s. */
  graceMs?: number;
  /** Iterations per pass of the plan (the config's `iterations`): later passes number theirs after it. Default 1. */
  iterations?: number;
  /** A resumed timed run: the load time already run; the schedule continues from there. */
  elapsedMs?: number;
  /** Awaited before a VU takes its first item (its session starts). */
  onVuStart?: (vu: number) => Promise<void> | void;
  /** Awaited when a VU's loop ends: plan exhausted, time up, ramped down or stopped. */
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
  /** Timed runs: visits cut by design (a ramped-down VU past gracefulRampDown, or in flight past the grace after the time was up); not recorded. */
  cut?: number;
}

interface PersonaState {
  persona: Persona;
  planned: number;
  completed: number;
  started: boolean;
  /** Optional per-persona bound; null when only the global bound applies. */
  gate: FifoGate | null;
}

/** One VU loop: its local index, what stops it, and the promise of its end. */
interface VuSlot {
  stop: AbortController;
  done: Promise<void>;
}

/**
 * Closed model as virtual users: each VU (a stable 1-based id) takes the next item from one shared lazy
 * iterator over the plan, in plan order, runs it, rests its persona's think time, and takes the next. So
 * at most `concurrency` visits are in flight and only as many items as there are VUs are materialised.
 * Timed runs loop over the plan until the time is up (`vus.model` constant-vus) or ramp the number of
 * VUs through stages (ramping-vus); a persona's own `concurrency:` is a FIFO gate a VU waits at with its
 * item, so the plan order holds for it too.
 */
export async function runClosedModel(options: ClosedModelOptions): Promise<ClosedModelOutcome> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { plan, signal } = options;
  const vus = options.vus ?? null;
  const numbering = options.vuNumbering ?? SINGLE_PROCESS;
  const elapsed = options.elapsedMs ?? 0;
  const peakTarget = vus?.model === 'ramping-vus' ? Math.max(vus.startVUs, ...vus.stages.map((s) => s.target)) : options.concurrency;
  const personas = new Map<string, PersonaState>();
  for (const persona of plan.personas) {
    const gate = persona.concurrency && persona.concurrency < peakTarget ? new FifoGate(persona.concurrency) : null;
    personas.set(persona.name, { persona, planned: plan.perPersona.get(persona.name) ?? 0, completed: 0, started: false, gate });
  }
  const loops = vus !== null && (vus.model === 'ramping-vus' || vus.loop);
  // Count what will actually run per persona (after skips) so persona-end fires at the right moment.
  let planned = plan.size;
  // Without skips the plan's own counts are right; with them, one streamed pass counts what is left.
  if (!loops && options.skip) {
    planned = 0;
    for (const state of personas.values()) state.planned = 0;
    for (const item of plan) {
      if (options.skip?.(item)) continue;
      personas.get(item.persona)!.planned++;
      planned++;
    }
  }

  const source = loops ? loopedPlan(plan, options.iterations ?? 1) : plan[Symbol.iterator]();
  let exhausted = false;
  const next = (): WorkItem | null => {
    for (;;) {
      const step = source.next();
      if (step.done) {
        exhausted = true;
        return null;
      }
      if (!options.skip?.(step.value)) return step.value;
    }
  };

  let started = 0;
  let completed = 0;
  let aborted = 0;
  let cut = 0;
  // Time up (timed runs): no VU takes new work; after the grace, visits in flight are cut.
  const timeUp = new AbortController();
  const timeCut = new AbortController();
  const pending = new Set<() => void>();
  const endTime = () => {
    if (timeUp.signal.aborted) return;
    timeUp.abort();
    pending.add(clock.timeout(options.graceMs ?? 10_000, () => timeCut.abort()));
  };

  /** A visit is starting: counted, and its persona's start said once. */
  const starting = (state: PersonaState): void => {
    started++;
    if (!state.started) {
      state.started = true;
      options.onRecord({ type: 'persona-start', persona: state.persona.name, planned: state.planned, at: clock.wallNow() });
    }
  };

  /** A visit ended: its records emitted (unless it was cut); true when the VU stops there (its session's setup failed: setupFailure.then stop). */
  const ended = (state: PersonaState, journey: JourneyResult): boolean => {
    if (journey.aborted) {
      // Cut by the user's grace running out: an interrupted run (resume runs it again). Else cut by design.
      if (options.abortInFlight?.aborted) aborted++;
      else cut++;
      return false;
    }
    completed++;
    state.completed++;
    for (const record of journey.records) options.onRecord(record);
    if (!loops && state.completed === state.planned) options.onRecord({ type: 'persona-end', persona: state.persona.name, at: clock.wallNow() });
    return journey.stopVu === true;
  };

  const runVu = async (vu: number, stop: AbortSignal, vuCut: AbortSignal): Promise<void> => {
    const halt = AbortSignal.any([stop, timeUp.signal, ...(signal ? [signal] : [])]);
    // Read a few times per visit: a flag is cheaper than the composite signal's getter.
    let halted = halt.aborted;
    halt.addEventListener('abort', () => (halted = true), { once: true });
    const cutSignals = [vuCut, timeCut.signal, ...(options.abortInFlight ? [options.abortInFlight] : [])];
    const runJourney = createJourneyRunner({ ...options, clock, random, abortInFlight: AbortSignal.any(cutSignals) });
    await options.onVuStart?.(vu);
    options.onVu?.({ type: 'vu', vu, event: 'start', at: clock.wallNow() });
    try {
      while (!halted) {
        const pause = options.ready?.();
        if (pause) await pause;
        if (halted) break;
        const item = next();
        if (!item) break;
        const state = personas.get(item.persona)!;
        // Waiting here with the item keeps the plan's order for a persona with its own bound.
        const release = state.gate ? await state.gate.acquire(halt) : null;
        if (state.gate && release === null) break;
        let stopVu = false;
        // Awaited here rather than in a helper: one suspended frame per visit in flight, not two.
        try {
          starting(state);
          stopVu = ended(state, await runJourney({ id: item.id, persona: state.persona, location: options.locations.get(item.location)!, iteration: item.iteration, vu }));
        } finally {
          release?.();
        }
        if (stopVu) break;
        const think = state.persona.thinkTime;
        if (think && !halted && (loops || state.completed < state.planned)) await clock.sleep(thinkMs(think, random), halt);
      }
    } finally {
      options.onVu?.({ type: 'vu', vu, event: 'end', at: clock.wallNow() });
      await options.onVuEnd?.(vu);
    }
  };

  // Slots by local index: a VU ramped down and up again runs anew once its earlier loop has ended.
  const slots = new Map<number, VuSlot>();
  const everyLoop: Promise<void>[] = [];
  const rampDownMs = vus?.model === 'ramping-vus' ? vus.gracefulRampDownMs : 0;
  const startSlot = (j: number) => {
    const before = slots.get(j);
    const stop = new AbortController();
    const vuCut = new AbortController();
    let cancelCut: (() => void) | null = null;
    stop.signal.addEventListener('abort', () => (cancelCut = clock.timeout(rampDownMs, () => vuCut.abort())), { once: true });
    const done = (before ? before.done : Promise.resolve())
      .then(() => (stop.signal.aborted ? undefined : runVu(vuId(numbering, j), stop.signal, vuCut.signal)))
      .finally(() => cancelCut?.());
    slots.set(j, { stop, done });
    everyLoop.push(done);
  };
  let running = 0;
  const apply = (target: number) => {
    const want = exhausted ? 0 : localVUs(numbering, target);
    while (running < want) startSlot(running++);
    while (running > want) slots.get(--running)!.stop.abort();
  };

  try {
    if (vus?.model === 'ramping-vus') {
      const origin = clock.now() - elapsed;
      apply(targetAt(vus.stages, vus.startVUs, elapsed));
      for (const change of targetChanges(vus.stages, vus.startVUs, elapsed)) {
        const wait = origin + change.atMs - clock.now();
        if (wait > 0) await clock.sleep(wait, signal);
        if (signal?.aborted || exhausted) break;
        apply(change.target);
      }
      const rest = origin + vus.stages.reduce((n, s) => n + s.durationMs, 0) - clock.now();
      if (rest > 0 && !signal?.aborted && !exhausted) await clock.sleep(rest, signal);
      endTime();
    } else {
      apply(options.concurrency);
      if (vus?.model === 'constant-vus') {
        const cancel = clock.timeout(Math.max(0, vus.durationMs - elapsed), endTime);
        await Promise.all(everyLoop);
        cancel();
      }
    }
    // Loops started while waiting (a ramp back up) are in the list too.
    for (let i = 0; i < everyLoop.length; i++) await everyLoop[i];
  } finally {
    for (const cancel of pending) cancel();
  }
  if (loops) for (const state of personas.values()) if (state.started) options.onRecord({ type: 'persona-end', persona: state.persona.name, at: clock.wallNow() });
  const stoppedEarly = vus ? Boolean(signal?.aborted && !timeUp.signal.aborted) || aborted > 0 : started < planned || aborted > 0;
  return { planned, started, completed, stoppedEarly, aborted, ...(vus ? { cut } : {}) };
}
