import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EngineRecord, ResultRecord } from '../engine/records.js';
import type { Sink } from './sink.js';

/** The line written to results.ndjson for one result: the record without its stream `type`. */
export function resultLine(record: ResultRecord): string {
  const { type: _type, ...line } = record;
  return `${JSON.stringify(line)}\n`;
}

/**
 * Appends one line per result to results.ndjson as results complete. Lines are batched per tick (one
 * write call per batch, not per request) and the stream's backpressure reaches the engine through
 * `backpressure()`, so a slow disk slows the run instead of filling memory.
 */
export class NdjsonSink implements Sink {
  readonly name = 'ndjson';
  private stream: WriteStream | null = null;
  private batch = '';
  private scheduled = false;
  private draining: Promise<void> | undefined;
  private failure: Error | null = null;

  constructor(private readonly path: string) {}

  async start(): Promise<void> {
    const stream = createWriteStream(this.path, { flags: 'a' });
    await once(stream, 'open');
    stream.on('error', (err) => {
      this.failure = err;
    });
    this.stream = stream;
  }

  write(record: EngineRecord): void {
    if (record.type !== 'result') return;
    this.batch += resultLine(record);
    if (this.batch.length >= 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
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
