import type { Dispatcher } from 'undici';
import { DeadlineSweeper, type Deadline } from './deadlines.js';
import type { Clock } from './clock.js';
import type { Timeouts } from '../inputs/types.js';
import type { HostAllowList } from './allow-hosts.js';
import {
  BodyTooLargeError,
  GraceAbortError,
  HostNotAllowedError,
  PhaseTimeoutError,
  TooManyRedirectsError,
  TotalTimeoutError,
  classifyError,
  describeError,
  errorForStatus,
} from './classify-error.js';
import type { Protocol, RequestErrorCode } from './records.js';
import type { ResponseHeaders } from './cache-status.js';
import { BodyDecoder, ACCEPT_ENCODING, decodableEncodings } from './decode.js';
import type { StreamedBody } from './multipart.js';

import { tlsFailureBehind } from './transport.js';
import { SettleQueue } from './settle-queue.js';

export { createDispatcher } from './transport.js';

/** A request ready to send: templates already rendered. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Text, or a body streamed while it is sent (multipart uploads). */
  body?: string | StreamedBody;
}

export interface HttpOutcome {
  status: number | null;
  ok: boolean;
  error: RequestErrorCode | null;
  /** Raw error text (may contain secrets: the caller redacts). */
  message?: string;
  latencyMs: number;
  ttfbMs: number | null;
  /** When the last byte arrived, on the sender's clock (`now()`); absent when none did. */
  endedAt?: number;
  /** Body bytes as they came over the wire (compressed when the response was). */
  bytes: number;
  /** Body bytes after decoding; present only when the body was decoded (a Content-Encoding troupe undid). */
  decodedBytes?: number;
  /** The protocol of the response; absent when none arrived. */
  protocol?: Protocol;
  headers: ResponseHeaders | null;
  /** The body as text (decoded), only when the caller asked to keep it. */
  bodyText?: string;
  /** Redirect hops followed. */
  redirects: number;
}

export interface RedirectPolicy {
  follow: boolean;
  /** Hops followed at most; one more ends the request as `too_many_redirects`. */
  max: number;
}

export const DEFAULT_REDIRECTS: RedirectPolicy = { follow: true, max: 5 };

export interface SendOptions {
  timeouts: Timeouts;
  maxResponseBytes: number;
  keepBody: boolean;
  /** Measures and times out the request (its deadline sweep runs on this clock's timers). */
  clock: Pick<Clock, 'now' | 'timeout'>;
  /** Default: follow up to 5 hops. */
  redirects?: RedirectPolicy;
  /** When set, every request and redirect hop must go to a host it allows. */
  allowHosts?: HostAllowList | null;
  /** Headers dropped when a redirect leaves the origin (credentials must not follow to another host). */
  isSensitiveHeader?: (name: string) => boolean;
  /** Aborts the request from outside (the grace period after an interrupt ran out): the outcome is `aborted`. */
  signal?: AbortSignal;
  /**
   * `compression`: ask for gzip, deflate and br when the request names no Accept-Encoding, and decode
   * what comes back encoded. Default off here (the config's default is on).
   */
  compression?: boolean;
  /** HTTP/2 was offered (`http2: true`): a response without a reason phrase came over h2. */
  http2?: boolean;
}

/**
 * A session's cookie jar as the sender sees it, asked on every hop (redirects included): the cookies
 * for a URL, and each response's Set-Cookie values to keep. The values never reach a record.
 */
