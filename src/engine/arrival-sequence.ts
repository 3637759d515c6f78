/**
 * The open model's arrivals as a pure, repeatable sequence: when each one comes due, which persona
 * it picks and which location, and its work-item id. The same phases, personas and random source
 * give the same sequence, which is what lets a resumed run know which arrivals it has already sent
 * (their ids are in results.ndjson) and where in the schedule the stopped run had got to.
 *
 * The random source feeds only this sequence (journeys draw their think times and retry jitter from
 * another), so the sequence does not depend on how the target answered.
 */
import type { ArrivalProcess, LoadPhase } from '../inputs/load.js';
import type { LocationList } from '../inputs/location-table.js';
import type { Location, Persona } from '../inputs/types.js';
import { arrivalOffsets } from './arrivals.js';

export interface ArrivalNumbering {
  stride: number;
  offset: number;
}

export interface Arrival {
  /** 0-based position in this process's sequence. */
  index: number;
  /** ms from the start of the schedule. */
  offset: number;
  persona: Persona;
  location: Location;
  /** Position in the whole schedule (every shard's): unique across shards and worker threads. */
  number: number;
  /** `persona-slug/location-id/number`. */
  id: string;
}

export interface ArrivalSource {
  phases: readonly LoadPhase[];
  process: ArrivalProcess;
  personas: readonly Persona[];
  /** An array, or a location table's picks (a Location made when an arrival takes it). */
  locationsOf: (persona: Persona) => LocationList;
  randomLocations: boolean;
  numbering: ArrivalNumbering;
}

/** Personas that can be picked (those with at least one location) and their total weight. */
export function pickablePersonas(source: Pick<ArrivalSource, 'personas' | 'locationsOf'>): { persona: Persona; locations: LocationList }[] {
  return source.personas.map((persona) => ({ persona, locations: source.locationsOf(persona) })).filter((p) => p.locations.length > 0);
}

export function* arrivalSequence(source: ArrivalSource, random: () => number): Generator<Arrival> {
  const pickable = pickablePersonas(source).map((p) => ({ ...p, cursor: 0 }));
  if (pickable.length === 0) return;
  const totalWeight = pickable.reduce((sum, p) => sum + p.persona.weight, 0);
  const pick = () => {
    let r = random() * totalWeight;
    for (const p of pickable) {
      r -= p.persona.weight;
      if (r < 0) return p;
    }
    return pickable[pickable.length - 1]!;
  };
  // Every shard (and worker thread) draws the whole schedule, persona and location included, so the
  // draws stay in step; it keeps every stride-th arrival. The shards' shares add up to one process's
  // schedule exactly: the same due times, personas, locations and ids.
  const stride = Math.max(1, source.numbering.stride);
  let index = 0;
  let k = -1;
  for (const offset of arrivalOffsets(source.phases, source.process, random)) {
    k++;
    const p = pick();
    const at = source.randomLocations ? Math.floor(random() * p.locations.length) : p.cursor++ % p.locations.length;
    if (k % stride !== source.numbering.offset) continue;
    const location = p.locations.at(at)!;
    yield { index, offset, persona: p.persona, location, number: k, id: `${p.persona.slug}/${location.id}/${k}` };
    index++;
  }
}

/** Where a stopped run had got to in its schedule, from the arrivals it recorded. */
export interface ScheduleProgress {
  /** The offset (ms) of the last arrival with a recorded result; 0 when none has one. */
  resumeAt: number;
  /** Arrivals with a recorded result. */
  done: number;
  /** Arrivals due before `resumeAt` without a recorded result: sent and not recorded, cut, or dropped at maxInFlight. */
  unrecorded: number;
}

/**
 * One pass over the sequence (a fresh copy of the random source: the same seed) to find how far the
 * stopped run got. Arrivals come in offset order, so those missing before the last recorded one are
 * exactly those missing when it is reached.
 */
export function scheduleProgress(source: ArrivalSource, random: () => number, isDone: (id: string) => boolean): ScheduleProgress {
  let resumeAt = 0;
  let done = 0;
  let missing = 0;
  let unrecorded = 0;
  for (const arrival of arrivalSequence(source, random)) {
    if (isDone(arrival.id)) {
      done++;
      resumeAt = arrival.offset;
      unrecorded = missing;
    } else missing++;
  }
  return { resumeAt, done, unrecorded };
}
