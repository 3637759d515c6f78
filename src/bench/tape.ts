/**
 * `troupe bench`'s recording, deferred off autocannon's per-response path. A response is five numbers
 * written into typed arrays (status, latency, body bytes, cache status, end time); every TAPE_MS, or
 * when TAPE_SIZE responses wait, the batch is recorded in one loop into the HdrHistograms (RunMetrics.addResponses)
 * and handed on as it is, arrays and all, to results.tape (src/run-dir/results-tape.ts: one vectored
 * write, the lines are made when the bench ends), with one mark for the persona snapshot. No record
 * object, line, sink fan-out or timer check per response (issue 12: `troupe bench` ≥ 0.97× bare
 * autocannon; autocannon spends ~12 µs of a core per response against nginx, so every 0.12 µs here is 1 %).
 *
 * Order and ids are the responses' order: `bench/1`, `bench/2`, … A failed request (its record has a
 * message) flushes what waits first, so the tape keeps the order things happened.
 */
import { blockTimes, CACHE_STATUSES, type ResultRecord } from '../engine/records.js';
import { errorForStatus } from '../engine/classify-error.js';
import { resultLine } from '../run-dir/results-writer.js';
import type { TapeResponses } from '../run-dir/results-tape.js';
import { benchRecord } from './recorder.js';

/** Responses held at most before they are recorded, and for how long (the results' loss window). */
export const TAPE_SIZE = 2048;
export const TAPE_MS = 10;

/** Where a batch goes: its numbers, and records where they are needed. */
export interface TapeSink {
  /**
   * A failed request's record and, unless `responseRecords` is false, each response's record, in order;
   * the object is rewritten for the next one (copy what you keep).
   */
  record(record: ResultRecord): void;
  /**
   * false: `record` gets the failures only, and the responses are numbers only (`responses`: metrics
   * record them with RunMetrics.addResponses), with no record made per response. Default true.
   */
  readonly responseRecords?: boolean;
  /** The batch's numbers, after its records (its arrays are reused once this returns). */
  responses?(block: TapeResponses): void;
  /** A failed request's results.ndjson line, in its place among the responses. */
  failed?(line: string): void;
}

export interface TapeTimer {
  timeout(ms: number, fn: () => void): () => void;
}

export class BenchTape {
  private readonly block: TapeResponses = {
    count: 0,
    latencyMs: new Float64Array(TAPE_SIZE),
    endAt: new Float64Array(TAPE_SIZE),
    bytes: new Float64Array(TAPE_SIZE),
    status: new Uint16Array(TAPE_SIZE),
    cache: new Uint8Array(TAPE_SIZE),
  };
  private n = 0;
  private cancel: (() => void) | null = null;
  private readonly scratch: ResultRecord;
  private readonly flushNow = () => {
    this.cancel = null;
    this.flush();
  };

  constructor(url: string, location: string, method: string, private readonly sink: TapeSink, private readonly timer: TapeTimer) {
    this.scratch = benchRecord(url, location, method);
  }

  /** Responses taken so far (recorded or waiting). */
  get total(): number {
    return this.n + this.block.count;
  }

  /**
   * Hot path: one response, `cache` its CACHE_STATUSES index (LastHeaders.code), `endAt` the epoch ms it
   * completed. `status` is 100–599 (autocannon parsed it).
   */
  response(status: number, latencyMs: number, bytes: number, cache: number, endAt: number): void {
    const b = this.block;
    const i = b.count++;
    b.status[i] = status;
    b.latencyMs[i] = latencyMs;
    b.bytes[i] = bytes;
    b.cache[i] = cache;
    b.endAt[i] = endAt;
    if (i + 1 === TAPE_SIZE) this.flush();
    else if (this.cancel === null) this.cancel = this.timer.timeout(TAPE_MS, this.flushNow);
  }

  /** A request that failed (no response): recorded after what waits, numbered in turn, with the tape's URL. */
  failure(record: ResultRecord): void {
    this.flush();
    this.n++;
    const numbered: ResultRecord = { ...record, url: this.scratch.url, id: `bench/${this.n}`, iteration: this.n };
    this.sink.record(numbered);
    this.sink.failed?.(resultLine(numbered));
  }

  /** Records what waits. */
  flush(): void {
    this.cancel?.();
    this.cancel = null;
    const b = this.block;
    const count = b.count;
    if (count === 0) return;
    if (this.sink.responseRecords === false) this.n += count;
    else this.recordEach(b);
    this.sink.responses?.(b);
    b.count = 0;
  }

  private recordEach(b: TapeResponses): void {
    const r = this.scratch;
    for (let i = 0; i < b.count; i++) {
      const n = ++this.n;
      const status = b.status[i]!;
      const error = errorForStatus(status);
      const { latencyMs, startedAt } = blockTimes(b.latencyMs[i]!, b.endAt[i]!);
      r.id = `bench/${n}`;
      r.iteration = n;
      r.status = status;
      r.ok = error === null;
      r.error = error;
      r.latencyMs = latencyMs;
      r.bytes = b.bytes[i]!;
      r.cache = CACHE_STATUSES[b.cache[i]!] ?? 'unknown';
      r.startedAt = startedAt;
      this.sink.record(r);
    }
  }
}
