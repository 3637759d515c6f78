/**
 * `troupe bench`'s load generator: autocannon's programmatic API, with every response turned into a
 * troupe ResultRecord (latency from autocannon's own per-request timer, status, body bytes, cache status
 * from the response headers), so that the run directory, reports, thresholds and merges work as for `run`.
 * autocannon is loaded on first use: `troupe --help` does not pay for it.
 */
import { classifyError } from '../engine/classify-error.js';
import type { CacheStatus, RequestErrorCode, ResultRecord } from '../engine/records.js';
import { CacheMemo, LastHeaders } from './recorder.js';

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

interface HeadersInfo {
  statusCode: number;
  headers: (string | Buffer)[];
}

/** What autocannon's queue hands back for a completed response (its `duration` is what autocannon records). */
interface Terminated {
  headers: HeadersInfo | Record<string, never>;
  /** process.hrtime() when the request was queued (written), the start of `duration`. */
  startTime?: [number, number];
  duration: number;
}

/** autocannon's per-connection queue of requests in flight: its parser hands it each response's headers, body and end. */
interface PipelinedRequests {
  setHeaders(opts: HeadersInfo): void;
  addBody(data: Buffer): void;
  terminateRequest(): Terminated | undefined;
}

/** The part of autocannon's client (lib/httpClient.js) this module touches. */
export interface Client {
  on(event: 'headers', listener: (opts: HeadersInfo) => void): void;
  on(event: 'body', listener: (chunk: Buffer) => void): void;
  on(event: 'response', listener: (statusCode: number, resBytes: number, responseTime: number) => void): void;
  pipelinedRequests?: PipelinedRequests;
  destroyed?: boolean;
}

/** A completed response: status, latency (autocannon's own timer), body bytes, cache status, epoch ms it ended. */
export type OnResponse = (status: number, latencyMs: number, bytes: number, cache: CacheStatus, endAt: number) => void;

/**
 * Hands every response a client completes to `onResponse`, with the cache status of its headers and
 * its body bytes (`bytes` means body bytes in bench as in run; autocannon's own count includes the
 * headers). A client parses one response at a time, pipelined or not.
 *
 * Taken where autocannon's parser hands headers, body and end to the client's request queue, when the
 * client has one (autocannon 9): its 'headers', 'body' and 'response' events carry the same, but three
 * event dispatches per response are work autocannon alone does not do (issue 12: `troupe bench` ≥ 0.97×
 * bare autocannon). A response is counted where autocannon counts it: not after the client was
 * destroyed. Without the queue, the events.
 *
 * On the queue, two things autocannon alone does are left out, because troupe bench never reads them:
 * - the body is counted, not kept: autocannon appends every chunk to a string (a UTF-8 decode per
 *   chunk, ~0.2 µs of its ~0.5 µs a response in `node bench/per-response.mjs`) for `expectBody`,
 *   `verifyBody` and a request's `onResponse`, and runAutocannon passes none of them;
 * - the end time is autocannon's own start time plus its duration, not a clock read per response.
 */
export function watchResponses(client: Client, memo: CacheMemo, onResponse: OnResponse): void {
  const last = new LastHeaders(memo);
  let cache: CacheStatus = 'unknown';
  let bytes = 0;
  const queue = client.pipelinedRequests;
  if (queue && typeof queue.setHeaders === 'function' && typeof queue.addBody === 'function' && typeof queue.terminateRequest === 'function') {
    const { setHeaders, terminateRequest } = queue;
    // Epoch ms at process.hrtime() zero: hrtime is monotonic, and a run is too short for the wall clock to drift from it.
    const hr = process.hrtime();
    const epochAtHrZero = Date.now() - (hr[0] * 1e3 + hr[1] / 1e6);
    queue.setHeaders = function (opts) {
      cache = last.status(opts.headers);
      bytes = 0;
      setHeaders.call(this, opts);
    };
    queue.addBody = function (data) {
      bytes += data.length;
    };
    queue.terminateRequest = function () {
      const done = terminateRequest.call(this);
      if (done !== undefined && !client.destroyed) {
        const start = done.startTime;
        const endAt = start ? epochAtHrZero + start[0] * 1e3 + start[1] / 1e6 + done.duration : Date.now();
        onResponse((done.headers as HeadersInfo).statusCode, done.duration, bytes, cache, endAt);
      }
      return done;
    };
    return;
  }
  client.on('headers', (opts) => {
    cache = last.status(opts.headers);
    bytes = 0;
  });
  client.on('body', (chunk) => (bytes += chunk.length));
  client.on('response', (statusCode, _resBytes, responseTime) => onResponse(statusCode, responseTime, bytes, cache, Date.now()));
}

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
  /** `endAt`: epoch ms the response completed. */
  response(status: number, latencyMs: number, bytes: number, cache: CacheStatus, endAt: number): void;
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
  const memo = new CacheMemo();
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
        setupClient: (client: Client) => watchResponses(client, memo, onResponse),
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
