/**
 * `troupe bench`'s load generator: autocannon's programmatic API, with every response turned into a
 * troupe ResultRecord (latency from autocannon's own per-request timer, status, body bytes, cache status
 * from the response headers), so that the run directory, reports, thresholds and merges work as for `run`.
 * autocannon is loaded on first use: `troupe --help` does not pay for it.
 */
import { classifyError } from '../engine/classify-error.js';
import type { RequestErrorCode, ResultRecord } from '../engine/records.js';
import { CacheMemo, LastHeaders } from './recorder.js';
import { ResponseQueue, type HeadersInfo, type OnResponse } from './response-queue.js';

export type { OnResponse } from './response-queue.js';

export { cacheFromRawHeaders } from './recorder.js';

export interface BenchOptions {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  durationS: number;
  /** Requests in total (instead of a duration). */
  amount?: number;
  /** Requests per second over all connections (autocannon `-R`). */
  rate?: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  pipelining: number;
  /** Per-request timeout, seconds. */
  timeoutS: number;
}

/** What autocannon itself counted, kept next to troupe's figures (they should agree). */
export interface AutocannonTotals {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  durationS: number;
  rps: number;
}

/** The part of autocannon's client (lib/httpClient.js) this module touches. */
export interface Client {
  on(event: 'headers', listener: (opts: HeadersInfo) => void): void;
  on(event: 'body', listener: (chunk: Buffer) => void): void;
  on(event: 'response', listener: (statusCode: number, resBytes: number, responseTime: number) => void): void;
  pipelinedRequests?: unknown;
  /** autocannon 9's lib/requestIterator.js: the requests a client sends in turn, and their context. */
  requestIterator?: { resetContext?: unknown };
  destroyed?: boolean;
}

/** The methods of autocannon 9's request queue that its client calls (and ResponseQueue has). */
const QUEUE_METHODS = ['insertRequest', 'setHeaders', 'addBody', 'addByteCount', 'terminateRequest', 'clear'] as const;

/**
 * Hands every response a client completes to `onResponse`, with the cache status of its headers and
 * its body bytes (`bytes` means body bytes in bench as in run; autocannon's own count includes the
 * headers). `last` is the run's one header check, shared by its clients.
 *
 * Where autocannon 9's client has its request queue (`pipelinedRequests`, with the methods its parser
 * calls), troupe's own queue takes its place (response-queue.ts): its 'headers', 'body' and 'response'
 * events carry the same, but three event dispatches per response are work autocannon alone does not
 * do (issue 12: `troupe bench` ≥ 0.97× bare autocannon). A response is counted where autocannon counts
 * it: not after the client was destroyed. An autocannon without that queue: the events.
 */
export function watchResponses(client: Client, last: LastHeaders, onResponse: OnResponse): void {
  const queue = client.pipelinedRequests as Partial<Record<(typeof QUEUE_METHODS)[number], unknown>> | undefined;
  if (queue && QUEUE_METHODS.every((m) => typeof queue[m] === 'function')) {
    client.pipelinedRequests = new ResponseQueue(client, last, onResponse);
    return;
  }
  let cache = 0;
  let bytes = 0;
  client.on('headers', (opts) => {
    cache = last.code(opts.headers);
    bytes = 0;
  });
  client.on('body', (chunk) => (bytes += chunk.length));
  client.on('response', (statusCode, _resBytes, responseTime) => onResponse(statusCode, responseTime, bytes, cache, Date.now()));
}

/**
 * Keeps a client's request context instead of deep-copying it before every request. autocannon's
 * request iterator resets the context (a lodash `cloneDeep` of `initialContext`, `{}` when none is
 * given) each time its list of requests starts over, and troupe bench's list is one request long: a
 * deep copy per request, 1.6–1.8 % of a core's samples in a CPU profile of `troupe bench` against
 * nginx (issue 12: `troupe bench` ≥ 0.97× bare autocannon). The context is read only by a request's
 * `setupRequest` and `onResponse` hooks, which troupe bench never passes, so it is never reset.
 */
export function keepRequestContext(client: Client): void {
  const iterator = client.requestIterator;
  if (iterator && typeof iterator.resetContext === 'function') iterator.resetContext = keepContext;
}

function keepContext(): void {}

/** autocannon reports its own request timeouts without a code; everything else is classified as for `run`. */
export function errorCode(error: Error & { code?: string }): RequestErrorCode {
  if (/timeout/i.test(error.name) || /timed? ?out/i.test(error.message)) return 'timeout_total';
  return classifyError(error);
}

/**
 * Where runAutocannon hands what happened: `response` on autocannon's hot path (numbers only: keep it
 * cheap, see tape.ts), `failure` for a request that got no response (its id and iteration are the
 * sink's to set).
 */
export interface BenchSink {
  /** `cache`: its CACHE_STATUSES index; `endAt`: epoch ms the response completed. */
  response(status: number, latencyMs: number, bytes: number, cache: number, endAt: number): void;
  failure(record: ResultRecord): void;
}

/**
 * Runs autocannon and hands every response or failed request to `sink`. Aborting `signal` stops it
 * early (autocannon then reports what it did). Resolves with autocannon's own totals.
 */
export async function runAutocannon(options: BenchOptions, sink: BenchSink, signal?: AbortSignal): Promise<AutocannonTotals> {
  const { default: autocannon } = (await import('autocannon')) as unknown as { default: (opts: Record<string, unknown>, cb: (err: Error | null, result: any) => void) => any };
  const url = new URL(options.url);
  const location = url.pathname + url.search;
  const method = options.method.toUpperCase();
  // One header check for every client (recorder.ts LastHeaders).
  const last = new LastHeaders(new CacheMemo());
  const failure = (error: RequestErrorCode, latencyMs: number, message: string): void => {
    sink.failure({
      type: 'result', id: '', persona: 'bench', location, iteration: 0, step: 'request', method, url: options.url,
      status: null, ok: false, error, message, latencyMs, ttfbMs: null, bytes: 0, cache: 'unknown', startedAt: Math.round(Date.now() - latencyMs),
    });
  };
  const timeoutMs = options.timeoutS * 1000;
  const onResponse: OnResponse = (status, latencyMs, bytes, cache, endAt) => sink.response(status, latencyMs, bytes, cache, endAt);
  return new Promise<AutocannonTotals>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
        ...(options.rate ? { overallRate: options.rate } : {}),
        method,
        headers: options.headers,
        ...(options.body !== undefined ? { body: options.body } : {}),
        pipelining: options.pipelining,
        timeout: options.timeoutS,
        setupClient: (client: Client) => {
          watchResponses(client, last, onResponse);
          keepRequestContext(client);
        },
      },
      (err, result) => {
        signal?.removeEventListener('abort', stop);
        if (err) return reject(err);
        // In a worker thread autocannon skips its aggregation and reports raw totals.
        const requests: number = typeof result.requests?.total === 'number' ? result.requests.total : result.totalCompletedRequests;
        resolve({
          requests,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          durationS: result.duration,
          rps: result.duration > 0 ? requests / result.duration : 0,
        });
      },
    );
    // autocannon reports no duration for a failed request; a timeout took the timeout, others count 0.
    instance.on('reqError', (error: Error & { code?: string }) => {
      const code = errorCode(error);
      failure(code, code === 'timeout_total' ? timeoutMs : 0, error.message);
    });
    const stop = () => instance.stop();
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
