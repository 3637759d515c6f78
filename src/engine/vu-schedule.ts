/**
 * Pure arithmetic of the closed model's virtual users: how many a schedule asks for at a moment (k6's
 * ramping-vus: linear per stage, the count moving by whole VUs), when that number changes next, and
 * which VU ids a shard or worker thread owns.
 */
import type { Stage } from '../inputs/stages.js';

/**
 * VU ids owned by one process or thread: local VU j (0-based) has id `base + offset + 1 + j × stride`.
 * Shards and worker threads of a timed run split the ids round-robin (stride n, offset i − 1), so that
 * at any moment their VUs add up to the single run's; shards of an iterations run each keep the whole
 * concurrency, with ids moved past the shards before them (`base`).
 */
export interface VuNumbering {
  base: number;
  stride: number;
  offset: number;
}

export const SINGLE_PROCESS: VuNumbering = { base: 0, stride: 1, offset: 0 };

export function vuId(numbering: VuNumbering, j: number): number {
  return numbering.base + numbering.offset + 1 + j * numbering.stride;
}

/** Of the VUs 1..target (counted from `base`), how many are this numbering's. */
export function localVUs(numbering: VuNumbering, target: number): number {
  return target > numbering.offset ? Math.floor((target - numbering.offset - 1) / numbering.stride) + 1 : 0;
}

/** Part `index` of `count` (1-based) of a numbering's ids, round-robin. */
export function splitNumbering(numbering: VuNumbering, part: { index: number; count: number }): VuNumbering {
  return { base: numbering.base, stride: numbering.stride * part.count, offset: numbering.offset + numbering.stride * (part.index - 1) };
}

// |diff| × elapsed / duration lands a hair under a whole number for some ms values; this keeps it whole.
const EPSILON = 1e-9;

/**
 * VUs the schedule asks for `t` ms after it started: within a stage from `from` to `to` over `d` ms, the
 * count is `from ± floor(|to − from| × elapsed / d)`, so it reaches `to` exactly when the stage ends
 * (k6's ramping-vus). After the last stage: its target.
 */
export function targetAt(stages: readonly Stage[], startVUs: number, t: number): number {
  let from = startVUs;
  let start = 0;
  for (const stage of stages) {
    if (t < start + stage.durationMs) {
      const diff = stage.target - from;
      return from + Math.sign(diff) * Math.floor((Math.abs(diff) * (t - start)) / stage.durationMs + EPSILON);
    }
    from = stage.target;
    start += stage.durationMs;
  }
  return from;
}

/** Every change of the target after `afterMs` (exclusive), in time order: when it happens and the new count. */
export function* targetChanges(stages: readonly Stage[], startVUs: number, afterMs: number): Generator<{ atMs: number; target: number }> {
  let from = startVUs;
  let start = 0;
  for (const stage of stages) {
    const diff = stage.target - from;
    const steps = Math.abs(diff);
    // A stage of no length jumps to its target at once.
    if (stage.durationMs === 0 && steps > 0 && start > afterMs) yield { atMs: start, target: stage.target };
    for (let i = 1; stage.durationMs > 0 && i <= steps; i++) {
      const atMs = start + (i * stage.durationMs) / steps;
      if (atMs > afterMs) yield { atMs, target: from + Math.sign(diff) * i };
    }
    from = stage.target;
    start += stage.durationMs;
  }
}
