/**
 * troupe's own request queue for an autocannon client (autocannon 9's lib/pipelinedRequestsQueue.js, the
 * same methods): the client writes a request, its parser hands the response's headers, body and end to
 * `client.pipelinedRequests`, and this queue turns each completed response into five numbers for
 * `onResponse`. autocannon's `setupClient` hook runs in the client's constructor, before it connects,
 * so the queue is in place before the first request.
 *
 * Why not wrap autocannon's queue (troupe's earlier way): with `troupe bench` and bare autocannon on one
 * core at once against nginx, each counted by nginx over the same seconds (so the machine's noise, which
 * moved either alone ±30 % from run to run, is the same for both: bench/paired.mjs), the wrappers —
 * three closures per client around autocannon's methods — cost 2–3 % of the requests, and this class
 * with one header check for all clients won 2–3 % back (1.021× and 1.028× the wrapped build over 8
 * rounds; issue 12: `troupe bench` ≥ 0.97× bare autocannon). It does less than autocannon's own per response:
 * - an entry per request in flight, reused: autocannon allocates an object and a `headers` object per request;
 * - the body is counted, not kept: autocannon appends every chunk to a string (a decode per chunk) for
 *   `expectBody`, `verifyBody` and a request's `onResponse`, which troupe bench never passes;
 * - the cache status is read from the headers when they arrive (LastHeaders, one for every client of
 *   a run, so the last header set it compares with stays in the CPU's cache);
 * - the end time is the start plus the duration: no clock read beyond autocannon's two a request.
 *
 * The client reads back from a terminated entry what autocannon's entry has: `req`, `headers`
 * (`statusCode`, `headers`), `body` (always ''), `bytes` (what the socket read, headers included) and
 * `duration` (ms). An entry is reused only after the next response ended: the client is done with it by then.
 */
import type { LastHeaders } from './recorder.js';

/** What autocannon's parser hands over when a response's headers are complete. */
export interface HeadersInfo {
  statusCode: number;
  headers: (string | Buffer)[];
}

/** A completed response: status, latency (ms, autocannon's timer), body bytes, cache status (CACHE_STATUSES index), epoch ms it ended. */
export type OnResponse = (status: number, latencyMs: number, bytes: number, cache: number, endAt: number) => void;

interface Entry {
  req: unknown;
  /** Bytes the socket read for this response (autocannon's `addByteCount`). */
  bytes: number;
  body: string;
  headers: HeadersInfo | Record<string, never>;
  /** process.hrtime() when the request was queued, just before it was written (autocannon's start). */
  startTime: [number, number];
  duration: number;
  bodyBytes: number;
  cache: number;
}

const NO_HEADERS: Record<string, never> = Object.freeze({}) as Record<string, never>;

export class ResponseQueue {
  private pending: Entry[] = [];
  private readonly spare: Entry[] = [];
  /** The entry terminateRequest returned last: reused once the next response ended. */
  private returned: Entry | null = null;
  /** Epoch ms at process.hrtime() zero: hrtime is monotonic, and a run is too short for the wall clock to drift from it. */
  private readonly epochAtHrZero: number;

  constructor(
    private readonly client: { readonly destroyed?: boolean },
    private readonly last: LastHeaders,
    private readonly onResponse: OnResponse,
  ) {
    const hr = process.hrtime();
    this.epochAtHrZero = Date.now() - (hr[0] * 1e3 + hr[1] / 1e6);
  }

  insertRequest(req: unknown): void {
    const startTime = process.hrtime();
    const entry = this.spare.pop();
    if (entry === undefined) {
      this.pending.push({ req, bytes: 0, body: '', headers: NO_HEADERS, startTime, duration: 0, bodyBytes: 0, cache: 0 });
      return;
    }
    entry.req = req;
    entry.bytes = 0;
    entry.headers = NO_HEADERS;
    entry.startTime = startTime;
    entry.duration = 0;
    entry.bodyBytes = 0;
    entry.cache = 0;
    this.pending.push(entry);
  }

  peek(): Entry | undefined {
    return this.pending[0];
  }

  addByteCount(count: number): void {
    const entry = this.pending[0];
    if (entry !== undefined) entry.bytes += count;
  }

  addBody(data: Buffer): void {
    const entry = this.pending[0];
    if (entry !== undefined) entry.bodyBytes += data.length;
  }

  setHeaders(headers: HeadersInfo): void {
    const entry = this.pending[0];
    if (entry === undefined) return;
    entry.headers = headers;
    entry.cache = this.last.code(headers.headers);
  }

  size(): number {
    return this.pending.length;
  }

  /** The first request's response ended: its duration, handed on unless the client was destroyed (autocannon then no longer counts it). */
  terminateRequest(): Entry | undefined {
    if (this.returned !== null) {
      this.spare.push(this.returned);
      this.returned = null;
    }
    const entry = this.pending.shift();
    if (entry === undefined) return undefined;
    const start = entry.startTime;
    const hr = process.hrtime(start);
    const duration = hr[0] * 1e3 + hr[1] / 1e6;
    entry.duration = duration;
    if (this.client.destroyed !== true) {
      this.onResponse((entry.headers as HeadersInfo).statusCode, duration, entry.bodyBytes, entry.cache, this.epochAtHrZero + start[0] * 1e3 + start[1] / 1e6 + duration);
    }
    this.returned = entry;
    return entry;
  }

  /** The connection was reset: what was in flight gets no response (autocannon's own clear). */
  clear(): void {
    this.pending = [];
    this.returned = null;
  }

  toArray(): Entry[] {
    return this.pending;
  }
}
