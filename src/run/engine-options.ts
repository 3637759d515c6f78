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
import { createDispatcher } from '../engine/transport.js';
import type { Dispatcher } from 'undici';
import { asLocationTable } from '../inputs/location-table.js';
import type { LoadedInputs } from '../inputs/types.js';
import type { Redactor } from '../redact.js';

/** What differs between the main thread and a worker thread. */
export type EngineRunOptions = Pick<
  WorkloadOptions,
  | 'load' | 'plan' | 'seed' | 'scheduleSeed' | 'arrivalNumbering' | 'concurrency' | 'dispatcher' | 'onRecord' | 'ready' | 'signal' | 'abortInFlight' | 'skip' | 'clock'
  | 'setupVars' | 'setupSecrets' | 'vuNumbering' | 'elapsedMs' | 'graceMs' | 'onVu' | 'onVuStart' | 'onVuEnd'
>;

export function engineOptions(inputs: LoadedInputs, baseUrl: string, redactor: Redactor, run: EngineRunOptions): WorkloadOptions {
  const { config } = inputs;
  return {
    ...run,
    allLocations: asLocationTable(inputs.locations),
    // The closed model's load over time (duration or stages); the open model's `load` wins when set.
    vus: run.load ? null : config.vus,
    iterations: config.iterations,
    randomLocations: config.order === 'shuffled',
    retries: config.retries,
    // The run's seed itself, not the shard's or the worker's: a visit draws the same values wherever it runs.
    valuesSeed: config.seed,
    harnessCache: config.dedupe ? new HarnessCache<SentRequest>() : null,
    // By id from the table: a Location is made for the visit that needs it (no map over the file's rows).
    locations: asLocationTable(inputs.locations),
    buildRequest: createRequestBuilder(baseUrl, config.request, redactor),
    timeouts: config.timeouts,
    maxResponseBytes: config.maxResponseBytes,
    cache: config.cache,
    redactor,
    redirects: config.redirects,
    allowHosts: config.allowHosts ? new HostAllowList(config.allowHosts).withOrigin(baseUrl) : null,
    compression: config.transport.compression,
    http2: config.transport.http2,
  };
}

/** The run's dispatcher from its inputs: HTTP/2, TLS material and proxy as the config (or environment) says. */
export function dispatcherFor(inputs: LoadedInputs): Dispatcher {
  const { config } = inputs;
  return createDispatcher(config.timeouts, {
    insecure: config.insecure,
    http2: config.transport.http2,
    tls: inputs.transport?.tls ?? null,
    proxy: inputs.transport?.proxy ?? null,
  });
}
