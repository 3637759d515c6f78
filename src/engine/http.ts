import { Agent, request, type Dispatcher } from 'undici';
import type { Timeouts } from '../fixtures/types.js';
import { BodyTooLargeError, PhaseTimeoutError, TotalTimeoutError, classifyError, describeError, errorForStatus } from './classify-error.js';
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
}

export interface SendOptions {
  timeouts: Timeouts;
  maxResponseBytes: number;
  keepBody: boolean;
  now: () => number;
}

/**
 * One pooled, keep-alive dispatcher for the whole run. Connection count grows to the concurrency bound
 * and no further, because no more requests than that are ever in flight.
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

/** Send one request and read its body, never throwing: every failure becomes an outcome with an error code. */
export async function sendRequest(dispatcher: Dispatcher, out: OutgoingRequest, options: SendOptions): Promise<HttpOutcome> {
  const { timeouts, maxResponseBytes, now } = options;
  const started = now();
  let ttfbMs: number | null = null;
  let status: number | null = null;
  let headers: ResponseHeaders | null = null;
  let bytes = 0;
  // Our own timers, not undici's alone: undici's header and body timers have about a second of
  // granularity, and timeouts must fire close to their setting. One timer per phase, refreshed per chunk.
  const controller = new AbortController();
  const totalTimer = setTimeout(() => controller.abort(new TotalTimeoutError(timeouts.totalMs)), timeouts.totalMs);
  let phaseTimer = setTimeout(() => controller.abort(new PhaseTimeoutError('headers', timeouts.headersMs)), timeouts.headersMs);
  try {
    const response = await request(out.url, {
      dispatcher,
      method: out.method as Dispatcher.HttpMethod,
      headers: out.headers,
      body: out.body,
      signal: controller.signal,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    });
    ttfbMs = now() - started;
    clearTimeout(phaseTimer);
    phaseTimer = setTimeout(() => controller.abort(new PhaseTimeoutError('body', timeouts.bodyMs)), timeouts.bodyMs);
    status = response.statusCode;
    headers = response.headers as ResponseHeaders;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > maxResponseBytes) {
      response.body.destroy();
      throw new BodyTooLargeError(maxResponseBytes);
    }
    const bodyText = await readBody(response.body, maxResponseBytes, options.keepBody, (n) => {
      bytes = n;
      phaseTimer.refresh();
    });
    const latencyMs = now() - started;
    const error = errorForStatus(status);
    return { status, ok: error === null, error, latencyMs, ttfbMs, bytes, headers, bodyText };
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
    };
  } finally {
    clearTimeout(totalTimer);
    clearTimeout(phaseTimer);
  }
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
