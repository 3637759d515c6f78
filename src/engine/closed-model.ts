import PQueue from 'p-queue';
import type { Dispatcher } from 'undici';
import type { CacheDetection, Location, Persona, Timeouts } from '../fixtures/types.js';
import type { Plan } from '../plan/plan.js';
import type { WorkItem } from '../plan/types.js';
import type { Redactor } from '../redact.js';
import { cacheStatusFromHeaders, cacheStatusFromJson } from './cache-status.js';
import { systemClock, type Clock } from './clock.js';
import type { HostAllowList } from './allow-hosts.js';
import { sendRequest, type RedirectPolicy } from './http.js';
import type { EngineRecord, ResultRecord } from './records.js';
import type { RequestBuilder } from './request-builder.js';

export interface ClosedModelOptions {
  plan: Plan;
  locations: ReadonlyMap<string, Location>;
  buildRequest: RequestBuilder;
  dispatcher: Dispatcher;
  concurrency: number;
  timeouts: Timeouts;
  maxResponseBytes: number;
  cache: CacheDetection;
  redactor: Redactor;
  onRecord: (record: EngineRecord) => void;
  /**
   * Backpressure from the consumers: when it returns a promise, no new work starts until it settles
   * (the results file is flushing).
   */
  ready?: () => Promise<void> | undefined;
  /** Items already done (resume) or belonging to another shard. */
  skip?: (item: WorkItem) => boolean;
  /** Aborting stops new work from starting; requests in flight finish. */
  signal?: AbortSignal;
  /**
   * Aborting cuts the requests in flight (the grace period after an interrupt ran out). They are not
   * emitted as results, only counted in `aborted`, so a resume runs them again.
   */
  abortInFlight?: AbortSignal;
  redirects?: RedirectPolicy;
  /** When set, every request and redirect hop must go to a host it allows. */
  allowHosts?: HostAllowList | null;
  clock?: Clock;
  random?: () => number;
}

export interface ClosedModelOutcome {
  planned: number;
  started: number;
  completed: number;
  /** True when the signal stopped the run before every planned item started or completed. */
  stoppedEarly: boolean;
  /** Requests cut by `abortInFlight`: started, not completed, not emitted. */
  aborted: number;
}

interface PersonaState {
  persona: Persona;
  planned: number;
  completed: number;
  started: boolean;
  /** Optional per-persona bound; null when only the global bound applies. */
  gate: PQueue | null;
}

/**
 * Closed model: at most `concurrency` requests in flight. A slot that ran a persona's request rests for
 * that persona's think time before taking the next item, as a user (or k6's VU sleep) would.
 */
export async function runClosedModel(options: ClosedModelOptions): Promise<ClosedModelOutcome> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { plan, signal } = options;
  const keepBody = Boolean(options.cache.jsonPath);
  const queue = new PQueue({ concurrency: options.concurrency });
  const personas = new Map<string, PersonaState>();

  for (const persona of plan.personas) {
    personas.set(persona.name, {
      persona,
      planned: 0,
      completed: 0,
      started: false,
      gate: persona.concurrency && persona.concurrency < options.concurrency ? new PQueue({ concurrency: persona.concurrency }) : null,
    });
  }
  // Count what will actually run per persona (after skips) so persona-end fires at the right moment.
  let planned = 0;
  for (const item of plan) {
    if (options.skip?.(item)) continue;
    personas.get(item.persona)!.planned++;
    planned++;
  }

  let started = 0;
  let completed = 0;
  let aborted = 0;

  const execute = async (item: WorkItem, state: PersonaState): Promise<void> => {
    // Items already queued when the stop signal came are dropped here: nothing new starts after it.
    if (signal?.aborted) return;
    started++;
    if (!state.started) {
      state.started = true;
      options.onRecord({ type: 'persona-start', persona: state.persona.name, planned: state.planned, at: clock.wallNow() });
    }
    const location = options.locations.get(item.location)!;
    const record = await performRequest(options, item, state.persona, location, keepBody, clock);
    if (record.error === 'aborted') {
      aborted++;
      return;
    }
    completed++;
    state.completed++;
    options.onRecord(record);
    if (state.completed === state.planned) {
      options.onRecord({ type: 'persona-end', persona: state.persona.name, at: clock.wallNow() });
    }
    const think = state.persona.thinkTime;
    if (think && state.completed < state.planned && !signal?.aborted) {
      await clock.sleep(think.minMs + random() * (think.maxMs - think.minMs), signal);
    }
  };

  // Feed the queue lazily: the plan can hold millions of items and only a window is ever materialised.
  const window = Math.max(options.concurrency * 2, 16);
  for (const item of plan) {
    if (signal?.aborted) break;
    if (options.skip?.(item)) continue;
    const pause = options.ready?.();
    if (pause) await pause;
    if (queue.size >= window) await queue.onSizeLessThan(window);
    if (signal?.aborted) break;
    const state = personas.get(item.persona)!;
    const task = () => execute(item, state);
    if (state.gate) {
      const gate = state.gate;
      void gate.add(() => queue.add(task));
    } else {
      void queue.add(task);
    }
  }
  await Promise.all([...personas.values()].map((s) => s.gate?.onIdle()));
  await queue.onIdle();
  return { planned, started, completed, stoppedEarly: started < planned || aborted > 0, aborted };
}

async function performRequest(
  options: ClosedModelOptions,
  item: WorkItem,
  persona: Persona,
  location: Location,
  keepBody: boolean,
  clock: Clock,
): Promise<ResultRecord> {
  const startedAt = clock.wallNow();
  const base = { type: 'result' as const, id: item.id, persona: persona.name, location: location.id, iteration: item.iteration };
  let outgoing;
  try {
    outgoing = options.buildRequest(persona, location, item.iteration);
  } catch (err) {
    return {
      ...base,
      step: 'request',
      method: '',
      url: '',
      status: null,
      ok: false,
      error: 'template',
      message: options.redactor.text(err instanceof Error ? err.message : String(err)),
      latencyMs: 0,
      ttfbMs: null,
      bytes: 0,
      cache: 'unknown',
      startedAt,
    };
  }
  const outcome = await sendRequest(options.dispatcher, outgoing, {
    timeouts: options.timeouts,
    maxResponseBytes: options.maxResponseBytes,
    keepBody,
    now: clock.now,
    redirects: options.redirects,
    allowHosts: options.allowHosts,
    isSensitiveHeader: (name) => options.redactor.isSensitiveHeader(name),
    signal: options.abortInFlight,
  });
  let cache = outcome.headers ? cacheStatusFromHeaders(outcome.headers, options.cache) : 'unknown';
  if (cache === 'unknown' && outcome.bodyText !== undefined) cache = cacheStatusFromJson(outcome.bodyText, options.cache);
  const record: ResultRecord = {
    ...base,
    step: outgoing.step,
    method: outgoing.method,
    url: outgoing.displayUrl,
    status: outcome.status,
    ok: outcome.ok,
    error: outcome.error,
    latencyMs: round3(outcome.latencyMs),
    ttfbMs: outcome.ttfbMs === null ? null : round3(outcome.ttfbMs),
    bytes: outcome.bytes,
    cache,
    ...(outcome.redirects > 0 ? { redirects: outcome.redirects } : {}),
    startedAt,
  };
  if (outcome.message) record.message = options.redactor.text(outcome.message);
  else if (outcome.error) record.message = `HTTP ${outcome.status}`;
  return record;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
