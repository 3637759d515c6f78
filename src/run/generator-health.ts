/**
 * Samples troupe's own health while a run goes: event-loop delay (perf_hooks.monitorEventLoopDelay),
 * how busy the loop is (event-loop utilisation) and process CPU (process.cpuUsage), once a second on
 * the clock seam. What it reads is process-wide (or thread-wide) state, so it sits here and not in the
 * engine; the probe is an interface so tests drive the sampling with a fake clock and scripted figures.
 * Every thread that sends requests runs one: the main thread, and each worker of `--workers N`.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '../engine/clock.js';
import { SATURATED_NOTE, SATURATION, saturationReasons, threadSaturation, type GeneratorHealth, type GeneratorSecond, type LoopDelay, type MeanMax, type ThreadHealth, type WorkerHealth } from '../metrics/generator.js';

export interface HealthProbe {
  /** Loop delay (ms beyond the sampling interval) since the last call. */
  intervalDelay(): LoopDelay;
  /** Loop delay since the probe started. */
  totalDelay(): LoopDelay;
  /** Share of the time since the last call this thread's loop was busy, 0..1. */
  intervalBusy(): number;
  /** Process CPU (user + system), µs since the probe started. */
  cpuMicros(): number;
  close(): void;
}

/**
 * How often the loop-delay timer fires, ms. Node's default: one C++ timer wake-up every 10 ms costs
 * nothing measurable, and a loop blocked for longer shows as one long sample.
 */
const RESOLUTION_MS = 10;

export const HEALTH_METHOD =
  `Event-loop delay from perf_hooks.monitorEventLoopDelay (a timer every ${RESOLUTION_MS} ms; the delay is how late it fired), ` +
  'busy share from performance.eventLoopUtilization per thread, process CPU from process.cpuUsage (user + system, % of one core), sampled every second.';

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function delayOf(h: IntervalHistogram): LoopDelay {
  if (h.count === 0) return { p50: null, p99: null, max: null };
  // The histogram holds the time between timer firings (ns); what is late is what exceeds the resolution.
  const late = (ns: number) => round3(Math.max(0, ns / 1e6 - RESOLUTION_MS));
  return { p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max) };
}

/** The real probe of the calling thread. */
export function systemProbe(): HealthProbe {
  // Two monitors, because an interval histogram cannot be added to another: one per second, one for the run.
  const interval = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const total = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  interval.enable();
  total.enable();
  const cpuStart = process.cpuUsage();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    intervalDelay() {
      const d = delayOf(interval);
      interval.reset();
      return d;
    },
    totalDelay: () => delayOf(total),
    intervalBusy() {
      const now = performance.eventLoopUtilization();
      const u = performance.eventLoopUtilization(now, elu).utilization;
      elu = now;
      return Number.isFinite(u) ? u : 0;
    },
    cpuMicros() {
      const d = process.cpuUsage(cpuStart);
      return d.user + d.system;
    },
    close() {
      interval.disable();
      total.disable();
    },
  };
}

/**
 * The peak of the whole seconds, never below the mean: the mean also covers the short first and last
 * intervals, which the peak leaves out (a start-up burst in 100 ms is no second's figure), and a bench
 * that started with one showed `CPU 10% of a core (peak 6%)`.
 */
const peakOf = (max: number | null, mean: number | null): number | null => (mean === null ? max : Math.max(max ?? mean, mean));

/** An interval shorter than this (the first and last of a run) neither makes nor breaks a busy streak. */
const MIN_SECOND_MS = 500;

export interface MonitorOptions {
  clock: Pick<Clock, 'now' | 'wallNow' | 'timeout'>;
  /** Default: systemProbe() of the calling thread. */
  probe?: HealthProbe;
  /** Called once, the first time the thread looks saturated: the warning during the run. */
  onSaturated?: (reason: string) => void;
  /** How the thread is named in reasons: `troupe`, `the main thread`, `worker 2`. */
  label?: string;
}

export interface MainThreadHealth extends ThreadHealth {
  cpuPct: MeanMax;
  seconds: GeneratorSecond[];
}

export class GeneratorHealthMonitor {
  private readonly probe: HealthProbe;
  private readonly seconds: GeneratorSecond[] = [];
  private startedAt = 0;
  private lastAt = 0;
  private lastCpu = 0;
  private busySum = 0;
  private busyMs = 0;
  private busyMax: number | null = null;
  private cpuMax: number | null = null;
  private streak = 0;
  private longest = 0;
  private cancel: (() => void) | null = null;
  private warned = false;

