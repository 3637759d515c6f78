/**
 * Open model: visits arrive on a schedule (phases of an arrival rate), whether or not the target keeps
 * up — as real users do. Each arrival picks a persona by weight and that persona's next location (in
 * order, or at random), and starts its journey at once unless `maxInFlight` journeys are running; then
 * it is dropped and counted. Every request records its response time from when it was due, so a
 * stalled target shows in the figures instead of quietly slowing the schedule (coordinated omission).
 */
import type { LoadConfig } from '../inputs/load.js';
import type { LocationList } from '../inputs/location-table.js';
import type { Persona } from '../inputs/types.js';
import { arrivalSequence, pickablePersonas, scheduleProgress, type ArrivalNumbering, type ArrivalSource } from './arrival-sequence.js';
import { expectedArrivals, scheduleDurationMs } from './arrivals.js';
import { systemClock, type Clock } from './clock.js';
import type { JourneyJob, JourneyResult } from './journey.js';
import type { EngineRecord } from './records.js';

export interface OpenModelOptions {
  load: LoadConfig;
  personas: readonly Persona[];
  /** The locations each persona visits (its filter applied). */
  locationsOf: (persona: Persona) => LocationList;
  /** Next location at random instead of in order. */
  randomLocations: boolean;
  runJourney: (job: JourneyJob) => Promise<JourneyResult>;
  onRecord: (record: EngineRecord) => void;
  /** Backpressure from the consumers (see the closed model); arrivals held up by it still count from when they were due. */
  ready?: () => Promise<void> | undefined;
  /** Aborting stops new arrivals; journeys in flight finish. */
  signal?: AbortSignal;
  clock?: Clock;
  /**
   * The schedule's randomness (Poisson gaps, persona picks, random locations), seeded in a run so that it
   * repeats: every shard and worker thread draws the same schedule with the same seed.
   */
  random?: () => number;
  /**
   * This process's share of the schedule: arrival k (0-based, of the whole schedule) is run here when
   * k mod stride = offset, with k as the number in its work-item id. Shards and worker threads draw the
   * whole schedule (it is lazy and cheap) and run every stride-th arrival: together they run exactly the
   * arrivals, due times, personas and locations of one process. Default: every arrival.
   */
  arrivalNumbering?: ArrivalNumbering;
  /**
   * Resume: arrivals whose id `isDone` are counted and not sent; the rest of the schedule continues from
   * the last recorded arrival, shifted by the pause. `random`: a fresh copy of `random` (the same seed),
   * to replay the sequence and find that point before the run starts.
   */
  resume?: { isDone: (id: string) => boolean; random: () => number };
}

export type { ArrivalNumbering };

/** What summary.json says about an open-model run (`summary.load`). */
export interface OpenLoadReport {
  model: 'open';
  arrival: LoadConfig['arrival'];
  /** The whole run's schedule (a shard's too: it ran its share of this one). */
  phases: LoadConfig['phases'];
  /** Present when this report covers a share of the schedule (a shard, a worker): arrivals k with k mod stride = offset. */
  share?: ArrivalNumbering;
  maxInFlight: number;
  /** Journeys running at once; absent: maxInFlight. */
  concurrency?: number;
  /** Sum of the phase durations. */
  scheduledMs: number;
  /** Arrivals the schedule asks for (on average, for Poisson); of a share: its part, the whole / stride. */
  expectedArrivals: number;
  /** Arrivals that came due before the run ended. */
  arrivals: number;
  /** Arrivals that started a journey. */
  started: number;
  /** Arrivals that found `maxInFlight` journeys running and were not started. */
  dropped: number;
  /** Resumed run: arrivals recorded before the resume (in `arrivals` and `started`, not sent again). */
  resumed?: number;
  /**
   * Resumed run: arrivals due before the last recorded one that had no result at the resume (sent and
   * not recorded, cut after the grace period, or dropped); sent again at once when the resume started.
   */
  unrecordedBeforeResume?: number;
  droppedByPersona: Record<string, number>;
  /** Most journeys in flight (waiting or running) at once. */
  peakInFlight: number;
  /** From the first arrival's due time until the schedule ended (or the run stopped); a resume's pause left out. */
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
  const source: ArrivalSource = { phases: load.phases, process: load.arrival, personas: options.personas, locationsOf: options.locationsOf, randomLocations: options.randomLocations, numbering };
  const pickable = pickablePersonas(source);
  const totalWeight = pickable.reduce((sum, p) => sum + p.persona.weight, 0);
  const personaStarted = new Set<string>();

