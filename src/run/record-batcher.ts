/**
 * How a worker thread hands records to the main thread: in batches of up to `size`, flushed at the
 * latest `flushMs` after the first record of a batch (on the clock, so tests run it on fake time). A
 * full batch is sent before the next visit's first record, never between two records of one visit:
 * the main thread interleaves the workers' batches, and results.ndjson must keep a visit's lines
 * together (resume and merge count visits by them).
 */
import type { Clock } from '../engine/clock.js';
import type { EngineRecord } from '../engine/records.js';

export class RecordBatcher {
  private batch: EngineRecord[] = [];
  private cancel: (() => void) | null = null;

  constructor(
    private readonly send: (records: EngineRecord[]) => void,
    private readonly clock: Pick<Clock, 'timeout'>,
    private readonly size: number,
    private readonly flushMs: number,
  ) {}

  readonly add = (record: EngineRecord): void => {
    const last = this.batch[this.batch.length - 1];
    if (this.batch.length >= this.size && !(record.type === 'result' && last?.type === 'result' && last.id === record.id)) this.flush();
    this.batch.push(record);
    this.cancel ??= this.clock.timeout(this.flushMs, this.flush);
  };

  readonly flush = (): void => {
    this.cancel?.();
    this.cancel = null;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.send(records);
  };
}
