/**
 * One visit of a persona to a location: its journey's steps in order (or the single request of a
 * persona without a journey), each sent with retries and the harness cache when they are on, judged
 * by its checks, its captures feeding later steps. Both load models run work through here; the result
 * is the visit's records, which the caller emits.
 */
import type { Dispatcher } from 'undici';
import type { JourneyStep } from '../inputs/journey.js';
import type { RetryPolicy } from '../inputs/load.js';
import type { CacheDetection, Location, Persona, ThinkTime, Timeouts } from '../inputs/types.js';
import type { Redactor } from '../redact.js';
import type { HostAllowList } from './allow-hosts.js';
import { classifyCache, detectorsFor } from './cache-status.js';
import { ResponseView, captureValue } from './capture.js';
import { runChecks, statusAccepted } from './checks.js';
import { compileValue, type RenderContext } from './template.js';
import { visitValues, type VisitValues } from './visit-values.js';
import { systemClock, type Clock } from './clock.js';
import { HarnessCache } from './dedupe.js';
import { sendRequest, type CookieHandler, type HttpOutcome, type RedirectPolicy, type SendOptions } from './http.js';
import type { CheckResult, ResultRecord } from './records.js';
import type { BuiltRequest, RequestBuilder } from './request-builder.js';
import { isRetryable, retryDelay } from './retry.js';
import { maskRecord } from './session.js';
import type { Capture } from '../inputs/journey.js';

export interface JourneyEngineOptions {
  buildRequest: RequestBuilder;
  dispatcher: Dispatcher;
  timeouts: Timeouts;
  maxResponseBytes: number;
  cache: CacheDetection;
  redactor: Redactor;
  /** Cuts requests, think times and retry waits in flight (the grace period ran out). */
  abortInFlight?: AbortSignal;
  redirects?: RedirectPolicy;
  allowHosts?: HostAllowList | null;
  clock?: Clock;
  random?: () => number;
  retries?: RetryPolicy | null;
  harnessCache?: HarnessCache<SentRequest> | null;
  /** Ask for compressed responses and decode them (the config's `compression`). */
  compression?: boolean;
  /** HTTP/2 was offered (the config's `http2`): records say which protocol answered. */
  http2?: boolean;
  /** Virtual users' sessions (src/engine/sessions.ts): setup, cookie jar, captures. Absent: every visit starts from nothing. */
  sessions?: SessionLayer | null;
  /** The run-level setup's captures, `{{setup.NAME}}` (absent: none). */
  setupVars?: Readonly<Record<string, unknown>>;
  /** The run's seed: each visit's `$` template functions draw from a stream of (this, visit id). Default 1. */
  valuesSeed?: number;
}

/** What the journey runner asks of the sessions: a runner of visits in sessions, built over the step runner. */
export interface SessionLayer {
  runner(runSteps: StepRunner): JourneyRunner;
}

export interface JourneyJob {
  /** Work item id: `persona/location/iteration` (closed model) or `persona/location/arrivalIndex` (open model). */
  id: string;
  persona: Persona;
  location: Location;
  iteration: number;
  /** Open model: when the visit was due, on the clock's monotonic scale. Records then carry response times. */
  dueAt?: number;
  /** The virtual user (1-based, stable for its life; `{{vu}}`); 0: none (an open-model arrival). Sessions are kept per VU. */
  vu: number;
}

export interface JourneyResult {
  /** Every attempt of every step that ran, in order. */
  records: ResultRecord[];
  /** Cut by `abortInFlight`: the records are not to be emitted (a resume runs the visit again). */
  aborted: boolean;
  /**
   * The VU's setup failed and its persona says `setupFailure.then: stop`: the visit was not run and the
   * VU stops (the closed model ends its loop; onVuEnd follows).
   */
  stopVu?: boolean;
}

/** What a list of steps runs in: where captures go, the session's cookie jar, the run-level setup's values. */
export interface StepContext {
  /** `{{vars.NAME}}`: read by the steps, and every capture is written here. */
  vars: Record<string, unknown>;
  cookies?: CookieHandler | null;
  setup?: Readonly<Record<string, unknown>>;
  /** Masks the session's secrets (its cookies) in what records carry: URLs, messages, check messages. */
  mask?: ((text: string) => string) | null;
  /** Receives values captured from a credential header (they are secrets of the session from then on). */
  addSecret?: (value: string) => void;
  /**
   * True while responses may be this session's own (it holds cookies), and always in a setup or
   * teardown: such requests bypass the harness cache (`cache.dedupe`), which would share them.
   */
  ownResponses?: () => boolean;
}

export interface StepsResult extends JourneyResult {
  /** What ended the steps early (a failed request, check or capture of an `onFail: stop` step); null when all ran. */
  failure: string | null;
}

