import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EngineRecord } from '../engine/records.js';
import { openResults, resultLine, RESULTS_FLUSH } from '../run-dir/results-writer.js';
import type { Output } from './output.js';

export { resultLine };

/** Lines are flushed at least every RESULTS_FLUSH.ms, or sooner when RESULTS_FLUSH.lines or FLUSH_BYTES wait. */
const FLUSH_BYTES = 256 * 1024;

/**
 * Appends one line per result to results.ndjson as results complete. Lines are batched (one write call
 * per 10 ms, 16 lines or 256 KiB, not per request: small writes cost more CPU than the requests they
 * record; few enough that a `kill -9` loses only a handful, see RESULTS_FLUSH) and the stream's backpressure reaches the engine through
 * `backpressure()`, so a slow disk slows the run instead of filling memory.
 */
export class NdjsonSink implements Output {
  readonly name = 'ndjson';
  readonly when = 'live' as const;
  private stream: WriteStream | null = null;
  private batch = '';
  private lines = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private failure: Error | null = null;

  /** `runDir`: the run directory whose results.ndjson receives the lines (appended to). */
  constructor(private readonly runDir: string) {}

  async start(): Promise<void> {
    const stream = await openResults(this.runDir);
    stream.on('error', (err) => {
      this.failure = err;
    });
    this.stream = stream;
  }

  write(record: EngineRecord): void {
    if (record.type !== 'result') return;
    this.writeLines(resultLine(record), 1);
  }

  writeLines(lines: string, count: number): void {
    this.batch += lines;
    this.lines += count;
    if (this.lines >= RESULTS_FLUSH.lines || this.batch.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.timer = setTimeout(() => this.flush(), RESULTS_FLUSH.ms).unref();
    }
  }

  backpressure(): Promise<void> | undefined {
    return this.draining;
  }

  private flush(): void {
    if (this.scheduled) clearTimeout(this.timer);
    this.scheduled = false;
    if (!this.batch || !this.stream) return;
    const ok = this.stream.write(this.batch);
    this.batch = '';
    this.lines = 0;
    if (!ok && !this.draining) {
      this.draining = once(this.stream, 'drain').then(() => {
        this.draining = undefined;
      });
    }
  }

  async stop(): Promise<void> {
    this.flush();
    const stream = this.stream;
    this.stream = null;
    if (stream) {
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    if (this.failure) throw this.failure;
  }
}