export interface CookieHandler {
  cookieHeader(url: string): string | undefined;
  storeSetCookie(url: string, values: string | string[]): void;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Send one request and read its body, never throwing: every failure becomes an outcome with an error
 * code. Redirects are followed here (not by undici) so that every hop is counted, checked against
 * `allowHosts` before it is sent, and timed under the same total timeout.
 *
 * This is the hot path: it uses `dispatcher.dispatch()` with a small handler (no body stream per
 * request) and one shared deadline sweep (no AbortController or timers per request). The request's
 * deadline, its progress and the handler of its hops are one object (Exchange), with methods on its
 * prototype: no closures per request, and a small suspended frame while it is in flight.
 */
export function sendRequest(dispatcher: Dispatcher, out: OutgoingRequest, options: SendOptions, cookies?: CookieHandler | null): Promise<HttpOutcome> {
  const exchange = new Exchange(options, cookies ?? null);
  exchange.sweeper.add(exchange);
  return run(dispatcher, out, exchange);
}

async function run(dispatcher: Dispatcher, out: OutgoingRequest, exchange: Exchange): Promise<HttpOutcome> {
  try {
    if (exchange.signal?.aborted) throw new GraceAbortError();
    let hop = out;
    if (exchange.options.allowHosts) checkHost(exchange.options.allowHosts, hop.url, 0);
    for (;;) {
      await exchange.send(dispatcher, hop);
      if (exchange.redirectTo === null) return exchange.outcome();
      hop = exchange.nextHop(hop);
    }
  } catch (err) {
    return exchange.failed(dispatcher, err);
  } finally {
    exchange.sweeper.delete(exchange);
  }
}

function checkHost(allowHosts: HostAllowList, url: string, hopNumber: number): void {
  const parsed = new URL(url);
  if (!allowHosts.allows(parsed)) throw new HostNotAllowedError(parsed.host, hopNumber);
}

const sweepers = new WeakMap<object, DeadlineSweeper>();
function sweeperFor(clock: Pick<Clock, 'now' | 'timeout'>): DeadlineSweeper {
  let sweeper = sweepers.get(clock);
  if (!sweeper) {
    sweeper = new DeadlineSweeper(clock);
    sweepers.set(clock, sweeper);
  }
  return sweeper;
}

/** `http://host:port/path?q` → origin and path, without building a URL object per request. */
function splitUrl(url: string): [string, string] {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  if (slash < 0) return [url, '/'];
  const hash = url.indexOf('#', slash);
  return [url.slice(0, slash), hash < 0 ? url.slice(slash) : url.slice(slash, hash)];
}

/** Whether `headers` names `lower` (a lower-case header name), in any case. */
function hasHeader(headers: Record<string, string>, lower: string): boolean {
  for (const name in headers) if (name.length === lower.length && name.toLowerCase() === lower) return true;
  return false;
}

/** Completed hops wait here for their continuations until the responses arriving with them were read (settle-queue.ts). */
const settling = new SettleQueue({ now: () => performance.now(), defer: (fn) => setImmediate(fn) });

/**
 * One request on the wire, all its hops: the deadline the sweep watches, what arrived so far (status,
 * headers, bytes, timings), and the handler undici (or the lean client) calls for each hop. Each hop
 * resolves when its response is complete (or is a redirect to follow) and rejects with the reason it
 * failed. Counts bytes, decodes a compressed body (with `compression`), keeps the text only when
 * asked, stops at the size limit (on the wire and decoded).
 */
class Exchange implements Deadline, Dispatcher.DispatchHandler {
  readonly sweeper: DeadlineSweeper;
  readonly signal: AbortSignal | undefined;
  private readonly now: () => number;
  private readonly started: number;
  private readonly policy: RedirectPolicy;
  // The deadline (src/engine/deadlines.ts): each hop sets its own headers phase before anything can await.
  phaseAt = Infinity;
  /** The deadline sweeper's slot (deadlines.ts), declared so that every Exchange has one shape. */
  sweepSlot = -1;
  readonly totalAt: number;
  private phase: 'headers' | 'body' = 'headers';
  /** Why the request was ended from outside (a timeout or the grace period), once it was. */
  private expired: Error | null = null;
  /**
   * The controller of the hop in flight (set while one is), kept as is rather than wrapped in a
   * closure per request: with the closure, each request's objects survived scavenges (~2 KB each at
   * ~500 req/s, 5-20 ms scavenges: issue 12 latency truth); without it they die young.
   */
  private controller: Dispatcher.DispatchController | null = null;
  // Progress, over every hop.
  private ttfbMs: number | null = null;
  private status: number | null = null;
  private headers: ResponseHeaders | null = null;
  private bytes = 0;
  private protocol: Protocol | undefined = undefined;
  /** When the last body byte arrived (before any decoding finished). */
  private wireEnd: number | null = null;
  /** When the lean client handed over the bytes it read last (onRead), before it parsed them; null with undici. */
  private readAt: number | null = null;
  /**
   * When undici wrote the first hop to its connection: latency starts here, not when the request was
   * queued, so a connection's handshake and troupe's own work before the write are not the target's.
   */
  private sentAt: number | null = null;
  private redirects = 0;
  /** Made on the first redirect: most requests have none. */
  private seen: Set<string> | null = null;
  // The hop in flight.
  private url = '';
  redirectTo: string | null = null;
  private chunks: Buffer[] | null = null;
  private decoder: BodyDecoder | null = null;
  private decoded = 0;
  private resolve: (() => void) | null = null;
  private reject: ((error: unknown) => void) | null = null;