/** Runs a list of steps (a visit's journey, a setup, a teardown) for one job, in one context. */
export type StepRunner = (job: JourneyJob, steps: ReadonlyArray<JourneyStep | undefined>, ctx: StepContext) => Promise<StepsResult>;

/** One attempt sent to the target. */
interface Attempt {
  outcome: HttpOutcome;
  /** Epoch ms when it was sent. */
  startedAt: number;
  /** When it completed, on the clock's monotonic scale. */
  end: number;
}

/** A request after its retries: what the harness cache keeps. */
export interface SentRequest {
  attempts: Attempt[];
  /** The final attempt's outcome. */
  outcome: HttpOutcome;
}

export type JourneyRunner = (job: JourneyJob) => Promise<JourneyResult>;

/** The step name on a visit's first record: its journey's first step, or `request` without a journey. */
export function firstStepName(persona: Persona): string {
  return persona.journey?.[0]?.name ?? 'request';
}

/** A think-time pause drawn uniformly from its range; 0 without one. */
export function thinkMs(think: ThinkTime | undefined, random: () => number): number {
  return think ? think.minMs + random() * (think.maxMs - think.minMs) : 0;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function createJourneyRunner(options: JourneyEngineOptions): JourneyRunner {
  const runSteps = createStepRunner(options);
  if (options.sessions) return options.sessions.runner(runSteps);
  return (job) => runSteps(job, job.persona.journey ?? [undefined], { vars: {}, ...(options.setupVars ? { setup: options.setupVars } : {}) });
}

export function createStepRunner(options: JourneyEngineOptions): StepRunner {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { redactor, retries } = options;
  const harness = options.harnessCache ?? null;
  // Dedupe hands one response to many steps, whose checks may need the body.
  const keepAllBodies = Boolean(options.cache.jsonPath) || harness !== null;
  const cacheDetectors = detectorsFor(options.cache);
  const sensitive = (name: string) => redactor.isSensitiveHeader(name);
  const wallNow = () => clock.wallNow();
  const valuesSeed = options.valuesSeed ?? 1;

  // The same for every attempt: built once, not per request.
  const sendWithoutBody: SendOptions = {
    timeouts: options.timeouts,
    maxResponseBytes: options.maxResponseBytes,
    keepBody: false,
    clock,
    redirects: options.redirects,
    allowHosts: options.allowHosts,
    isSensitiveHeader: (name) => redactor.isSensitiveHeader(name),
    signal: options.abortInFlight,
    compression: options.compression ?? false,
    http2: options.http2 ?? false,
  };
  const sendWithBody: SendOptions = { ...sendWithoutBody, keepBody: true };

  const sendWithRetries = async (out: BuiltRequest, keepBody: boolean, cookies: CookieHandler | null = null): Promise<SentRequest> => {
    const attempts: Attempt[] = [];
    for (let n = 1; ; n++) {
      const startedAt = clock.wallNow();
      const outcome = await sendRequest(options.dispatcher, out, keepBody ? sendWithBody : sendWithoutBody, cookies);
      const attempt: Attempt = { outcome, startedAt, end: outcome.endedAt ?? clock.now() };
      attempts.push(attempt);
      const last = !retries || n >= retries.attempts || !isRetryable(retries, attempt.outcome) || options.abortInFlight?.aborted;
      if (last) return { attempts, outcome: attempt.outcome };
      const wait = retryDelay(retries, n + 1, attempt.outcome, random, clock.wallNow());
      await clock.sleep(wait.ms, options.abortInFlight);
    }
  };

  /**
   * One attempt without retries: the common case, awaited directly (no retry loop, no attempts list
   * until the step ends). Few locals on purpose: an async function's suspended frame holds all of them.
   */
  const sendOne = async (out: BuiltRequest, keepBody: boolean, cookies: CookieHandler | null): Promise<SentRequest> => {
    const startedAt = clock.wallNow();
    const outcome = await sendRequest(options.dispatcher, out, keepBody ? sendWithBody : sendWithoutBody, cookies);
    return { attempts: [{ outcome, startedAt, end: outcome.endedAt ?? clock.now() }], outcome };
  };

  // Built key by key in the order results.ndjson has always shown (no temporary objects per request).
  const toRecord = (job: JourneyJob, out: BuiltRequest, attempt: Attempt, outcome: HttpOutcome, extra: Partial<ResultRecord> | null, dueAt: number | undefined): ResultRecord => {
    const cache = classifyCache({ headers: outcome.headers ?? undefined, bodyText: outcome.bodyText, detection: options.cache }, cacheDetectors);
    const record: ResultRecord = {
      type: 'result',
      id: job.id,
      persona: job.persona.name,
      location: job.location.id,
      iteration: job.iteration,
      step: out.step,
      method: out.method,
      url: out.displayUrl,
      status: outcome.status,
      ok: outcome.ok,
      error: outcome.error,
      latencyMs: round3(outcome.latencyMs),
      ttfbMs: outcome.ttfbMs === null ? null : round3(outcome.ttfbMs),
      bytes: outcome.bytes,
    } as ResultRecord;
    if (outcome.decodedBytes !== undefined) record.decodedBytes = outcome.decodedBytes;
    if (outcome.protocol) record.protocol = outcome.protocol;
    record.cache = cache;
    if (outcome.redirects > 0) record.redirects = outcome.redirects;
    record.startedAt = attempt.startedAt;
    if (dueAt !== undefined) {
      record.scheduledAt = round3(clock.wallNow() - (clock.now() - dueAt));
      record.responseTimeMs = round3(attempt.end - dueAt);
    }
    if (outcome.message) record.message = redactor.text(outcome.message);
    else if (outcome.error) record.message = `HTTP ${outcome.status}`;
    return extra === null ? record : Object.assign(record, extra);
  };

  const templateFailure = (job: JourneyJob, step: string, err: unknown): ResultRecord => ({
    type: 'result',
    id: job.id,
    persona: job.persona.name,
    location: job.location.id,
    iteration: job.iteration,
    step,
    method: '',
    url: '',
    status: null,
    ok: false,
    error: 'template',
    message: redactor.text(err instanceof Error ? err.message : String(err)),
    latencyMs: 0,
    ttfbMs: null,
    bytes: 0,
    cache: 'unknown',
    startedAt: clock.wallNow(),
  });

  /** The step's request, or null when its template failed (the failure is recorded, and set unless the step continues). */
  const buildStep = (v: VisitState, step: JourneyStep | undefined): BuiltRequest | null => {
    const { job } = v;
    try {
      return options.buildRequest(job.persona, job.location, job.iteration, step, v.ctx.vars, v.ctx.setup, v.visit);
    } catch (err) {
      const record = templateFailure(job, step?.name ?? 'request', err);
      v.records.push(record);
      if (v.ctx.mask) maskRecord(record, v.ctx.mask);
      if (step?.onFail !== 'continue') v.failure = `${step?.name ?? 'request'}: ${record.message}`;
      return null;
    }
  };

  /** A step's answer judged (checks, captures) and recorded; true when the visit stops here. */
  const finishStep = (v: VisitState, step: JourneyStep | undefined, out: BuiltRequest, sent: SentRequest, source: 'origin' | 'coalesced' | 'reused', started: number, end: number): boolean => {
    const { job, ctx, records } = v;
    const firstRecord = records.length;
    const final = sent.outcome;
    let checks: CheckResult[] | undefined;
    if (step) {
      const render = v.render;
      const view = new ResponseView(final.bodyText, final.headers);
      // A listed status is an expected answer, not an error (e.g. a 404 a step asks for).
      const statusCheck = step.expect.find((c) => c.kind === 'status');
      if (statusCheck?.kind === 'status' && final.status !== null && statusAccepted(statusCheck, final.status) && (final.error === 'http_4xx' || final.error === 'http_5xx')) {
        sent = { ...sent, outcome: { ...final, ok: true, error: null, message: undefined } };
      }
      const latencyMs = source === 'origin' ? final.latencyMs : end - started;
      checks = runChecks(step.expect, { status: final.status, latencyMs, view, render, isSensitiveHeader: sensitive });
      // Messages quote the response; they go to results.ndjson and the summary, so secrets come out here.
      for (const c of checks) if (c.message !== undefined) c.message = redactor.text(c.message);
      for (const capture of step.capture) {
        let value = sent.outcome.ok ? captureValue(capture, view) : undefined;
        if (value === undefined && 'default' in capture) value = defaultOf(capture)(render);
        if (value === undefined) checks.push({ name: `capture ${capture.name}`, ok: false, message: 'not found in the response' });
        else {
          ctx.vars[capture.name] = value;
          if ('header' in capture.source && ctx.addSecret && redactor.isSensitiveHeader(capture.source.header)) ctx.addSecret(String(value));
          checks.push({ name: `capture ${capture.name}`, ok: true });
        }
      }
    }
    const withChecks = (extra: Partial<ResultRecord> | null): Partial<ResultRecord> | null => (checks && checks.length > 0 ? { ...extra, checks } : extra);
    if (source === 'origin') {
      const { attempts } = sent;
      for (let k = 0; k < attempts.length; k++) {
        const isFinal = k === attempts.length - 1;
        const attempt = attempts[k]!;
        // The final attempt's outcome may have been judged since (an expected status is no error).
        const outcome = isFinal ? sent.outcome : attempt.outcome;
        const extra: Partial<ResultRecord> | null = retries ? { attempt: k + 1 } : null;
        records.push(toRecord(job, out, attempt, outcome, isFinal ? withChecks(extra) : extra, v.dueAt));
      }
    } else {
      // Served by the harness: one record, the wait for it as latency, no bytes from the target.
      const { decodedBytes: _decoded, protocol: _protocol, ...served } = sent.outcome;
      const reused: HttpOutcome = { ...served, latencyMs: end - started, ttfbMs: null, bytes: 0, redirects: 0 };
      records.push(toRecord(job, out, { outcome: reused, startedAt: clock.wallNow() - (end - started), end }, reused, withChecks({ harnessCache: source }), v.dueAt));
    }
    const failedCheck = checks?.find((c) => !c.ok);
    const last = records[records.length - 1]!;
    if (failedCheck && last.error === null) last.message = `check failed: ${failedCheck.name}${failedCheck.message ? ` (${redactor.text(failedCheck.message)})` : ''}`;
    if (ctx.mask) for (let k = firstRecord; k < records.length; k++) maskRecord(records[k]!, ctx.mask);
    const failed = !sent.outcome.ok || failedCheck !== undefined;
    if (failed && step?.onFail !== 'continue') {
      v.failure = `${out.step}: ${last.message ?? last.error ?? 'failed'}`;
      return true;
    }
    return false;
  };

  // The async part is kept small: what a step does before and after its request is in buildStep and
  // finishStep, so each visit's suspended frame (held while the request is in flight) stays small.
  return async (job, steps, ctx) => {
    const v = new VisitState(job, ctx, valuesSeed, wallNow);
    const cookies = ctx.cookies ?? null;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (step?.think) {
        const pause = thinkMs(step.think, random);
        // The next step is due when the pause ends; oversleeping shows up in its response time.
        if (v.dueAt !== undefined) v.dueAt = clock.now() + pause;
        await clock.sleep(pause, options.abortInFlight);
      } else if (i > 0 && v.dueAt !== undefined) v.dueAt = clock.now();
      if (options.abortInFlight?.aborted) return v.result(true);

      const out = buildStep(v, step);
      if (out === null) {
        if (v.failure === null) continue;
        break;
      }
      const keepBody = keepAllBodies || (step !== undefined && stepNeedsBody(step));
      const started = clock.now();
      let sent: SentRequest;
      let source: 'origin' | 'coalesced' | 'reused' = 'origin';
      if (harness && ctx.ownResponses?.() !== true) {
        const got = await harness.fetch(HarnessCache.key(out), () => sendWithRetries(out, true));
        sent = got.value;
        source = got.source;
      } else sent = retries ? await sendWithRetries(out, keepBody, cookies) : await sendOne(out, keepBody, cookies);
      if (sent.outcome.error === 'aborted') return v.result(true);
      if (finishStep(v, step, out, sent, source, started, clock.now())) break;
    }
    return v.result(false);
  };
}