  constructor(private readonly options: MonitorOptions) {
    this.probe = options.probe ?? systemProbe();
  }

  start(): void {
    this.startedAt = this.lastAt = this.options.clock.now();
    this.schedule();
  }

  /** Ticks on whole wall-clock seconds, so a row lines up with csv/timeseries.csv's seconds. */
  private schedule(): void {
    const wall = this.options.clock.wallNow();
    let wait = 1000 - (wall % 1000);
    if (wait < 50) wait += 1000;
    this.cancel = this.options.clock.timeout(wait, () => {
      this.sample();
      this.schedule();
    });
  }

  private sample(): void {
    const { clock } = this.options;
    const now = clock.now();
    const span = now - this.lastAt;
    if (span <= 0) return;
    const delay = this.probe.intervalDelay();
    const busy = Math.min(1, Math.max(0, this.probe.intervalBusy()));
    const cpu = this.probe.cpuMicros();
    const cpuPct = round3(((cpu - this.lastCpu) / 1000 / span) * 100);
    this.lastAt = now;
    this.lastCpu = cpu;
    const busyPct = round3(busy * 100);
    this.busySum += busy * span;
    this.busyMs += span;
    if (span >= MIN_SECOND_MS) {
      this.busyMax = Math.max(this.busyMax ?? 0, busyPct);
      this.cpuMax = Math.max(this.cpuMax ?? 0, cpuPct);
      this.streak = busyPct >= SATURATION.busyPct ? this.streak + 1 : 0;
      this.longest = Math.max(this.longest, this.streak);
    }
    // The row belongs to the second most of the interval lay in (a late timer does not shift it).
    const at = Math.floor((clock.wallNow() - span / 2) / 1000) * 1000;
    this.seconds.push({ at, lagP99Ms: delay.p99, lagMaxMs: delay.max, busyPct, cpuPct });
    if (!this.warned && this.options.onSaturated) {
      const reasons = threadSaturation(this.options.label ?? 'troupe', this.thread());
      if (reasons.length) {
        this.warned = true;
        this.options.onSaturated(reasons[0]!);
      }
    }
  }

  private thread(): ThreadHealth {
    const busyMean = this.busyMs > 0 ? round3((this.busySum / this.busyMs) * 100) : null;
    return {
      loopDelayMs: this.probe.totalDelay(),
      busyPct: { mean: busyMean, max: peakOf(this.busyMax, busyMean) },
      monitoredMs: Math.round(this.lastAt - this.startedAt),
      longestBusyS: this.longest,
    };
  }

  /** The last (partial) second sampled, the probe closed: the thread's figures over the run. */
  stop(): MainThreadHealth {
    this.cancel?.();
    this.cancel = null;
    this.sample();
    const thread = this.thread();
    this.probe.close();
    const cpuMean = thread.monitoredMs > 0 ? round3((this.lastCpu / 1000 / thread.monitoredMs) * 100) : null;
    return { ...thread, cpuPct: { mean: cpuMean, max: peakOf(this.cpuMax, cpuMean) }, seconds: this.seconds };
  }
}

/** summary.json `generator` from the main thread's figures and the workers'. */
export function generatorHealth(main: MainThreadHealth, workers: readonly WorkerHealth[] = []): GeneratorHealth {
  const sorted = [...workers].sort((a, b) => a.worker - b.worker);
  const reasons = saturationReasons(main, sorted);
  return {
    method: HEALTH_METHOD,
    loopDelayMs: main.loopDelayMs,
    busyPct: main.busyPct,
    cpuPct: main.cpuPct,
    monitoredMs: main.monitoredMs,
    longestBusyS: main.longestBusyS,
    ...(sorted.length ? { workers: sorted } : {}),
    seconds: main.seconds,
    saturated: reasons.length > 0,
    reasons,
    limits: { ...SATURATION },
  };
}

/**
 * The warning a run says once, whichever thread finds the saturation first (the main thread's monitor
 * or a worker's message): `troupe run` and `troupe bench` both hand it to their monitors and workers.
 */
export function saturationWarning(warn: ((message: string) => void) | undefined): (reason: string) => void {
  let warned = false;
  return (reason) => {
    if (warned) return;
    warned = true;
    warn?.(`the load generator is saturated: ${reason}; ${SATURATED_NOTE}`);
  };
}
