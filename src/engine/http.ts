import { Agent, request, type Dispatcher } from 'undici';
import type { Timeouts } from '../fixtures/types.js';
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
import type { RequestErrorCode } from './records.js';
import type { ResponseHeaders } from './cache-status.js';

/** A request ready to send: templates already rendered. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpOutcome {
  status: number | null;
  ok: boolean;
  error: RequestErrorCode | null;
  /** Raw error text (may contain secrets: the caller redacts). */
  message?: string;
  latencyMs: number;
  ttfbMs: number | null;
  bytes: number;
  headers: ResponseHeaders | null;
  /** The body as text, only when the caller asked to keep it. */
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
  now: () => number;
  /** Default: follow up to 5 hops. */
  redirects?: RedirectPolicy;
  /** When set, every request and redirect hop must go to a host it allows. */
  allowHosts?: HostAllowList | null;
  /** Headers dropped when a redirect leaves the origin (credentials must not follow to another host). */
  isSensitiveHeader?: (name: string) => boolean;
  /** Aborts the request from outside (the grace period after an interrupt ran out): the outcome is `aborted`. */
  signal?: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * One pooled, keep-alive dispatcher for the whole run. Connection count grows to the concurrency bound
 * and no further, because no more requests than that are ever in flight. TLS certificates are verified
 * unless `insecure` is set.
 */
export function createDispatcher(timeouts: Timeouts, options: { insecure?: boolean } = {}): Dispatcher {
  return new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    connect: { timeout: timeouts.connectMs, rejectUnauthorized: !options.insecure },
  });
}

/**
 * Send one request and read its body, never throwing: every failure becomes an outcome with an error
 * code. Redirects are followed here (not by undici) so that every hop is counted, checked against
 * `allowHosts` before it is sent, and timed under the same total timeout.
 */
export async function sendRequest(dispatcher: Dispatcher, out: OutgoingRequest, options: SendOptions): Promise<HttpOutcome> {
  const { timeouts, maxResponseBytes, now } = options;
  const policy = options.redirects ?? DEFAULT_REDIRECTS;
  const started = now();
  let ttfbMs: number | null = null;
  let status: number | null = null;
  let headers: ResponseHeaders | null = null;
  let bytes = 0;
  let redirects = 0;
  // Our own timers, not undici's alone: undici's header and body timers have about a second of
  // granularity, and timeouts must fire close to their setting. One timer per phase, refreshed per chunk.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new GraceAbortError());
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const totalTimer = setTimeout(() => controller.abort(new TotalTimeoutError(timeouts.totalMs)), timeouts.totalMs);
  let phaseTimer: NodeJS.Timeout | undefined;
  try {
    let hop: OutgoingRequest = out;
    const seen = new Set<string>();
    const checkHost = (url: string, hopNumber: number) => {
      const parsed = new URL(url);
      if (options.allowHosts && !options.allowHosts.allows(parsed)) throw new HostNotAllowedError(parsed.host, hopNumber);
    };
    checkHost(hop.url, 0);
    for (;;) {      clearTimeout(phaseTimer);
      phaseTimer = setTimeout(() => controller.abort(new PhaseTimeoutError('headers', timeouts.headersMs)), timeouts.headersMs);
      const response = await request(hop.url, {
        dispatcher,
        method: hop.method as Dispatcher.HttpMethod,
        headers: hop.headers,
        body: hop.body,
        signal: controller.signal,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
      });
      ttfbMs = now() - started;
      status = response.statusCode;
      headers = response.headers as ResponseHeaders;
      const location = headers['location'];
      if (policy.follow && REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '') {
        // Drain the (small) redirect body so the connection goes back to the pool.
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        seen.add(`${hop.method} ${hop.url}`);
        const next = redirectHop(hop, status, new URL(location, hop.url), options.isSensitiveHeader);
        if (redirects >= policy.max) throw new TooManyRedirectsError(policy.max, seen.has(`${next.method} ${next.url}`));
        checkHost(next.url, redirects + 1);
        redirects++;
        hop = next;
        continue;
      }
      clearTimeout(phaseTimer);
      phaseTimer = setTimeout(() => controller.abort(new PhaseTimeoutError('body', timeouts.bodyMs)), timeouts.bodyMs);
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        response.body.destroy();
        throw new BodyTooLargeError(maxResponseBytes);
      }
      const bodyText = await readBody(response.body, maxResponseBytes, options.keepBody, (n) => {
        bytes = n;
        phaseTimer!.refresh();
      });
      const latencyMs = now() - started;
      const error = errorForStatus(status);
      const outcome: HttpOutcome = { status, ok: error === null, error, latencyMs, ttfbMs, bytes, headers, bodyText, redirects };
      const retryAfter = headers['retry-after'];
      if (error && typeof retryAfter === 'string') outcome.message = `HTTP ${status}, Retry-After: ${retryAfter.slice(0, 64)}`;
      return outcome;
    }
  } catch (err) {
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    return {
      status,
      ok: false,
      error: classifyError(reason),
      message: describeError(reason),
      latencyMs: now() - started,
      ttfbMs,
      bytes,
      headers,
      redirects,
    };
  } finally {
    clearTimeout(totalTimer);
    clearTimeout(phaseTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
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

/** Read a body counting bytes, keeping the text only when asked, and stopping at the size limit. */
function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  keep: boolean,
  onBytes: (n: number) => void,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let total = 0;
    const chunks: Buffer[] | null = keep ? [] : null;
    body.on('data', (chunk: Buffer) => {
      total += chunk.length;
      onBytes(total);
      if (total > limit) {
        body.destroy(new BodyTooLargeError(limit));
        return;
      }
      chunks?.push(chunk);
    });
    body.once('error', reject);
    body.once('end', () => resolve(chunks ? Buffer.concat(chunks).toString('utf8') : undefined));
  });
}
