/**
 * `troupe bench`'s recording, deferred off autocannon's per-response path. A response is five numbers
 * written into typed arrays (status, latency, body bytes, cache status, end time); every TAPE_MS, or
 * when TAPE_SIZE responses wait, the batch is recorded in one loop: the HdrHistograms (addUniform), the
 * results.ndjson lines (built from the bench's constant parts, no JSON.stringify per line) and one
 * mark for the persona snapshot. The same work as per response, but in a tight loop of its own, with
 * no record object, sink fan-out or timer check per response (issue 12: `troupe bench` ≥ 0.97× bare
 * autocannon; autocannon spends ~25 µs of a core per response, so every 0.25 µs here is 1 %).
 *
 * Order and ids are the responses' order: `bench/1`, `bench/2`, … A failed request (its record has a
 * message) flushes what waits first, so lines stay in the order things happened.
 */
import type { CacheStatus, ResultRecord } from '../engine/records.js';
import { CACHE_STATUSES } from '../engine/records.js';
import { errorForStatus } from '../engine/classify-error.js';
import { resultLine } from '../run-dir/results-writer.js';
import { benchRecord } from './recorder.js';

/** Responses held at most before they are recorded, and for how long (the results' loss window, as BENCH_FLUSH). */
export const TAPE_SIZE = 2048;
export const TAPE_MS = 10;

const CACHE_CODE = new Map<CacheStatus, number>(CACHE_STATUSES.map((s, i) => [s, i]));

/** `.001` … `.999` as JSON writes them (no trailing zeros), '' for 0: a latency's fraction, looked up. */
const FRACTION = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * `String(us / 1000)` for a whole number of microseconds, from two small integers: V8 writes a small
 * integer from its number-string cache, where a fractional double takes the shortest-decimal algorithm.
 * Equal because a value with three decimals below 2^31 µs has no shorter decimal of the same double.
 */
export function microsText(us: number): string {
  if (!(us >= 0 && us < 2 ** 31 && Number.isInteger(us))) return String(us / 1000);
  return `${(us / 1000) | 0}${FRACTION[us % 1000]}`;
}

/** Where a recorded batch goes: one call per record (metrics), then the batch's lines. */
export interface TapeSink {
  /** Each record, in order; the object is rewritten for the next one (copy what you keep). */
  record(record: ResultRecord): void;
  /** The batch's results.ndjson lines (equal to resultLine of each record), `count` of them; none are built without it. */
  lines?(text: string, count: number): void;
}

export interface TapeTimer {
  timeout(ms: number, fn: () => void): () => void;
}

export class BenchTape {
  private readonly status = new Uint16Array(TAPE_SIZE);
  private readonly latency = new Float64Array(TAPE_SIZE);
  private readonly bytes = new Float64Array(TAPE_SIZE);
  private readonly cache = new Uint8Array(TAPE_SIZE);
  private readonly endAt = new Float64Array(TAPE_SIZE);
  private count = 0;
  private n = 0;
  private cancel: (() => void) | null = null;
  private readonly scratch: ResultRecord;
  private readonly head: string;
  private readonly middle: string;
  private readonly flushNow = () => {
    this.cancel = null;
    this.flush();
  };

  constructor(url: string, location: string, method: string, private readonly sink: TapeSink, private readonly timer: TapeTimer) {
    this.scratch = benchRecord(url, location, method);
    this.head = `","persona":"bench","location":${JSON.stringify(location)},"iteration":`;
    this.middle = `,"step":"request","method":${JSON.stringify(method)},"url":${JSON.stringify(url)},"status":`;
  }

  /** Responses taken so far (recorded or waiting). */
  get total(): number {
    return this.n + this.count;
  }

  /** Hot path: one response, `endAt` the epoch ms it completed. `status` is 100–599 (autocannon parsed it). */
  response(status: number, latencyMs: number, bytes: number, cache: CacheStatus, endAt: number): void {
    const i = this.count++;
    this.status[i] = status;
    this.latency[i] = latencyMs;
    this.bytes[i] = bytes;
    this.cache[i] = CACHE_CODE.get(cache) ?? 4;
    this.endAt[i] = endAt;
    if (i + 1 === TAPE_SIZE) this.flush();
    else if (this.cancel === null) this.cancel = this.timer.timeout(TAPE_MS, this.flushNow);
  }

  /** A request that failed (no response): recorded after what waits, numbered in turn. */
  failure(record: ResultRecord): void {
    this.flush();
    this.n++;
    const numbered: ResultRecord = { ...record, id: `bench/${this.n}`, iteration: this.n };
    this.sink.record(numbered);
    this.sink.lines?.(resultLine(numbered), 1);
  }

  /** Records what waits. */
  flush(): void {
    this.cancel?.();
    this.cancel = null;
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const r = this.scratch;
    const { head, middle } = this;
    const lines = this.sink.lines !== undefined;
    let text = '';
    for (let i = 0; i < count; i++) {
      const n = ++this.n;
      const status = this.status[i]!;
      const error = errorForStatus(status);
      // To the microsecond, as `run` records it (and a short number is quicker to write than 17 digits).
      const us = Math.round(this.latency[i]! * 1000);
      const ms = us / 1000;
      const bytes = this.bytes[i]!;
      const cache = CACHE_STATUSES[this.cache[i]!]!;
      const startedAt = Math.round(this.endAt[i]! - ms);
      r.id = `bench/${n}`;
      r.iteration = n;
      r.status = status;
      r.ok = error === null;
      r.error = error;
      r.latencyMs = ms;
      r.bytes = bytes;
      r.cache = cache;
      r.startedAt = startedAt;
      this.sink.record(r);
      if (!lines) continue;
      // resultLine(r), concatenated: ids, statuses, error codes and cache statuses need no escaping.
      text += `{"id":"bench/${n}${head}${n}${middle}${status},"ok":${error === null},"error":${error === null ? 'null' : `"${error}"`},"latencyMs":${microsText(us)},"ttfbMs":null,"bytes":${bytes},"protocol":"http/1.1","cache":"${cache}","startedAt":${startedAt}}\n`;
    }
    if (lines) this.sink.lines!(text, count);
  }
}
