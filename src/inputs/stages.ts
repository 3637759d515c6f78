/**
 * Load over time in the closed model: `duration:` (a constant number of virtual users for a time, k6's
 * constant-vus) and `stages:` (the number of VUs ramped linearly from stage to stage, k6's ramping-vus,
 * with `startVUs` and `gracefulRampDown`). Schemas, the `--stage 30s:10` flag form, and the typed value
 * the engine sees.
 */
import { z } from 'zod';
import { durationField, intBetween, LIMITS, strictObject } from './issues.js';

export interface Stage {
  durationMs: number;
  /** VUs at the end of the stage; the count moves linearly towards it from the stage before. */
  target: number;
}

/** A closed-model run that lasts a time instead of a number of passes over the plan. */
export type VuLoad =
  | {
      model: 'constant-vus';
      durationMs: number;
      /**
       * True: the VUs loop over the plan until the time is up. False (`iterations` was given too): one
       * run of the plan, cut short when the time is up (k6's shared-iterations with maxDuration).
       */
      loop: boolean;
    }
  | { model: 'ramping-vus'; stages: Stage[]; startVUs: number; gracefulRampDownMs: number };

/** As k6: a VU ramped down gets this long to finish its visit before it is cut. */
export const DEFAULT_GRACEFUL_RAMP_DOWN_MS = 30_000;
/** As k6's ramping-vus: one VU runs from the start unless `startVUs` says otherwise. */
export const DEFAULT_START_VUS = 1;

const vus = intBetween(0, LIMITS.concurrency);

export const stageSchema = strictObject({ duration: durationField(false), target: vus }).transform((s): Stage => ({ durationMs: s.duration, target: s.target }));
export const stagesSchema = z.array(stageSchema).min(1, { error: 'at least one stage such as { duration: 30s, target: 10 }' });
export const startVUsSchema = vus;
export const gracefulRampDownSchema = durationField(false);

export { parseStageFlag } from './stage-flag.js';

export function stagesDurationMs(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** The most VUs the schedule ever asks for. */
export function maxVUs(load: VuLoad, concurrency: number): number {
  return load.model === 'constant-vus' ? concurrency : Math.max(load.startVUs, ...load.stages.map((s) => s.target));
}

/** How long the load lasts (the schedule), ms. */
export function vuLoadDurationMs(load: VuLoad): number {
  return load.model === 'constant-vus' ? load.durationMs : stagesDurationMs(load.stages);
}
