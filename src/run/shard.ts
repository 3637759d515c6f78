/**
 * Shards and worker partitions: deterministic filters over the plan, so that n processes (or n worker
 * threads) together run every work item exactly once. Pure: no files, no environment reads except in
 * `shardFromEnvironment`, which the CLI calls.
 *
 * Closed model: shard i of n (1-based) takes the plan items whose index k has k mod n = i − 1. The plan is
 * index-addressed, so the shard is a view over it (no list is materialised) and each shard keeps the
 * plan's order. Open model: every shard draws the whole schedule (same seed) and runs arrival k of it
 * when k mod n = i − 1, so the shards together run exactly one process's arrivals. VUs of a timed closed-model run: see `vuNumbering`.
 */
import type { ArrivalNumbering } from '../engine/open-model.js';
import { SINGLE_PROCESS, type VuNumbering } from '../engine/vu-schedule.js';
import { UsageError } from '../errors.js';
import type { LoadConfig } from '../inputs/load.js';
import type { Plan } from '../plan/plan.js';
import type { WorkItem } from '../plan/types.js';

/** A shard as run.json records it: `index` is 1-based (shard 1 of 4 … shard 4 of 4), as `--shard i/n` writes it. */
export interface Shard {
  index: number;
  count: number;
}

export const SHARD_ENV = 'JOB_COMPLETION_INDEX';

/** Part i's share of n things (part i of count takes k with k mod count = i − 1): sizes differ by at most one and add up to n. */
export function shareOf(total: number, part: Shard): number {
  return Math.floor((total + part.count - part.index) / part.count);
}

/** `--shard 2/8` → { index: 2, count: 8 }. */
export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new UsageError(`--shard: expected i/n such as 2/8 (i from 1 to n), got "${value}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`--shard: the shard count must be at least 1, got "${value}"`);
  if (index < 1 || index > count) throw new UsageError(`--shard: i must be between 1 and ${count} (shards are numbered from 1), got "${value}"`);
  return { index, count };
}

/**
 * `--shards n` with the index from `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs; 0-based there, so
 * index 0 is shard 1 of n).
 */
export function shardFromEnvironment(count: number, env: NodeJS.ProcessEnv = process.env): Shard {
  const raw = env[SHARD_ENV];
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError(`--shards ${count}: ${SHARD_ENV} is not set; set it (0 to ${count - 1}, as a Kubernetes Indexed Job does) or use --shard i/n`);
  }
  const zeroBased = Number(raw);
  if (!Number.isInteger(zeroBased) || zeroBased < 0 || zeroBased >= count) {
    throw new UsageError(`--shards ${count}: ${SHARD_ENV} must be a whole number from 0 to ${count - 1}, got "${raw}"`);
  }
  return { index: zeroBased + 1, count };
}

/**
 * Items k of `plan` with k mod count = index − 1 (index 1-based), in plan order. With count 1 the plan
 * itself. Composes: a worker partition of a shard is `partitionPlan(partitionPlan(plan, shard), worker)`.
 */
export function partitionPlan(plan: Plan, part: Shard): Plan {
  if (part.count === 1) return plan;
  const offset = part.index - 1;
  const size = plan.size > offset ? Math.floor((plan.size - 1 - offset) / part.count) + 1 : 0;
  const at = (k: number): WorkItem => plan.itemAt(k * part.count + offset);
  const perPersona = new Map<string, number>(plan.personas.map((p) => [p.name, 0]));
  for (let k = 0; k < size; k++) {
    const item = at(k);
    perPersona.set(item.persona, (perPersona.get(item.persona) ?? 0) + 1);
  }
  return {
    size,
    personas: plan.personas,
    perPersona,
    itemAt: (k) => {
      if (!Number.isInteger(k) || k < 0 || k >= size) throw new RangeError(`plan index ${k} out of range 0..${size - 1}`);
      return at(k);
    },
    *[Symbol.iterator]() {
      for (let k = 0; k < size; k++) yield at(k);
    },
  };
}

/**
 * The rate one part sees, for what is shown while it runs (live metrics, progress): every phase at
 * rate / count (ramps too). The engine runs the whole schedule's every count-th arrival instead.
 */
export function partitionLoad(load: LoadConfig, part: Shard): LoadConfig {
  if (part.count === 1) return load;
  return {
    ...load,
    phases: load.phases.map((p) => ({ ...p, rate: p.rate / part.count, ...(p.rampTo !== undefined ? { rampTo: p.rampTo / part.count } : {}) })),
  };
}

/**
 * The open-model arrivals of one (shard, worker) pair: k mod stride = offset. The ids (numbered k) stay
 * unique across every shard and worker thread, and the pairs together cover every arrival once.
 */
export function arrivalNumbering(shard: Shard | null, part: Shard = { index: 1, count: 1 }): ArrivalNumbering {
  const s = shard ?? { index: 1, count: 1 };
  return { stride: s.count * part.count, offset: s.index - 1 + s.count * (part.index - 1) };
}

/**
 * The closed model's VU ids of a shard. A run for a duration or in stages splits its VUs round-robin
 * (shard i of n runs VUs i, i + n, i + 2n, …), so that at every moment the shards' VUs add up to the
 * single run's; an iterations run splits the plan instead, and each shard keeps the whole concurrency,
 * its VU ids after the shards before it.
 */
export function vuNumbering(shard: Shard | null, timed: boolean, concurrency: number): VuNumbering {
  if (!shard || shard.count === 1) return SINGLE_PROCESS;
  return timed ? { base: 0, stride: shard.count, offset: shard.index - 1 } : { base: (shard.index - 1) * concurrency, stride: 1, offset: 0 };
}
