/**
 * `--workers N` with the recording in the workers: a worker thread serialises its own result lines and
 * records its own metrics, and hands the main thread a batch of ready lines (one string), the span and
 * count of the results in it (run.json's segments), the records that are not results (persona start
 * and end, sessions) and, at most every `metricsMs` and whenever a persona starts or ends, what its
 * metrics added since the last batch that carried them (encoded histograms, merged exactly). So the
 * main thread does per batch what it did per result: no record objects cross threads, nothing is
 * serialised twice. Batching follows RecordBatcher: up to `size` results or `flushMs`, never splitting
 * one visit's lines.
 */
import type { Clock } from '../engine/clock.js';
import type { EngineRecord, ResultRecord } from '../engine/records.js';
import { RunMetrics, type RunMetricsSummary } from '../metrics/run-metrics.js';
import { resultLine } from '../run-dir/results-writer.js';

export interface LeanBatch {
  /** results.ndjson lines, each ending in a newline. */
  lines: string;
  /** Results in `lines`. */
  count: number;
  /** Earliest send and latest completion (epoch ms) of those results; 0 when count is 0. */
  firstStart: number;
  lastEnd: number;
  /** The other records, in the order the engine emitted them. */
  records: EngineRecord[];
  /** Personas whose results are in this batch (their snapshots are due). */
  personas: string[];
  /** What the worker's metrics added since the last delta; absent when this batch carries none. */
  metrics?: RunMetricsSummary;
}

export class LeanBatcher {
  private lines = '';
  private count = 0;
  private firstStart = Infinity;
  private lastEnd = -Infinity;
  private records: EngineRecord[] = [];
  private readonly personas = new Set<string>();
  private lastId: string | null = null;
  private metrics: RunMetrics;
  private recorded = 0;
  private metricsDue = false;
  private lastMetricsAt: number;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly send: (batch: LeanBatch) => void,
    private readonly clock: Pick<Clock, 'timeout' | 'now'>,
    private readonly size: number,
    private readonly flushMs: number,
    private readonly metricsMs: number,
    /** The schedule's start (epoch ms): the warm-up curve's origin, as in the main thread's metrics. */
    private readonly startAt: number,
  ) {
    this.metrics = this.fresh();
    this.lastMetricsAt = clock.now();
  }

  readonly add = (record: EngineRecord): void => {
    if (record.type === 'result') {
      if (this.count >= this.size && record.id !== this.lastId) this.flush();
      this.addResult(record);
    } else {
      this.records.push(record);
      // A persona's end makes the main thread write its final snapshot: its figures must be there first.
      if (record.type !== 'session') this.metricsDue = true;
    }
    this.cancel ??= this.clock.timeout(this.flushMs, this.flush);
  };

  private addResult(record: ResultRecord): void {
    this.lines += resultLine(record);
    this.count++;
    this.lastId = record.id;
    if (record.startedAt < this.firstStart) this.firstStart = record.startedAt;
    const end = record.startedAt + record.latencyMs;
    if (end > this.lastEnd) this.lastEnd = end;
    this.personas.add(record.persona);
    this.metrics.add(record);
    this.recorded++;
  }

  /** Sends what waits; `final` sends the metrics too (the last batch of the worker). */
  readonly flush = (final = false): void => {
    this.cancel?.();
    this.cancel = null;
    const now = this.clock.now();
    const withMetrics = this.recorded > 0 && (final === true || this.metricsDue || now - this.lastMetricsAt >= this.metricsMs);
    if (this.count === 0 && this.records.length === 0 && !withMetrics) return;
    const batch: LeanBatch = {
      lines: this.lines,
      count: this.count,
      firstStart: this.count > 0 ? this.firstStart : 0,
      lastEnd: this.count > 0 ? this.lastEnd : 0,
      records: this.records,
      personas: [...this.personas],
    };
    if (withMetrics) {
      batch.metrics = this.metrics.toDelta();
      this.metrics = this.fresh();
      this.recorded = 0;
      this.metricsDue = false;
      this.lastMetricsAt = now;
    }
    this.lines = '';
    this.count = 0;
    this.firstStart = Infinity;
    this.lastEnd = -Infinity;
    this.records = [];
    this.personas.clear();
    this.send(batch);
  };

  private fresh(): RunMetrics {
    const metrics = new RunMetrics();
    metrics.startAt(this.startAt);
    return metrics;
  }
}
