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
  /**
   * The plan's visits per persona (one journey, or one request without a journey), in display order.
   * Open model: the expected arrivals (the real count is random, so the total grows if more arrive).
   */
  planned: ReadonlyMap<string, number>;
  /** Each persona's first step name (`request` without a journey, the default): its first attempt starts a visit. */
  firstStep?: ReadonlyMap<string, string>;
  /** Visits per persona done before this process started (a resumed run). */
  alreadyDone?: ReadonlyMap<string, number>;
  source: ProgressSource;
  /** Plain-line interval on a non-TTY. */
  lineIntervalMs?: number;
  /** Elapsed time, refreshes and plain lines run on this clock. Default: the system clock. */
  clock?: Pick<Clock, 'timeout' | 'now'>;
  /** Open model: the schedule's length (ms). Its share elapsed is the progress, its remainder the ETA. */
  scheduleMs?: number;
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

/** `0:07`, `12:30`, `1:02:03`; `-` when unknown. */
export function fmtClock(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Where one count stands: done never exceeds total, and the ETA comes from the rate of this process's own work. */
export interface ProgressFigures {
  done: number;
  total: number;
  /** 0..100. */
  percent: number;
  /** Visits per second since this process started. */
  rate: number;
  elapsedMs: number;
  /** Null while there is no rate to go by. */
  etaMs: number | null;
}

/**
 * Pure. `planned` is the plan's total; `before` what was done before this process (a resume); with
 * `scheduleMs` (open model) progress is the schedule's elapsed share and the ETA its remainder, because
 * arrivals come on the schedule's time whatever the rate so far.
 */
export function progressFigures(done: number, planned: number, before: number, elapsedMs: number, scheduleMs?: number): ProgressFigures {
  const total = Math.max(planned, done);
  const rate = elapsedMs > 0 ? ((done - before) * 1000) / elapsedMs : 0;
  if (scheduleMs !== undefined && scheduleMs > 0) {
    const share = Math.min(1, elapsedMs / scheduleMs);
    return { done, total, percent: share * 100, rate, elapsedMs, etaMs: Math.max(0, scheduleMs - elapsedMs) };
  }
  const percent = total > 0 ? (done / total) * 100 : 100;
  const etaMs = done >= total ? 0 : rate > 0 ? ((total - done) / rate) * 1000 : null;
  return { done, total, percent, rate, elapsedMs, etaMs };
}

/**
 * Progress on stderr, so stdout stays clean for --json. On a TTY a bar per persona (refreshed a few
 * times a second, not per request); elsewhere one plain line every few seconds and no carriage returns.
 * Both count visits against the planned visits: a journey writes a record per step and attempt, and
 * exactly one of them is the first attempt of its first step. Requests (every record) are counted apart.
 */
export class ProgressSink implements Output {
  readonly name = 'progress';
  readonly when = 'live' as const;
  private multibar: cliProgress.MultiBar | null = null;
  private bars = new Map<string, cliProgress.SingleBar>();
  private vuBar: cliProgress.SingleBar | null = null;
  private cancel: (() => void) | null = null;
  private begun = false;
  private completed = 0;
  private requests = 0;
  private startedAt = 0;
  private readonly visits = new Map<string, number>();
  private readonly total: number;
  private readonly before: number;
  private readonly clock: Pick<Clock, 'timeout' | 'now'>;
  /** Visits differ from requests when a persona has a journey: then both are shown. */
  private readonly journeys: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.clock = options.clock ?? systemClock;
    this.total = [...options.planned.values()].reduce((a, b) => a + b, 0);
    for (const [persona, n] of options.alreadyDone ?? []) {
      this.visits.set(persona, n);
      this.completed += n;
    }
    this.before = this.completed;
    this.journeys = [...(options.firstStep?.values() ?? [])].some((step) => step !== 'request');
  }

  async start(): Promise<void> {
    if (!this.options.terminal.isTTY) this.begin();
  }

  // Bars are drawn from the first record on, not at start: a run waiting for its start instant
  // (--start-at) counts down on this terminal meanwhile, and bars redrawn over it would garble both.
  private begin(): void {
    this.begun = true;
    const { terminal, stream } = this.options;
    this.startedAt = this.clock.now();
    if (terminal.isTTY) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: stream as NodeJS.WriteStream,
          // Not {eta} or {duration}: cli-progress fills those itself, on its own clock.
          format: '{persona} {bar} {value}/{total} {unit} | {speed}/s | {ran} ETA {left} | errors {errors} | p95 {p95} | hit {hit}',
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
        const done = this.visits.get(persona) ?? 0;
        this.bars.set(persona, this.multibar.create(Math.max(planned, done), done, { persona: printable(persona).padEnd(width).slice(0, 40), unit: this.unit, speed: '0.0', ran: '0:00', left: '-', errors: 0, p95: '-', hit: '-' }));
      }
      const vus = this.options.vus;
      if (vus) this.vuBar = this.multibar.create(vus.max, vus.active(), { persona: 'active VUs'.padEnd(width).slice(0, 40), errors: '-', p95: '-', hit: '-' });
      this.every(250, () => this.refreshBars());
    } else {
      this.every(this.options.lineIntervalMs ?? 5000, () => this.printLine());
    }
  }

  private get unit(): string {
    return this.journeys ? 'visits' : 'requests';
  }

  private every(ms: number, fn: () => void): void {
    const tick = () => {
      fn();
      this.cancel = this.clock.timeout(ms, tick);
    };
    this.cancel = this.clock.timeout(ms, tick);
  }

  write(record: EngineRecord): void {
    if (!this.begun) this.begin();
    if (record.type !== 'result') return;
    this.requests++;
    if ((record.attempt ?? 1) !== 1) return;
    if (record.step !== (this.options.firstStep?.get(record.persona) ?? 'request')) return;
    this.completed++;
    this.visits.set(record.persona, (this.visits.get(record.persona) ?? 0) + 1);
  }

  private elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  private refreshBars(): void {
    const elapsed = this.elapsed();
    for (const [persona, bar] of this.bars) {
      const p = this.options.source.progress(persona);
      const f = progressFigures(this.visits.get(persona) ?? 0, this.options.planned.get(persona) ?? 0, this.options.alreadyDone?.get(persona) ?? 0, elapsed, this.options.scheduleMs);
      bar.setTotal(f.total);
      bar.update(f.done, { speed: f.rate.toFixed(1), ran: fmtClock(elapsed), left: fmtClock(f.etaMs), errors: p.errors, p95: fmtMs(p.p95Ms), hit: fmtRate(p.hitRate) });
    }
    this.vuBar?.update(this.options.vus!.active());
  }

  /** The plain line: `progress: 412/639 visits (64%), 1230 requests, 3 errors, 12.3/s, elapsed 0:32, ETA 0:18`. */
  progressLine(): string {
    let errors = 0;
    for (const persona of this.options.planned.keys()) errors += this.options.source.progress(persona).errors;
    const requests = this.journeys ? `, ${this.requests} requests` : '';
    const vus = this.options.vus;
    if (vus) {
      // A timed run has no planned total: the schedule's time is its progress.
      const ran = Math.min(vus.elapsedMs(), vus.scheduledMs);
      const elapsed = this.elapsed();
      const rate = elapsed > 0 ? ((this.completed - this.before) * 1000) / elapsed : 0;
      return `progress: ${this.completed} ${this.unit}${requests}, ${errors} errors, ${rate.toFixed(1)}/s, ${vus.active()} VUs active, ${fmtClock(ran)} of ${fmtClock(vus.scheduledMs)}, ETA ${fmtClock(vus.scheduledMs - ran)}`;
    }
    const f = progressFigures(this.completed, this.total, this.before, this.elapsed(), this.options.scheduleMs);
    // The open model's total is an expectation: the arrivals are random.
    const total = this.options.scheduleMs !== undefined ? `~${f.total}` : String(f.total);
    return `progress: ${f.done}/${total} ${this.unit} (${Math.floor(f.percent)}%)${requests}, ${errors} errors, ${f.rate.toFixed(1)}/s, elapsed ${fmtClock(f.elapsedMs)}, ETA ${fmtClock(f.etaMs)}`;
  }

  private printLine(): void {
    this.options.stream.write(`${this.progressLine()}\n`);
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
