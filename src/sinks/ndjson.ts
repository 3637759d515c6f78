import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EngineRecord } from '../engine/records.js';
import { openResults, resultLine } from '../run-dir/results-writer.js';
import type { Output } from './output.js';

export { resultLine };

/** Lines are flushed at least this often, or sooner when a batch reaches FLUSH_BYTES. */
const FLUSH_MS = 50;
const FLUSH_BYTES = 256 * 1024;

/**
 * Appends one line per result to results.ndjson as results complete. Lines are batched (one write call
 * per 50 ms or 256 KiB, not per request: small writes cost more CPU than the requests they record) and the stream's backpressure reaches the engine through
 * `backpressure()`, so a slow disk slows the run instead of filling memory.
 */
export class NdjsonSink implements Output {
  readonly name = 'ndjson';
  readonly when = 'live' as const;
  private stream: WriteStream | null = null;
  private batch = '';
  private scheduled = false;
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
    this.batch += resultLine(record);
    if (this.batch.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  backpressure(): Promise<void> | undefined {
    return this.draining;
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.batch || !this.stream) return;
    const ok = this.stream.write(this.batch);
    this.batch = '';
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
