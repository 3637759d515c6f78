/**
 * The outputs' one lifecycle (after k6 `output/types.go` and `output/manager.go`): start, write (never
 * blocks), stop (flush). `live` outputs consume the record stream while the run goes (results.ndjson,
 * snapshots, progress); `end` outputs build an artifact from the finished run directory (csv/, report.pdf,
 * junit.xml, summary.md), so their stop is where the artifact is written, once summary.json exists.
 */
import type { EngineRecord } from '../engine/records.js';
import { ArtifactError, OutputError } from '../errors.js';

/** What the end-of-run outputs are given when they stop: the finished run. */
export interface RunEnd {
  runDir: string;
  /** summary.json's document (typed by src/run/files.ts; opaque here). */
  summary: unknown;
  /** The gate's comparison with a baseline, when there is one (opaque here, see src/reports/compare.ts). */
  comparison: unknown;
}

export interface Output {
  readonly name: string;
  readonly when: 'live' | 'end';
  start(): Promise<void>;
  write?(record: EngineRecord): void;
  /** results.ndjson lines serialised elsewhere (`--workers N`: in the worker threads), `count` of them. */
  writeLines?(lines: string, count: number): void;
  /** Optional backpressure: a promise while the output cannot keep up, undefined otherwise. */
  backpressure?(): Promise<void> | undefined;
  /**
   * Flush and close. `end` is null for live outputs and when the run never got to its end (an output
   * after it failed to start); an end output then writes nothing. May return a warning for stderr.
   */
  stop(end: RunEnd | null): Promise<string | void>;
}

export interface FinishReport {
  warnings: string[];
  /** End outputs whose artifact could not be written (the others were): the command names them and exits 4. */
  failed: ArtifactError[];
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The outputs of one run, in order. `start` starts them in order and, when one fails, stops the ones
 * already started in reverse and throws an OutputError naming it; `stopLive` stops the live ones in
 * reverse once the engine is done; `finish` stops the end ones in order, each failure kept apart.
 */
export class OutputManager {
  private started: Output[] = [];
  private live: Output[] = [];
  /** Warnings the live outputs returned when they stopped (a metrics endpoint that failed): said at the end. */
  private liveWarnings: string[] = [];
  private readonly withPressure: Output[];

  constructor(readonly outputs: readonly Output[]) {
    this.withPressure = outputs.filter((o) => o.backpressure);
  }

  async start(): Promise<void> {
    for (const output of this.outputs) {
      try {
        await output.start();
      } catch (err) {
        await this.stopStarted();
        throw new OutputError(output.name, `could not start: ${reason(err)}`, { cause: err });
      }
      this.started.push(output);
    }
    this.live = this.started.filter((o) => o.when === 'live' && o.write);
  }

  /** Fan one record out to the live outputs. */
  readonly write = (record: EngineRecord): void => {
    for (const output of this.live) output.write!(record);
  };

  /** Ready-made result lines to the outputs that take them (results.ndjson). */
  readonly writeLines = (lines: string, count: number): void => {
    for (const output of this.live) output.writeLines?.(lines, count);
  };

  /** The first pending backpressure promise among the outputs, if any. */
  readonly ready = (): Promise<void> | undefined => {
    for (const output of this.withPressure) {
      const pending = output.backpressure!();
      if (pending) return pending;
    }
    return undefined;
  };

  /** Stop every live output (in reverse) even if one fails; throw the first failure, named, afterwards. */
  async stopLive(): Promise<void> {
    const live = this.started.filter((o) => o.when === 'live').reverse();
    this.started = this.started.filter((o) => o.when !== 'live');
    this.live = [];
    let first: OutputError | null = null;
    for (const output of live) {
      try {
        const warning = await output.stop(null);
        if (warning) this.liveWarnings.push(warning);
      } catch (err) {
        first ??= new OutputError(output.name, `could not be completed: ${reason(err)}`, { cause: err });
      }
    }
    if (first) throw first;
  }

  /** Build every end-of-run artifact; one that cannot be written does not stop the others. */
  async finish(end: RunEnd): Promise<FinishReport> {
    const report: FinishReport = { warnings: [...this.liveWarnings], failed: [] };
    const ends = this.started.filter((o) => o.when === 'end');
    this.started = this.started.filter((o) => o.when !== 'end');
    for (const output of ends) {
      try {
        const warning = await output.stop(end);
        if (warning) report.warnings.push(warning);
      } catch (err) {
        report.failed.push(err instanceof ArtifactError ? err : new ArtifactError(`output "${output.name}"`, reason(err), { cause: err }));
      }
    }
    return report;
  }

  /** A run that ended without a summary: whatever is still started is stopped, end outputs write nothing. */
  async abandon(): Promise<void> {
    await this.stopStarted();
  }

  private async stopStarted(): Promise<void> {
    const started = this.started.reverse();
    this.started = [];
    this.live = [];
    for (const output of started) await output.stop(null).catch(() => undefined);
  }
}
