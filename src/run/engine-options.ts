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
import { selectLocations } from '../inputs/locations.js';
import { createDispatcher } from '../engine/transport.js';
import type { Dispatcher } from 'undici';
import type { Location, LoadedInputs } from '../inputs/types.js';
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
    allLocations: inputs.locations,
    // The closed model's load over time (duration or stages); the open model's `load` wins when set.
    vus: run.load ? null : config.vus,
    iterations: config.iterations,
    randomLocations: config.order === 'shuffled',
    retries: config.retries,
    // The run's seed itself, not the shard's or the worker's: a visit draws the same values wherever it runs.
    valuesSeed: config.seed,
    harnessCache: config.dedupe ? new HarnessCache<SentRequest>() : null,
    locations: visitedLocations(inputs),
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

/**
 * The locations some persona visits, by id: every one when a persona has no filter, else the union of
 * the filters' picks (a persona that visits 1,000 rows of a 1M-row file does not index the other 999,000).
 */
function visitedLocations(inputs: LoadedInputs): Map<string, Location> {
  if (inputs.personas.some((p) => p.locations === undefined)) return new Map(inputs.locations.map((l) => [l.id, l]));
  const visited = new Map<string, Location>();
  for (const persona of inputs.personas) for (const l of selectLocations(inputs.locations, persona.locations)) visited.set(l.id, l);
  return visited;
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