/** One visit's running state: what its steps read (render context, vars) and what they produce (records, failure). */
class VisitState {
  readonly records: ResultRecord[] = [];
  failure: string | null = null;
  /** Open model: when the current step was due. */
  dueAt: number | undefined;
  readonly visit: VisitValues;
  private renderContext: RenderContext | null = null;

  constructor(readonly job: JourneyJob, readonly ctx: StepContext, seed: number, wallNow: () => number) {
    this.dueAt = job.dueAt;
    this.visit = visitValues(seed, job.id, job.vu ?? 0, wallNow);
  }

  /** What checks and capture defaults render with; made when a step first needs it. */
  get render(): RenderContext {
    if (this.renderContext === null) {
      const { job, ctx } = this;
      this.renderContext = { persona: job.persona, location: job.location, iteration: job.iteration, vars: ctx.vars, visit: this.visit };
      if (ctx.setup) this.renderContext.setup = ctx.setup;
    }
    return this.renderContext;
  }

  result(aborted: boolean): StepsResult {
    return { records: this.records, aborted, failure: this.failure };
  }
}

function stepNeedsBody(step: JourneyStep): boolean {
  return step.expect.some((c) => c.kind === 'json' || c.kind === 'contains' || c.kind === 'schema') || step.capture.some((c) => !('header' in c.source));
}

const defaults = new WeakMap<Capture, (ctx: RenderContext) => unknown>();

/** A capture's default, compiled once (it may hold placeholders). */
function defaultOf(capture: Capture): (ctx: RenderContext) => unknown {
  let render = defaults.get(capture);
  if (!render) defaults.set(capture, (render = compileValue(capture.default)));
  return render;
}