  constructor(readonly options: SendOptions, private readonly cookies: CookieHandler | null) {
    this.now = options.clock.now;
    this.started = this.now();
    this.totalAt = this.started + options.timeouts.totalMs;
    this.signal = options.signal;
    this.policy = options.redirects ?? DEFAULT_REDIRECTS;
    this.sweeper = sweeperFor(options.clock);
  }

  phaseError(): Error {
    const { timeouts } = this.options;
    return new PhaseTimeoutError(this.phase, this.phase === 'headers' ? timeouts.headersMs : timeouts.bodyMs);
  }

  totalError(): Error {
    return new TotalTimeoutError(this.options.timeouts.totalMs);
  }

  expire(reason: Error): void {
    this.expired = reason;
    this.controller?.abort(reason);
  }

  /** One hop on the wire; resolves when its response is complete (or is a redirect to follow). */
  send(dispatcher: Dispatcher, hop: OutgoingRequest): Promise<void> {
    const { options } = this;
    this.phaseAt = this.now() + options.timeouts.headersMs;
    this.phase = 'headers';
    this.url = hop.url;
    this.redirectTo = null;
    this.chunks = null;
    this.decoder = null;
    this.decoded = 0;
    this.readAt = null;
    const [origin, path] = splitUrl(hop.url);
    // The jar's cookies join the hop on the wire only: a redirect's next hop asks the jar again for its own URL.
    const jarCookies = this.cookies?.cookieHeader(hop.url);
    const withJar = jarCookies ? withCookies(hop.headers, jarCookies) : hop.headers;
    const shared = (dispatcher as { sharesHeaders?: boolean }).sharesHeaders === true;
    const wanted = options.compression && !hasHeader(withJar, 'accept-encoding') ? withAcceptEncoding(withJar, shared) : withJar;
    const headers = shared || !Object.isFrozen(wanted) ? wanted : { ...wanted };
    // A streamed body is read anew for each hop and attempt, handed to undici as an async iterable
    // (which it writes chunk by chunk, waiting for the socket to drain: see multipart.ts).
    const body = hop.body === undefined || typeof hop.body === 'string' ? hop.body : (hop.body.stream() as unknown as Dispatcher.DispatchOptions['body']);
    const done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    try {
      dispatcher.dispatch(
        {
          origin,
          path,
          method: hop.method as Dispatcher.HttpMethod,
          headers,
          body,
          // The sweep enforces both phases; undici's own timers would cost two timer objects per
          // request that outlive it (its fast timers are swept every 0.5-1 s), enough to fill the old
          // generation with garbage at a few thousand requests a second (issue 12: RSS).
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        this,
      );
    } catch (err) {
      this.fail(err);
    }
    return done;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.sentAt ??= this.now();
    // The headers wait runs from the write, as undici's headersTimeout does (and as latencyMs is
    // timed): waiting for a socket or a connect is not the server's time to answer.
    this.phaseAt = this.now() + this.options.timeouts.headersMs;
    this.controller = controller;
    if (this.expired) controller.abort(this.expired);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage: string): void {
    if (statusCode < 200) return; // 1xx informational: the real response follows
    const { options } = this;
    this.ttfbMs = (this.readAt ?? this.now()) - (this.sentAt ?? this.started);
    this.status = statusCode;
    this.headers = headers as ResponseHeaders;
    const setCookie = headers['set-cookie'];
    if (this.cookies && setCookie !== undefined) this.cookies.storeSetCookie(this.url, setCookie);
    // HTTP/2 has no reason phrase; HTTP/1.1 servers send one ("OK").
    this.protocol = options.http2 && !statusMessage ? 'h2' : 'http/1.1';
    const location = headers['location'];
    if (this.policy.follow && REDIRECT_STATUSES.has(statusCode) && typeof location === 'string' && location !== '') {
      this.redirectTo = location;
      return;
    }
    this.phaseAt = this.now() + options.timeouts.bodyMs;
    this.phase = 'body';
    const limit = options.maxResponseBytes;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      controller.abort(new BodyTooLargeError(limit));
      return;
    }
    if (options.keepBody) this.chunks = [];
    const codings = options.compression ? decodableEncodings(headers['content-encoding']) : null;
    if (codings) {
      const decoder = new BodyDecoder(
        codings,
        (chunk) => {
          this.decoded += chunk.length;
          // A small body that inflates past the limit (a decompression bomb) stops like a large one.
          if (this.decoded > limit) {
            decoder.destroy();
            controller.abort(new BodyTooLargeError(limit));
            return;
          }
          this.chunks?.push(chunk);
        },
        (error) => controller.abort(error),
      );
      this.decoder = decoder;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.redirectTo !== null) return; // a redirect's body is read and dropped so the connection is reused
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxResponseBytes) {
      controller.abort(new BodyTooLargeError(this.options.maxResponseBytes));
      return;
    }
    if (this.decoder) {
      if (!this.decoder.write(chunk, () => controller.resume())) controller.pause();
    } else this.chunks?.push(chunk);
    this.phaseAt = this.now() + this.options.timeouts.bodyMs;
  }

