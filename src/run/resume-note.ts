/**
 * What a resume can honestly say about the requests it sends again. results.ndjson holds what the
 * stopped run recorded; what it sent and never recorded is on no disk. Two things are known:
 *
 * - `before`: visits that come before the stopped run's last recorded one (in plan order; open model:
 *   in the schedule) and have no result. The stopped run had almost surely sent them (in flight at the
 *   stop, cut after the grace period); some may never have left (the open model's drops at
 *   maxInFlight, a persona waiting for its own concurrency slot).
 * - `atMost`: a bound on all the visits sent again that the target may already have answered: those in
 *   flight at the stop (at most the concurrency; open model: maxInFlight) plus those completed but not
 *   yet written at a `kill -9` (the loss window, RESULTS_FLUSH; per worker thread too).
 */
import { arrivalSequence, scheduleProgress } from '../engine/arrival-sequence.js';
import { pickLocations } from '../inputs/locations.js';
import type { LoadConfig } from '../inputs/load.js';
import type { LoadedInputs } from '../inputs/types.js';
import type { Plan } from '../plan/plan.js';
import { RESULTS_FLUSH, WORKER_BATCH } from '../run-dir/results-writer.js';
import { mulberry32 } from '../util/random.js';
import { arrivalNumbering, partitionLoad, type Shard } from './shard.js';

export interface ResumeNote {
  /** Visits already in results.ndjson. */
  done: number;
  /** Visits this resume sends (closed model: the plan's rest; open model: the schedule's rest). */
  toSend: number;
  before: number;
  atMost: number;
  /** The two parts of `atMost`. */
  inFlight: number;
  unflushed: number;
}

export interface ResumeNoteInput {
  inputs: LoadedInputs;
  plan: Plan;
  load: LoadConfig | null;
  shard: Shard | null;
  seed: number;
  /** Engine threads (`--workers`), as the run used them. */
  workers: number;
  done: ReadonlySet<string>;
}

export function resumeNote(input: ResumeNoteInput): ResumeNote {
  const { inputs, plan, load, done } = input;
  const threads = Math.max(1, Math.min(input.workers, load ? input.workers : inputs.config.concurrency));
  const unflushed = RESULTS_FLUSH.lines - 1 + (threads > 1 ? threads * WORKER_BATCH : 0);
  if (load) {
    let before = 0;
    let total = 0;
    // Each engine thread ran its own sequence (its seed, its share of the rate, its numbering).
    for (let i = 0; i < threads; i++) {
      const part = { index: i + 1, count: threads };
      const source = {
        phases: (threads > 1 ? partitionLoad(load, part) : load).phases,
        process: load.arrival,
        personas: inputs.personas,
        locationsOf: (p: (typeof inputs.personas)[number]) => pickLocations(inputs.locations, p.locations),
        randomLocations: inputs.config.order === 'shuffled',
        numbering: arrivalNumbering(input.shard, part),
      };
      const seed = threads > 1 ? input.seed * 1000 + i : input.seed;
      before += scheduleProgress(source, mulberry32(seed), (id) => done.has(id)).unrecorded;
      for (const _ of arrivalSequence(source, mulberry32(seed))) total++;
    }
    return { done: done.size, toSend: Math.max(0, total - done.size), before, atMost: load.maxInFlight + unflushed, inFlight: load.maxInFlight, unflushed };
  }
  // Closed model: each thread takes the items k with k mod threads = its index, in plan order.
  const missing = new Array<number>(threads).fill(0);
  const beforeLast = new Array<number>(threads).fill(0);
  let toSend = 0;
  for (let k = 0; k < plan.size; k++) {
    const t = k % threads;
    if (done.has(plan.itemAt(k).id)) beforeLast[t] = missing[t]!;
    else {
      missing[t]!++;
      toSend++;
    }
  }
  const inFlight = inputs.config.concurrency;
  return { done: plan.size - toSend, toSend, before: beforeLast.reduce((a, b) => a + b, 0), atMost: inFlight + unflushed, inFlight, unflushed };
}

/** The sentence a resume prints on stderr and run.json keeps the numbers of. */
export function describeResumeNote(note: ResumeNote): string {
  const visits = (n: number) => `${n} visit${n === 1 ? '' : 's'}`;
  const head = `resuming: ${visits(note.done)} already in results.ndjson, ${visits(note.toSend)} to send`;
  if (note.toSend === 0) return `${head}.`;
  return `${head}. The stopped run may have sent some of these already, and the target answered them: `
    + `${note.before} come before its last recorded visit without a result; at most ${note.atMost} in all `
    + `(up to ${note.inFlight} in flight when it stopped, up to ${note.unflushed} completed but not yet written at a kill -9).`;
}
