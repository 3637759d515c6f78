/**
 * The load generator's own health, as summary.json keeps it: event-loop delay and CPU of troupe itself,
 * so that a saturated generator is said, never hidden in the target's latency. Pure: the shapes, the
 * saturation rules and the merge of shards. The sampling (process-wide state) is src/run/generator-health.ts.
 */

/**
 * When troupe calls its own generator saturated. Why these numbers:
 * - Loop delay p99 ≥ 10 ms: a response's timestamp is taken in a callback on this loop, so a delayed
 *   loop adds its delay to the measured latency. An idle Node process on a shared 2-core machine
 *   measures p99 1–4 ms (resolution 10 ms); 10 ms is well above that noise, and a tenth of a typical
 *   100 ms target latency. Judged only after 1 s of samples: fewer than ~100 make a p99 a max.
 * - A thread busy ≥ 90 % of the time for 3 s in a row (event-loop utilisation, the share of time not
 *   waiting for I/O, which for one JS thread is its share of a core): it cannot read responses when they
 *   arrive. Sustained, because one busy second (start-up, a GC) is not saturation.
 * Stricter limits are a threshold away: `generator_lag_p99 < 5ms`, `generator_cpu < 80%`.
 */
export interface SaturationLimits {
  lagP99Ms: number;
  minMonitoredMs: number;
  busyPct: number;
  busySeconds: number;
}

export const SATURATION: Readonly<SaturationLimits> = { lagP99Ms: 10, minMonitoredMs: 1000, busyPct: 90, busySeconds: 3 };

export interface LoopDelay {
  /** Delay beyond the sampling interval, ms; null when nothing was sampled. */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface MeanMax {
  mean: number | null;
  max: number | null;
}

/** One second of the generator (main thread; cpuPct is the whole process). */
export interface GeneratorSecond {
  /** Epoch ms of the start of the second (as csv/timeseries.csv's rows). */
  at: number;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
  /** Share of the second the main thread's event loop was busy, % (0..100). */
  busyPct: number;
  /** Process CPU (user + system, every thread), % of one core: above 100 with worker threads. */
  cpuPct: number;
}

/** One thread's figures over the run. */
export interface ThreadHealth {
  loopDelayMs: LoopDelay;
  busyPct: MeanMax;
  /** How long it was monitored, ms. */
  monitoredMs: number;
  /** Seconds in a row, at most, the thread was busy ≥ SATURATION.busyPct. */
  longestBusyS: number;
}

export interface WorkerHealth extends ThreadHealth {
  /** 1-based, as `--workers N` numbers them. */
  worker: number;
}

/** summary.json `generator`. */
export interface GeneratorHealth {
  /** How the figures were taken, in one sentence. */
  method: string;
  /** The main thread (the only one without `--workers`). */
  loopDelayMs: LoopDelay;
  busyPct: MeanMax;
  /** Process CPU, % of one core. */
  cpuPct: MeanMax;
  monitoredMs: number;
  longestBusyS: number;
  /** `--workers N`: each engine thread. */
  workers?: WorkerHealth[];
  /** Per second, main thread and process (csv/timeseries.csv shows them). */
  seconds: GeneratorSecond[];
  saturated: boolean;
  /** Why it is saturated, one sentence each; empty when it is not. */
  reasons: string[];
  /** The rules `saturated` was judged by (SATURATION). */
  limits: SaturationLimits;
  /** `troupe merge`: the number of shards whose figures are combined (the worst of each). */
  shards?: number;
}

const ms = (v: number) => `${Number(v.toFixed(1))} ms`;

/** Why a thread counts as saturated (empty: it does not). */
export function threadSaturation(label: string, t: Pick<ThreadHealth, 'loopDelayMs' | 'monitoredMs' | 'longestBusyS'>): string[] {
  const out: string[] = [];
  const p99 = t.loopDelayMs.p99;
  if (p99 !== null && p99 >= SATURATION.lagP99Ms && t.monitoredMs >= SATURATION.minMonitoredMs) {
    out.push(`${label} event-loop delay p99 was ${ms(p99)} (limit ${SATURATION.lagP99Ms} ms)`);
  }
  if (t.longestBusyS >= SATURATION.busySeconds) {
    out.push(`${label} was busy ≥ ${SATURATION.busyPct} % of a core for ${t.longestBusyS} s in a row (limit ${SATURATION.busySeconds} s)`);
  }
  return out;
}

/** Every reason of the main thread and the workers. */
export function saturationReasons(main: ThreadHealth, workers: readonly WorkerHealth[] = []): string[] {
  return [...threadSaturation(workers.length ? 'the main thread' : 'troupe', main), ...workers.flatMap((w) => threadSaturation(`worker ${w.worker}`, w))];
}

const worst = (values: (number | null)[]): number | null => values.reduce<number | null>((a, v) => (v === null ? a : a === null ? v : Math.max(a, v)), null);

/** The generator's worst loop delay over every thread: what `generator_lag_*` thresholds judge. */
export function worstLoopDelay(g: GeneratorHealth): LoopDelay {
  const all = [g.loopDelayMs, ...(g.workers ?? []).map((w) => w.loopDelayMs)];
  return { p50: worst(all.map((d) => d.p50)), p99: worst(all.map((d) => d.p99)), max: worst(all.map((d) => d.max)) };
}

/**
 * Shards ran in separate processes (often machines): their seconds do not add up, so the merge keeps the
 * worst of each figure, and is saturated when any shard was.
 */
export function mergeGeneratorHealth(list: readonly GeneratorHealth[]): GeneratorHealth | undefined {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  const delay = (f: (g: GeneratorHealth) => LoopDelay) => ({ p50: worst(list.map((g) => f(g).p50)), p99: worst(list.map((g) => f(g).p99)), max: worst(list.map((g) => f(g).max)) });
  const meanMax = (f: (g: GeneratorHealth) => MeanMax) => ({ mean: worst(list.map((g) => f(g).mean)), max: worst(list.map((g) => f(g).max)) });
  const reasons = list.flatMap((g, i) => g.reasons.map((r) => `shard ${i + 1}: ${r}`));
  return {
    method: list[0]!.method,
    loopDelayMs: delay(worstLoopDelay),
    busyPct: meanMax((g) => g.busyPct),
    cpuPct: meanMax((g) => g.cpuPct),
    monitoredMs: Math.max(...list.map((g) => g.monitoredMs)),
    longestBusyS: Math.max(...list.map((g) => g.longestBusyS ?? 0)),
    seconds: [],
    saturated: list.some((g) => g.saturated),
    reasons,
    limits: { ...SATURATION },
    shards: list.length,
  };
}

/** The cover's and the console's sentence for a saturated run. */
export const SATURATED_NOTE = 'latency figures include load-generator delay';