  const stride = Math.max(1, numbering.stride);
  const expected = expectedArrivals(load.phases) / stride;
  const scheduledMs = scheduleDurationMs(load.phases);
  // A resumed run continues the schedule from its last recorded arrival, shifted by the pause.
  const progress = options.resume ? scheduleProgress(source, options.resume.random, options.resume.isDone) : null;
  const resumeAt = progress?.resumeAt ?? 0;
  let arrivals = 0;
  let started = 0;
  let resumed = 0;
  let completed = 0;
  let aborted = 0;
  let dropped = 0;
  let active = 0;
  let peak = 0;
  const droppedByPersona: Record<string, number> = {};
  // Journeys not yet finished, counted rather than kept in a Set: a Set that takes and drops an entry
  // per arrival leaves a chain of obsolete tables that V8 keeps through scavenges once one of them is in
  // old space (see DeadlineSweeper in deadlines.ts). The first failure, if any, is thrown at the end,
  // as Promise.all over them did.
  let running = 0;
  let drained: (() => void) | null = null;
  let failure: { error: unknown } | null = null;
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
    for (const arrival of arrivalSequence(source, random)) {
      if (options.resume?.isDone(arrival.id)) {
        // Sent and recorded before the stop: counted, not sent again.
        arrivals++;
        started++;
        resumed++;
        continue;
      }
      // Arrivals of the stopped run's stretch that have no result are due at once.
      const dueAt = start + Math.max(0, arrival.offset - resumeAt);
      const wait = dueAt - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal?.aborted) break;
      const pause = options.ready?.();
      if (pause) await pause;
      if (signal?.aborted) break;

      arrivals++;
      const { persona, location, number } = arrival;
      if (active >= load.maxInFlight) {
        dropped++;
        droppedByPersona[persona.name] = (droppedByPersona[persona.name] ?? 0) + 1;
        continue;
      }
      if (!personaStarted.has(persona.name)) {
        personaStarted.add(persona.name);
        options.onRecord({ type: 'persona-start', persona: persona.name, planned: Math.round((expected * persona.weight) / totalWeight), at: clock.wallNow() });
      }
      started++;
      active++;
      if (active > peak) peak = active;
      // Timers may fire a little early; a visit is never due after it started.
      const job: JourneyJob = { id: arrival.id, persona, location, iteration: number, dueAt: Math.min(dueAt, clock.now()), vu: 0 };
      const slot = acquire();
      const run = (slot ? slot.then(() => options.runJourney(job)) : options.runJourney(job)).then((result) => {
        if (result.aborted) aborted++;
        else {
          completed++;
          for (const record of result.records) options.onRecord(record);
        }
      });
      running++;
      run
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          release();
          active--;
          if (--running === 0 && drained) drained();
        });
    }
    // The schedule's last interval is part of it: the achieved rate is measured over the whole span.
    const rest = start + scheduledMs - resumeAt - clock.now();
    if (rest > 0 && !signal?.aborted) await clock.sleep(rest, signal);
  }
  // Schedule time covered: a resumed run's pause is not part of it.
  const elapsedMs = resumeAt + clock.now() - start;
  if (running > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (failure) throw (failure as { error: unknown }).error;
  for (const p of pickable) if (personaStarted.has(p.persona.name)) options.onRecord({ type: 'persona-end', persona: p.persona.name, at: clock.wallNow() });

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
      ...(stride > 1 ? { share: { stride, offset: numbering.offset } } : {}),
      maxInFlight: load.maxInFlight,
      ...(load.concurrency !== undefined ? { concurrency: load.concurrency } : {}),
      scheduledMs,
      expectedArrivals: round(expected),
      arrivals,
      started,
      dropped,
      droppedByPersona,
      ...(progress ? { resumed, unrecordedBeforeResume: progress.unrecorded } : {}),
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