  /**
   * The lean client read bytes of this hop's response (h1-client.ts, before it parses them): the
   * time they arrived, which the parse and this handler's own work (tens of µs) would otherwise add.
   */
  onRead(): void {
    this.readAt = this.now();
  }

  onResponseEnd(): void {
    this.controller = null;
    this.wireEnd = this.readAt ?? this.now();
    if (this.decoder) this.decoder.end().then(() => this.settle(), (error: unknown) => this.fail(error));
    // Once responses stop arriving (SettleQueue): responses that arrived together are each
    // timestamped before any one's continuation runs, so they do not wait on each other's work.
    else settling.add(this);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.controller = null;
    this.decoder?.destroy();
    this.fail(this.expired ?? error);
  }

  /** The hop ended well: its continuation (outcome, or the next hop) runs. */
  settle(): void {
    const resolve = this.resolve;
    this.resolve = this.reject = null;
    resolve?.();
  }

  private fail(error: unknown): void {
    const reject = this.reject;
    this.resolve = this.reject = null;
    reject?.(error);
  }

  /** The request to send after a redirect (throws past the limit, or to a host not allowed). */
  nextHop(hop: OutgoingRequest): OutgoingRequest {
    const { policy } = this;
    (this.seen ??= new Set()).add(`${hop.method} ${hop.url}`);
    const next = redirectHop(hop, this.status!, new URL(this.redirectTo!, hop.url), this.options.isSensitiveHeader);
    if (this.redirects >= policy.max) throw new TooManyRedirectsError(policy.max, this.seen.has(`${next.method} ${next.url}`));
    if (this.options.allowHosts) checkHost(this.options.allowHosts, next.url, this.redirects + 1);
    this.redirects++;
    return next;
  }

