/**
 * Open model: visits arrive on a schedule (phases of an arrival rate), whether or not the target keeps
 * up — as real users do. Each arrival picks a persona by weight and that persona's next location (in
 * order, or at random), and starts its journey at once unless `maxInFlight` journeys are running; then
 * it is dropped and counted. Every request records its response time from when it was due, so a
 * stalled target shows in the figures instead of quietly slowing the schedule (coordinated omission).
 */
import type { LoadConfig } from '../inputs/load.js';
import type { Location, Persona } from '../inputs/types.js';
import { arrivalOffsets, expectedArrivals, scheduleDurationMs } from './arrivals.js';
import { systemClock, type Clock } from './clock.js';
import type { JourneyJob, JourneyResult } from './journey.js';
import type { EngineRecord } from './records.js';

export interface OpenModelOptions {
  load: LoadConfig;
  personas: readonly Persona[];
  /** The locations each persona visits (its filter applied). */
  locationsOf: (persona: Persona) => readonly Location[];
  /** Next location at random instead of in order. */
  randomLocations: boolean;
  runJourney: (job: JourneyJob) => Promise<JourneyResult>;
  onRecord: (record: EngineRecord) => void;
  /** Backpressure from the consumers (see the closed model); arrivals held up by it still count from when they were due. */
  ready?: () => Promise<void> | undefined;
  /** Aborting stops new arrivals; journeys in flight finish. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Seeded in a run, so persona picks repeat. */
  random?: () => number;
  /**
   * Arrival n gets number `n × stride + offset` in its work-item id, so that shards and worker threads,
   * each running a share of the rate, never give two arrivals the same id. Default: 0, 1, 2, …
   */
  arrivalNumbering?: ArrivalNumbering;
}

export interface ArrivalNumbering {
  stride: number;
  offset: number;
}

/** What summary.json says about an open-model run (`summary.load`). */
export interface OpenLoadReport {
  model: 'open';
  arrival: LoadConfig['arrival'];
  phases: LoadConfig['phases'];
  maxInFlight: number;
  /** Journeys running at once; absent: maxInFlight. */
  concurrency?: number;
  /** Sum of the phase durations. */
  scheduledMs: number;
  /** Arrivals the schedule asks for (on average, for Poisson). */
  expectedArrivals: number;
  /** Arrivals that came due before the run ended. */
  arrivals: number;
  /** Arrivals that started a journey. */
  started: number;
  /** Arrivals that found `maxInFlight` journeys running and were not started. */
  dropped: number;
  droppedByPersona: Record<string, number>;
  /** Most journeys in flight (waiting or running) at once. */
  peakInFlight: number;
  /** From the first arrival's due time until the schedule ended (or the run stopped). */
  elapsedMs: number;
  /** expectedArrivals / scheduledMs, per second. */
  targetRate: number;
  /** started / elapsedMs, per second. */
  achievedRate: number | null;
}

export interface OpenModelOutcome {
  planned: number;
  started: number;
  completed: number;
  stoppedEarly: boolean;
  aborted: number;
  load: OpenLoadReport;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export async function runOpenModel(options: OpenModelOptions): Promise<OpenModelOutcome> {
  const numbering = options.arrivalNumbering ?? { stride: 1, offset: 0 };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { load, signal } = options;

  const eligible = options.personas.map((persona) => ({ persona, locations: options.locationsOf(persona), cursor: 0, started: false }));
  const pickable = eligible.filter((p) => p.locations.length > 0);
  const totalWeight = pickable.reduce((sum, p) => sum + p.persona.weight, 0);
  const pick = () => {
    let r = random() * totalWeight;
    for (const p of pickable) {
      r -= p.persona.weight;
      if (r < 0) return p;
    }
    return pickable[pickable.length - 1]!;
  };

  const expected = expectedArrivals(load.phases);
  const scheduledMs = scheduleDurationMs(load.phases);
  let arrivals = 0;
  let started = 0;
  let completed = 0;
  let aborted = 0;
  let dropped = 0;
  let active = 0;
  let peak = 0;
  const droppedByPersona: Record<string, number> = {};
  const running = new Set<Promise<void>>();
  // Slots for running journeys; admitted arrivals beyond them wait here, first come first served.
  let free = load.concurrency ?? load.maxInFlight;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> | undefined => {
    if (free > 0) {
      free--;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };

  const start = clock.now();
  if (pickable.length > 0) {
    for (const offset of arrivalOffsets(load.phases, load.arrival, random)) {
      const dueAt = start + offset;
      const wait = dueAt - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal?.aborted) break;
      const pause = options.ready?.();
      if (pause) await pause;
      if (signal?.aborted) break;

      const index = arrivals++;
      const p = pick();
      const location = options.randomLocations ? p.locations[Math.floor(random() * p.locations.length)]! : p.locations[p.cursor++ % p.locations.length]!;
      if (active >= load.maxInFlight) {
        dropped++;
        droppedByPersona[p.persona.name] = (droppedByPersona[p.persona.name] ?? 0) + 1;
        continue;
      }
      if (!p.started) {
        p.started = true;
        options.onRecord({ type: 'persona-start', persona: p.persona.name, planned: Math.round((expected * p.persona.weight) / totalWeight), at: clock.wallNow() });
      }
      started++;
      active++;
      if (active > peak) peak = active;
      // Timers may fire a little early; a visit is never due after it started.
      const number = index * numbering.stride + numbering.offset;
      const job: JourneyJob = { id: `${p.persona.slug}/${location.id}/${number}`, persona: p.persona, location, iteration: number, vu: 0, dueAt: Math.min(dueAt, clock.now()) };
      const slot = acquire();
      const run = (slot ? slot.then(() => options.runJourney(job)) : options.runJourney(job)).then((result) => {
        if (result.aborted) aborted++;
        else {
          completed++;
          for (const record of result.records) options.onRecord(record);
        }
      });
      const tracked = run.finally(() => {
        release();
        active--;
        running.delete(tracked);
      });
      running.add(tracked);
    }
    // The schedule's last interval is part of it: the achieved rate is measured over the whole span.
    const rest = start + scheduledMs - clock.now();
    if (rest > 0 && !signal?.aborted) await clock.sleep(rest, signal);
  }
  const elapsedMs = clock.now() - start;
  await Promise.all(running);
  for (const p of eligible) if (p.started) options.onRecord({ type: 'persona-end', persona: p.persona.name, at: clock.wallNow() });

  return {
    planned: Math.round(expected),
    started,
    completed,
    stoppedEarly: Boolean(signal?.aborted) || aborted > 0,
    aborted,
    load: {
      model: 'open',
      arrival: load.arrival,
      phases: load.phases,
      maxInFlight: load.maxInFlight,
      ...(load.concurrency !== undefined ? { concurrency: load.concurrency } : {}),
      scheduledMs,
      expectedArrivals: round(expected),
      arrivals,
      started,
      dropped,
      droppedByPersona,
      peakInFlight: peak,
      elapsedMs: round(elapsedMs),
      targetRate: scheduledMs > 0 ? round(expected / (scheduledMs / 1000)) : 0,
      achievedRate: elapsedMs > 0 ? round(started / (elapsedMs / 1000)) : null,
    },
  };
}

/** What the progress display expects per persona in an open-model run: its weighted share of the arrivals. */
export function expectedPerPersona(personas: readonly Persona[], load: LoadConfig): Map<string, number> {
  const total = expectedArrivals(load.phases);
  const weight = personas.reduce((sum, p) => sum + p.weight, 0);
  return new Map(personas.map((p) => [p.name, Math.round((total * p.weight) / weight)]));
}
