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
 * request) and one shared deadline sweep (no AbortController or timers per request).
 */
export async function sendRequest(dispatcher: Dispatcher, out: OutgoingRequest, options: SendOptions, cookies?: CookieHandler | null): Promise<HttpOutcome> {
  const { timeouts } = options;
  const now = options.clock.now;
  const policy = options.redirects ?? DEFAULT_REDIRECTS;
  const started = now();
  const progress: HopProgress = { ttfbMs: null, status: null, headers: null, bytes: 0, wireEnd: null, sentAt: null };
  let redirects = 0;
  const headersError = headersTimeout(timeouts.headersMs);
  const deadline: ActiveDeadline = {
    // Each hop sets its own headers phase below, before anything can await.
    phaseAt: Infinity,
    phaseError: headersError,
    totalAt: started + timeouts.totalMs,
    totalError: () => new TotalTimeoutError(timeouts.totalMs),
    signal: options.signal,
    expired: null,
    hop: null,
    expire(reason) {
      this.expired = reason;
      this.hop?.abort(reason);
    },
  };
  const sweeper = sweeperFor(options.clock);
  sweeper.add(deadline);
  try {
    if (options.signal?.aborted) throw new GraceAbortError();
    let hop: OutgoingRequest = out;
    // Made on the first redirect: most requests have none.
    let seen: Set<string> | null = null;
    if (options.allowHosts) checkHost(options.allowHosts, hop.url, 0);
    for (;;) {
      deadline.phaseAt = now() + timeouts.headersMs;
      deadline.phaseError = headersError;
      const result = await dispatchHop(dispatcher, hop, options, deadline, progress, started, policy.follow, cookies ?? null);
      if (result.redirectTo !== null) {
        (seen ??= new Set()).add(`${hop.method} ${hop.url}`);
        const next = redirectHop(hop, progress.status!, new URL(result.redirectTo, hop.url), options.isSensitiveHeader);
        if (redirects >= policy.max) throw new TooManyRedirectsError(policy.max, seen.has(`${next.method} ${next.url}`));
        if (options.allowHosts) checkHost(options.allowHosts, next.url, redirects + 1);
        redirects++;
        hop = next;
        continue;
      }
      const { status, headers, bytes, ttfbMs } = progress;
      const error = errorForStatus(status!);
      // Latency ends with the last byte on the wire: decoding is troupe's work, not the target's.
      const endedAt = progress.wireEnd ?? now();
      const outcome: HttpOutcome = { status, ok: error === null, error, latencyMs: endedAt - (progress.sentAt ?? started), ttfbMs, bytes, headers, bodyText: result.bodyText, redirects, endedAt };
      if (result.decodedBytes !== undefined) outcome.decodedBytes = result.decodedBytes;
      if (progress.protocol) outcome.protocol = progress.protocol;
      const retryAfter = headers?.['retry-after'];
      if (error === 'protocol') outcome.message = `status ${status} is outside 100-599`;
      else if (error && typeof retryAfter === 'string') outcome.message = `HTTP ${status}, Retry-After: ${retryAfter.slice(0, 64)}`;
      return outcome;
    }
  } catch (err) {
    const reason = deadline.expired ?? tlsFailureBehind(dispatcher, err) ?? err;
    return {
      status: progress.status,
      ok: false,
      error: classifyError(reason),
      message: describeError(reason),
      latencyMs: now() - (progress.sentAt ?? started),
      ttfbMs: progress.ttfbMs,
      bytes: progress.bytes,
      headers: progress.headers,
      redirects,
      ...(progress.protocol ? { protocol: progress.protocol } : {}),
    };
  } finally {
    sweeper.delete(deadline);
  }
}

function checkHost(allowHosts: HostAllowList, url: string, hopNumber: number): void {
  const parsed = new URL(url);
  if (!allowHosts.allows(parsed)) throw new HostNotAllowedError(parsed.host, hopNumber);
}

interface HopProgress {
  ttfbMs: number | null;
  status: number | null;
  headers: ResponseHeaders | null;
  bytes: number;
  protocol?: Protocol;
  /** When the last body byte arrived (before any decoding finished). */
  wireEnd: number | null;
  /**
   * When undici wrote the first hop to its connection: latency starts here, not when the request was
   * queued, so a connection's handshake and troupe's own work before the write are not the target's.
   */
  sentAt: number | null;
}

interface ActiveDeadline extends Deadline {
  signal: AbortSignal | undefined;
  /** Why the request was ended from outside (a timeout or the grace period), once it was. */
  expired: Error | null;
  /**
   * The controller of the hop in flight (set while one is), kept as is rather than wrapped in a
   * closure per request: with the closure, each request's objects survived scavenges (~2 KB each at
   * ~500 req/s, 5-20 ms scavenges: issue 12 latency truth); without it they die young.
   */
  hop: Dispatcher.DispatchController | null;
}

const headersTimeout = (ms: number) => () => new PhaseTimeoutError('headers', ms);
const bodyTimeout = (ms: number) => () => new PhaseTimeoutError('body', ms);

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

interface HopResult {
  redirectTo: string | null;
  bodyText?: string;
  decodedBytes?: number;
}

