import { systemClock, type Clock } from '../engine/clock.js';
import type { EngineRecord, ResultRecord } from '../engine/records.js';
import { openResultsAppender, resultLine, RESULTS_FLUSH, type ResultsAppender } from '../run-dir/results-writer.js';
import type { Output } from './output.js';

export { resultLine };

/** Lines are flushed at least every RESULTS_FLUSH.ms, or sooner when RESULTS_FLUSH.lines or FLUSH_BYTES wait. */
const FLUSH_BYTES = 256 * 1024;

export interface NdjsonOptions {
  /** The line of a record (default: resultLine); must return what resultLine would. */
  line?: (record: ResultRecord) => string;
  /** When a batch is written (default: RESULTS_FLUSH). */
  flush?: { lines: number; ms: number };
  /** The flush timer's clock (default: the system clock; tests pass a fake one). */
  clock?: Clock;
}

/**
 * Appends one line per result to results.ndjson as results complete. Lines are batched (one write per
 * 10 ms, 16 lines or 256 KiB, not per request: small writes cost more CPU than the requests they
 * record; few enough that a `kill -9` loses only a handful, see RESULTS_FLUSH). Each batch is one
 * synchronous append (see openResultsAppender for why): a slow disk slows the run, it never fills memory.
 */
export class NdjsonSink implements Output {
  readonly name = 'ndjson';
  readonly when = 'live' as const;
  private file: ResultsAppender | null = null;
  private batch = '';
  private lines = 0;
  private cancelTimer: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly flushNow = () => this.flush();
  private readonly line: (record: ResultRecord) => string;
  private readonly maxLines: number;
  private readonly maxMs: number;
  private readonly clock: Clock;

  /** `runDir`: the run directory whose results.ndjson receives the lines (appended to). */
  constructor(private readonly runDir: string, options: NdjsonOptions = {}) {
    this.line = options.line ?? resultLine;
    this.maxLines = options.flush?.lines ?? RESULTS_FLUSH.lines;
    this.maxMs = options.flush?.ms ?? RESULTS_FLUSH.ms;
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    this.file = await openResultsAppender(this.runDir);
  }

  write(record: EngineRecord): void {
    if (record.type !== 'result') return;
    this.writeLines(this.line(record), 1);
  }

  writeLines(lines: string, count: number): void {
    this.batch += lines;
    this.lines += count;
    if (this.lines >= this.maxLines || this.batch.length >= FLUSH_BYTES) this.flush();
    else if (!this.cancelTimer) this.cancelTimer = this.clock.timeout(this.maxMs, this.flushNow);
  }

  private flush(): void {
    if (this.cancelTimer) {
      this.cancelTimer();
      this.cancelTimer = null;
    }
    const text = this.batch;
    this.batch = '';
    this.lines = 0;
    if (!text || !this.file || this.failure) return;
    try {
      this.file.append(text);
    } catch (err) {
      this.failure = err as Error;
    }
  }

  async stop(): Promise<void> {
    this.flush();
    const file = this.file;
    this.file = null;
    await file?.close();
    if (this.failure) throw this.failure;
  }
}
