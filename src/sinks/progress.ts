import cliProgress from 'cli-progress';
import { printable } from '../util/printable.js';
import { systemClock, type Clock } from '../engine/clock.js';
import type { EngineRecord } from '../engine/records.js';
import type { TerminalInfo } from './terminal.js';
import type { Output } from './output.js';

export interface PersonaProgress {
  /** Result records so far (every step and attempt); the bars count visits themselves (see ProgressSink). */
  done: number;
  errors: number;
  p95Ms: number | null;
  hitRate: number | null;
}

export interface ProgressSource {
  progress(persona: string): PersonaProgress;
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  terminal: TerminalInfo;
  /** Planned visits per persona (one journey, or one request without a journey), in display order. */
  planned: ReadonlyMap<string, number>;
  /** Each persona's first step name (`request` without a journey, the default): its first attempt starts a visit. */
  firstStep?: ReadonlyMap<string, string>;
  /** Visits per persona done before this process started (a resumed run). */
  alreadyDone?: ReadonlyMap<string, number>;
  source: ProgressSource;
  /** Plain-line interval on a non-TTY. */
  lineIntervalMs?: number;
  /** Refreshes and plain lines run on this clock's timers. Default: the system clock. */
  clock?: Pick<Clock, 'timeout'>;
  /** A closed-model run for a duration or in stages: active VUs and the time against the schedule, instead of a share of the plan. */
  vus?: VuProgress;
}

export interface VuProgress {
  active(): number;
  /** The most VUs the schedule asks for (the bar's length). */
  max: number;
  scheduledMs: number;
  /** Load time run so far, ms (a resumed run counts its earlier sessions). */
  elapsedMs(): number;
}

const fmtMs = (v: number | null) => (v === null ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(1)}ms`);
const fmtRate = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/**
 * Progress on stderr, so stdout stays clean for --json. On a TTY a bar per persona (refreshed a few
 * times a second, not per request); elsewhere one plain line every few seconds and no carriage returns.
 * Both count visits against the planned visits: a journey writes a record per step and attempt, and
 * exactly one of them is the first attempt of its first step.
 */
export class ProgressSink implements Output {
  readonly name = 'progress';
  readonly when = 'live' as const;
  private multibar: cliProgress.MultiBar | null = null;
  private bars = new Map<string, cliProgress.SingleBar>();
  private vuBar: cliProgress.SingleBar | null = null;
  private cancel: (() => void) | null = null;
  private completed = 0;
  private readonly visits = new Map<string, number>();
  private readonly total: number;

  constructor(private readonly options: ProgressOptions) {
    this.total = [...options.planned.values()].reduce((a, b) => a + b, 0);
    for (const [persona, n] of options.alreadyDone ?? []) {
      this.visits.set(persona, n);
      this.completed += n;
    }
  }

  async start(): Promise<void> {
    const { terminal, stream } = this.options;
    if (terminal.isTTY) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: stream as NodeJS.WriteStream,
          format: '{persona} {bar} {value}/{total} | errors {errors} | p95 {p95} | hit {hit}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          autopadding: true,
        },
        cliProgress.Presets.shades_classic,
      );
      // Names are user data: an ESC or CR in one must not drive the terminal.
      const width = Math.max(...[...this.options.planned.keys()].map((p) => printable(p).length), 8);
      for (const [persona, planned] of this.options.planned) {
        this.bars.set(persona, this.multibar.create(planned, this.visits.get(persona) ?? 0, { persona: printable(persona).padEnd(width).slice(0, 40), errors: 0, p95: '-', hit: '-' }));
      }
      const vus = this.options.vus;
      if (vus) this.vuBar = this.multibar.create(vus.max, vus.active(), { persona: 'active VUs'.padEnd(width).slice(0, 40), errors: '-', p95: '-', hit: '-' });
      this.every(250, () => this.refreshBars());
    } else {
      this.every(this.options.lineIntervalMs ?? 5000, () => this.printLine());
    }
  }

  private every(ms: number, fn: () => void): void {
    const clock = this.options.clock ?? systemClock;
    const tick = () => {
      fn();
      this.cancel = clock.timeout(ms, tick);
    };
    this.cancel = clock.timeout(ms, tick);
  }

  write(record: EngineRecord): void {
    if (record.type !== 'result' || (record.attempt ?? 1) !== 1) return;
    if (record.step !== (this.options.firstStep?.get(record.persona) ?? 'request')) return;
    this.completed++;
    this.visits.set(record.persona, (this.visits.get(record.persona) ?? 0) + 1);
  }

  private refreshBars(): void {
    for (const [persona, bar] of this.bars) {
      const p = this.options.source.progress(persona);
      bar.update(this.visits.get(persona) ?? 0, { errors: p.errors, p95: fmtMs(p.p95Ms), hit: fmtRate(p.hitRate) });
    }
    this.vuBar?.update(this.options.vus!.active());
  }

  private printLine(): void {
    let errors = 0;
    for (const persona of this.options.planned.keys()) errors += this.options.source.progress(persona).errors;
    const vus = this.options.vus;
    if (vus) {
      const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;
      this.options.stream.write(`progress: ${this.completed} requests, ${errors} errors, ${vus.active()} VUs active, ${seconds(Math.min(vus.elapsedMs(), vus.scheduledMs))} of ${seconds(vus.scheduledMs)}\n`);
      return;
    }
    const pct = this.total ? ((this.completed / this.total) * 100).toFixed(0) : '100';
    this.options.stream.write(`progress: ${this.completed}/${this.total} requests (${pct}%), ${errors} errors\n`);
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = null;
    if (this.multibar) {
      this.refreshBars();
      this.multibar.stop();
      this.multibar = null;
    }
  }
}