/**
 * One hop on the wire. Resolves when the response is complete (or is a redirect to follow); rejects
 * with the reason the hop failed. Counts bytes, decodes a compressed body (with `compression`), keeps
 * the text only when asked, stops at the size limit (on the wire and decoded).
 */
function dispatchHop(
  dispatcher: Dispatcher,
  hop: OutgoingRequest,
  options: SendOptions,
  deadline: ActiveDeadline,
  progress: HopProgress,
  started: number,
  followRedirects: boolean,
  cookies: CookieHandler | null,
): Promise<HopResult> {
  const { timeouts, maxResponseBytes: limit, keepBody } = options;
  const now = options.clock.now;
  const [origin, path] = splitUrl(hop.url);
  // The jar's cookies join the hop on the wire only: a redirect's next hop asks the jar again for its own URL.
  const jarCookies = cookies?.cookieHeader(hop.url);
  const withJar = jarCookies ? withCookies(hop.headers, jarCookies) : hop.headers;
  const headers = options.compression && !hasHeader(withJar, 'accept-encoding') ? { ...withJar, 'accept-encoding': ACCEPT_ENCODING } : withJar;
  // A streamed body is read anew for each hop and attempt, handed to undici as an async iterable
  // (which it writes chunk by chunk, waiting for the socket to drain: see multipart.ts).
  const body = hop.body === undefined || typeof hop.body === 'string' ? hop.body : (hop.body.stream() as unknown as Dispatcher.DispatchOptions['body']);
  return new Promise((resolve, reject) => {
    let redirectTo: string | null = null;
    let chunks: Buffer[] | null = null;
    let decoder: BodyDecoder | null = null;
    let decoded = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        progress.sentAt ??= now();
        // The headers wait runs from the write, as undici's headersTimeout does (and as latencyMs is
        // timed): waiting for a socket or a connect is not the server's time to answer.
        deadline.phaseAt = now() + options.timeouts.headersMs;
        deadline.hop = controller;
        if (deadline.expired) controller.abort(deadline.expired);
      },
      onResponseStart(controller, statusCode, headers, statusMessage) {
        if (statusCode < 200) return; // 1xx informational: the real response follows
        progress.ttfbMs = now() - (progress.sentAt ?? started);
        progress.status = statusCode;
        progress.headers = headers as ResponseHeaders;
        const setCookie = headers['set-cookie'];
        if (cookies && setCookie !== undefined) cookies.storeSetCookie(hop.url, setCookie);
        // HTTP/2 has no reason phrase; HTTP/1.1 servers send one ("OK").
        progress.protocol = options.http2 && !statusMessage ? 'h2' : 'http/1.1';
        const location = headers['location'];
        if (followRedirects && REDIRECT_STATUSES.has(statusCode) && typeof location === 'string' && location !== '') {
          redirectTo = location;
          return;
        }
        deadline.phaseAt = now() + timeouts.bodyMs;
        deadline.phaseError = bodyTimeout(timeouts.bodyMs);
        const declared = Number(headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          controller.abort(new BodyTooLargeError(limit));
          return;
        }
        if (keepBody) chunks = [];
        const codings = options.compression ? decodableEncodings(headers['content-encoding']) : null;
        if (codings) {
          decoder = new BodyDecoder(
            codings,
            (chunk) => {
              decoded += chunk.length;
              // A small body that inflates past the limit (a decompression bomb) stops like a large one.
              if (decoded > limit) {
                decoder!.destroy();
                controller.abort(new BodyTooLargeError(limit));
                return;
              }
              chunks?.push(chunk);
            },
            (error) => controller.abort(error),
          );
        }
      },
      onResponseData(controller, chunk) {
        if (redirectTo !== null) return; // a redirect's body is read and dropped so the connection is reused
        progress.bytes += chunk.length;
        if (progress.bytes > limit) {
          controller.abort(new BodyTooLargeError(limit));
          return;
        }
        if (decoder) {
          if (!decoder.write(chunk, () => controller.resume())) controller.pause();
        } else chunks?.push(chunk);
        deadline.phaseAt = now() + timeouts.bodyMs;
      },
      onResponseEnd() {
        deadline.hop = null;
        progress.wireEnd = now();
        const done = (): void => {
          const result: HopResult = { redirectTo, bodyText: chunks ? Buffer.concat(chunks).toString('utf8') : undefined };
          if (decoder?.started) result.decodedBytes = decoded;
          resolve(result);
        };
        if (decoder) decoder.end().then(done, reject);
        // After the poll phase: responses that arrived together are each timestamped before any one's
        // continuation (its record, the next request) runs, so they do not wait on each other's work.
        else setImmediate(done);
      },
      onResponseError(_controller, error) {
        deadline.hop = null;
        decoder?.destroy();
        reject(deadline.expired ?? error);
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin,
          path,
          method: hop.method as Dispatcher.HttpMethod,
          headers,
          body,
          // The sweep above enforces both phases; undici's own timers would cost two timer objects per
          // request that outlive it (its fast timers are swept every 0.5-1 s), enough to fill the old
          // generation with garbage at a few thousand requests a second (issue 12: RSS).
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (err) {
      reject(err);
    }
  });
}

/** The template's own Cookie header, if it has one, first; then the jar's. */
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
