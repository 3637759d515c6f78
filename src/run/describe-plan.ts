/**
 * What `troupe validate` reports: the size of the plan a run with these inputs and flags would
 * execute, without sending anything. Shares the plan, shard and arrival arithmetic with the run itself,
 * so the numbers are the run's numbers.
 */
import { expectedArrivals, scheduleDurationMs } from '../inputs/load.js';
import { maxVUs, vuLoadDurationMs } from '../inputs/stages.js';
import type { LoadedInputs } from '../inputs/types.js';
import type { Threshold } from '../metrics/thresholds.js';
import { buildPlan } from '../plan/plan.js';
import { Redactor } from '../redact.js';
import { partitionPlan, shareOf, type Shard } from './shard.js';

export interface PlanDescription {
  ok: true;
  personas: number;
  locations: number;
  /** Secrets redacted; `demo` for the embedded target. */
  target: string;
  model: 'closed' | 'open';
  /** What `planned` counts: a journey visit is several requests; the open model plans arrivals. */
  unit: 'requests' | 'journeys' | 'arrivals';
  /** Closed: work items (of this shard, if any). Open: expected arrivals, rounded. */
  planned: number;
  iterations?: number;
  /** Closed model for a duration or in stages: its model, length (s) and most VUs. */
  vus?: { model: 'constant-vus' | 'ramping-vus'; durationSeconds: number; maxVUs: number; stages?: number };
  /** Open model: the schedule's length in seconds, and the arrival process. */
  durationSeconds?: number;
  arrival?: 'uniform' | 'poisson';
  shard?: Shard;
  thresholds: string[];
}

export function describePlan(inputs: LoadedInputs, options: { shard?: Shard; thresholds: readonly Threshold[] }): PlanDescription {
  const { config } = inputs;
  const shared = {
    ok: true as const,
    personas: inputs.personas.length,
    locations: inputs.locations.length,
    target: config.target === 'demo' ? 'demo' : new Redactor(inputs.secrets).url(config.target),
    ...(options.shard ? { shard: options.shard } : {}),
    thresholds: options.thresholds.map((t) => t.expression),
  };
  if (config.load) {
    return {
      ...shared,
      model: 'open',
      unit: 'arrivals',
      planned: shareOf(Math.round(expectedArrivals(config.load.phases)), options.shard ?? { index: 1, count: 1 }),
      durationSeconds: scheduleDurationMs(config.load.phases) / 1000,
      arrival: config.load.arrival,
    };
  }
  const plan = buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed });
  const planned = options.shard ? partitionPlan(plan, options.shard).size : plan.size;
  const vus = config.vus
    ? { vus: { model: config.vus.model, durationSeconds: vuLoadDurationMs(config.vus) / 1000, maxVUs: maxVUs(config.vus, config.concurrency), ...(config.vus.model === 'ramping-vus' ? { stages: config.vus.stages.length } : {}) } }
    : {};
  return { ...shared, ...vus, model: 'closed', unit: config.journey || inputs.personas.some((p) => p.journey) ? 'journeys' : 'requests', planned, iterations: config.iterations };
}

/** The one line `troupe validate` prints. */
export function describePlanLine(d: PlanDescription): string {
  const target = d.target === 'demo' ? 'the demo target' : d.target;
  const inputs = `${d.personas} personas, ${d.locations} locations`;
  const shard = d.shard ? ` (shard ${d.shard.index}/${d.shard.count})` : '';
  const plan =
    d.model === 'open'
      ? `open model → about ${d.planned} ${d.arrival} arrivals over ${d.durationSeconds} s`
      : d.vus
        ? `${d.vus.model === 'ramping-vus' ? `up to ${d.vus.maxVUs} VUs in ${d.vus.stages} stage(s)` : `${d.vus.maxVUs} VUs`} for ${d.vus.durationSeconds} s, looping over ${d.planned} ${d.unit}`
        : `${d.iterations} iteration(s) → ${d.planned} ${d.unit}`;
  const gate = d.thresholds.length > 0 ? `; ${d.thresholds.length} threshold(s)` : '';
  return `ok: ${inputs}, ${plan}${shard} against ${target}${gate}`;
}
