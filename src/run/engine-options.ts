/**
 * The engine's options for one run, built the same way in the main thread (`--workers 1`) and in each
 * worker thread: everything that comes from the inputs and the target, plus what the caller owns
 * (the plan part, the record callback, backpressure, stop signals, what to skip).
 */
import { HostAllowList } from '../engine/allow-hosts.js';
import { HarnessCache } from '../engine/dedupe.js';
import type { SentRequest } from '../engine/journey.js';
import type { WorkloadOptions } from '../engine/load-models.js';
import { createRequestBuilder } from '../engine/request-builder.js';
import type { LoadedInputs } from '../inputs/types.js';
import type { Redactor } from '../redact.js';

/** What differs between the main thread and a worker thread. */
export type EngineRunOptions = Pick<
  WorkloadOptions,
  'load' | 'plan' | 'seed' | 'arrivalNumbering' | 'concurrency' | 'dispatcher' | 'onRecord' | 'ready' | 'signal' | 'abortInFlight' | 'skip' | 'clock'
>;

export function engineOptions(inputs: LoadedInputs, baseUrl: string, redactor: Redactor, run: EngineRunOptions): WorkloadOptions {
  const { config } = inputs;
  return {
    ...run,
    allLocations: inputs.locations,
    randomLocations: config.order === 'shuffled',
    retries: config.retries,
    // The run's seed itself, not the shard's or the worker's: a visit draws the same values wherever it runs.
    valuesSeed: config.seed,
    harnessCache: config.dedupe ? new HarnessCache<SentRequest>() : null,
    locations: new Map(inputs.locations.map((l) => [l.id, l])),
    buildRequest: createRequestBuilder(baseUrl, config.request, redactor),
    timeouts: config.timeouts,
    maxResponseBytes: config.maxResponseBytes,
    cache: config.cache,
    redactor,
    redirects: config.redirects,
    allowHosts: config.allowHosts ? new HostAllowList(config.allowHosts).withOrigin(baseUrl) : null,
  };
}