  /** The final hop's answer. */
  outcome(): HttpOutcome {
    const { status, headers } = this;
    const error = errorForStatus(status!);
    // Latency ends with the last byte on the wire: decoding is troupe's work, not the target's.
    const endedAt = this.wireEnd ?? this.now();
    const bodyText = this.chunks ? Buffer.concat(this.chunks).toString('utf8') : undefined;
    const outcome: HttpOutcome = { status, ok: error === null, error, latencyMs: endedAt - (this.sentAt ?? this.started), ttfbMs: this.ttfbMs, bytes: this.bytes, headers, bodyText, redirects: this.redirects, endedAt };
    if (this.decoder?.started) outcome.decodedBytes = this.decoded;
    if (this.protocol) outcome.protocol = this.protocol;
    const retryAfter = headers?.['retry-after'];
    if (error === 'protocol') outcome.message = `status ${status} is outside 100-599`;
    else if (error && typeof retryAfter === 'string') outcome.message = `HTTP ${status}, Retry-After: ${retryAfter.slice(0, 64)}`;
    return outcome;
  }

  /** What a request that failed (a throw, a rejected hop, a deadline) reports. */
  failed(dispatcher: Dispatcher, err: unknown): HttpOutcome {
    const reason = this.expired ?? tlsFailureBehind(dispatcher, err) ?? err;
    return {
      status: this.status,
      ok: false,
      error: classifyError(reason),
      message: describeError(reason),
      latencyMs: this.now() - (this.sentAt ?? this.started),
      ttfbMs: this.ttfbMs,
      bytes: this.bytes,
      headers: this.headers,
      redirects: this.redirects,
      ...(this.protocol ? { protocol: this.protocol } : {}),
    };
  }
}

/** The template's own Cookie header, if it has one, first; then the jar's. */
// A constant request's headers are one frozen object: so is its copy with Accept-Encoding, made once,
// so that the lean client sees the same object each time and writes the head it built for it (h1-client.ts).
// Only for the lean client: undici (a proxy agent) adds to the headers object it is given.
const encodingHeaders = new WeakMap<Record<string, string>, Record<string, string>>();
function withAcceptEncoding(headers: Record<string, string>, shared: boolean): Record<string, string> {
  if (!shared || !Object.isFrozen(headers)) return { ...headers, 'accept-encoding': ACCEPT_ENCODING };
  let out = encodingHeaders.get(headers);
  if (out === undefined) encodingHeaders.set(headers, (out = Object.freeze({ ...headers, 'accept-encoding': ACCEPT_ENCODING })));
  return out;
}

function withCookies(headers: Record<string, string>, jar: string): Record<string, string> {
  const out = { ...headers };
  const name = Object.keys(out).find((k) => k.toLowerCase() === 'cookie');
  if (name === undefined) out.cookie = jar;
  else out[name] = out[name] ? `${out[name]}; ${jar}` : jar;
  return out;
}

/**
 * The next request of a redirect, as browsers and fetch do it: 303 (and 301/302 after a POST) become a
 * GET without a body; 307/308 repeat the method and body. Leaving the origin drops credentials.
 */
function redirectHop(hop: OutgoingRequest, status: number, next: URL, isSensitive?: (name: string) => boolean): OutgoingRequest {
  const toGet = (status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  const crossOrigin = next.origin !== new URL(hop.url).origin;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(hop.headers)) {
    const lower = name.toLowerCase();
    if (crossOrigin && (lower === 'host' || isSensitive?.(lower))) continue;
    if (toGet && (lower === 'content-type' || lower === 'content-length')) continue;
    headers[name] = value;
  }
  return { method: toGet ? 'GET' : hop.method, url: next.toString(), headers, ...(toGet || hop.body === undefined ? {} : { body: hop.body }) };
}
