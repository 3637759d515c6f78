/**
 * `--workers N`: the engine in N worker threads of one process. Worker w (1-based) runs the plan items
 * whose index k (within this shard's plan) has k mod N = w − 1, or every N-th arrival of the open model's schedule, with
 * its own connection pool and 1/N of the concurrency. Records stream back in batches; this thread feeds
 * them to the same metrics and sinks as a single-threaded run, so results.ndjson gets every line and the
 * totals are those of `--workers 1` for the same plan.
 */
import { Worker } from 'node:worker_threads';
import { SetupError } from '../errors.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import type { WorkloadOutcome } from '../engine/load-models.js';
import type { EngineRecord, VuRecord } from '../engine/records.js';
import { splitNumbering, type VuNumbering } from '../engine/vu-schedule.js';
import { maxVUs } from '../inputs/stages.js';
import type { LoadConfig } from '../inputs/load.js';
import type { LoadedInputs } from '../inputs/types.js';
import type { ThreadHealth, WorkerHealth } from '../metrics/generator.js';
import type { Plan } from '../plan/plan.js';
import type { LeanBatch } from './lean-batcher.js';
import { mergeLoad } from './merge.js';
import { shareOf, type Shard } from './shard.js';

/** What a worker thread is started with: plain data only (structured clone). */
export interface WorkerInit {
  inputs: LoadedInputs;
  baseUrl: string;
  shard: Shard | null;
  /** This worker's part: { index: w, count: N }. */
  part: Shard;
  concurrency: number;
  load: LoadConfig | null;
  seed: number;
  /** Work item ids already done (resume). */
  skip: string[] | null;
  /** The run-level setup's captures and secrets (it ran in the main thread). */
  setupVars?: Record<string, unknown>;
  setupSecrets?: readonly string[];
  /** This worker's VU ids (the shard's, split round-robin), the timed run's load time already run, the grace after it. */
  vuNumbering: VuNumbering;
  elapsedMs: number;
  graceMs?: number;
  /** `worker`: the worker records its results (lines and metrics, see lean-batcher.ts); `main`: it forwards every record. */
  recording: 'worker' | 'main';
  /** The schedule's start (epoch ms): the origin of the metrics' warm-up curve. */
  startAt: number;
}

export type ToWorker = { type: 'stop' } | { type: 'cut' } | { type: 'ack' };
export type FromWorker =
  | { type: 'records'; records: EngineRecord[] }
  | { type: 'lines'; batch: LeanBatch }
  | { type: 'vu'; record: VuRecord }
  | { type: 'done'; outcome: WorkloadOutcome; health: ThreadHealth }
  | { type: 'failed'; message: string; setup?: boolean }
  /** The worker's generator-health monitor found it saturated (sent once). */
  | { type: 'saturated'; reason: string };

export interface WorkersOptions {
  workers: number;
  inputs: LoadedInputs;
  baseUrl: string;
  shard: Shard | null;
  /** This shard's plan (already partitioned by shard). */
  plan: Plan;
  /** The run's open-model schedule (each worker runs its share); null: the closed model. */
  load: LoadConfig | null;
  seed: number;
  skip: ReadonlySet<string> | null;
  onRecord: (record: EngineRecord) => void;
  onVu?: (record: VuRecord) => void;
  /** This shard's VU ids; each worker runs a round-robin part of them. */
  vuNumbering: VuNumbering;
  elapsedMs: number;
  graceMs?: number;
  ready?: () => Promise<void> | undefined;
  signal?: AbortSignal;
  abortInFlight?: AbortSignal;
  /** Each worker's own event-loop delay and busy share, when it is done. */
  onWorkerHealth?: (health: WorkerHealth) => void;
  /** A worker found itself saturated (the warning during the run). */
  onSaturated?: (reason: string) => void;
  setupVars?: Readonly<Record<string, unknown>>;
  setupSecrets?: readonly string[];
  /**
   * Given: the workers record their results themselves and this receives each batch (ready lines, their
   * span, the metrics' delta) before the batch's other records reach `onRecord`; results then never
   * reach `onRecord`. Absent: every record is forwarded to `onRecord`.
   */
  onLines?: (batch: LeanBatch) => void;
  /** The schedule's start (epoch ms), with `onLines`. */
  startAt?: number;
}

export { shareOf } from './shard.js';

const WORKER_URL = new URL('./worker-entry.js', import.meta.url);

export async function runInWorkers(options: WorkersOptions): Promise<WorkloadOutcome> {
  const { inputs, plan, load } = options;
  const { config } = inputs;
  // Never more threads than requests in flight: each worker needs at least one.
  const vus = load ? null : config.vus;
  const count = Math.max(1, Math.min(options.workers, load ? options.workers : vus ? maxVUs(vus, config.concurrency) : config.concurrency));
  // Timed closed-model runs end personas when the run ends, as the open model does.
  const perRun = load !== null || vus !== null;

  // Persona start/end as one run would emit them: start on the first worker's start, end when every
  // worker that has items of the persona ended it (open model: when the run ends).
  const expected = new Map<string, number>();
  if (!perRun) {
    const per = Array.from({ length: count }, () => new Set<string>());
    for (let k = 0; k < plan.size; k++) {
      const item = plan.itemAt(k);
      if (options.skip?.has(item.id)) continue;
      per[k % count]!.add(item.persona);
    }
    for (const set of per) for (const p of set) expected.set(p, (expected.get(p) ?? 0) + 1);
  }
  const plannedOf = new Map<string, number>();
  for (let k = 0; !perRun && k < plan.size; k++) {
    const item = plan.itemAt(k);
    if (!options.skip?.has(item.id)) plannedOf.set(item.persona, (plannedOf.get(item.persona) ?? 0) + 1);
  }
  const started = new Set<string>();
  const ended = new Map<string, number>();
  const endEmitted = new Set<string>();
  const handle = (record: EngineRecord) => {
    if (record.type === 'persona-start') {
      if (started.has(record.persona)) return;
      started.add(record.persona);
      options.onRecord(perRun ? record : { ...record, planned: plannedOf.get(record.persona) ?? record.planned });
    } else if (record.type === 'persona-end') {
      const n = (ended.get(record.persona) ?? 0) + 1;
      ended.set(record.persona, n);
      if (!perRun && n === expected.get(record.persona) && !endEmitted.has(record.persona)) {
        endEmitted.add(record.persona);
        options.onRecord(record);
      }
    } else options.onRecord(record);
  };

  const threads: Worker[] = [];
  const skip = options.skip ? [...options.skip] : null;
  const running = Array.from({ length: count }, (_, i) => {
    const part = { index: i + 1, count };
    const init: WorkerInit = {
      inputs,
      baseUrl: options.baseUrl,
      shard: options.shard,
      part,
      // The VU numbering splits the concurrency (or the stages' targets) between the workers.
      concurrency: config.concurrency,
      vuNumbering: splitNumbering(options.vuNumbering, part),
      elapsedMs: options.elapsedMs,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      load: load ? { ...load, maxInFlight: Math.max(1, shareOf(load.maxInFlight, part)), ...(load.concurrency ? { concurrency: Math.max(1, shareOf(load.concurrency, part)) } : {}) } : null,
      seed: options.seed * 1000 + i,
      recording: options.onLines ? 'worker' : 'main',
      startAt: options.startAt ?? Date.now(),
      skip,
      ...(options.setupVars ? { setupVars: { ...options.setupVars } } : {}),
      ...(options.setupSecrets ? { setupSecrets: options.setupSecrets } : {}),
    };
    const worker = new Worker(WORKER_URL, { workerData: init });
    threads.push(worker);
    return new Promise<WorkloadOutcome>((resolve, reject) => {
      let queue = Promise.resolve();
      let outcome: WorkloadOutcome | null = null;
      worker.on('message', (message: FromWorker) => {
        // Batches are handled in order; the ack releases the worker's backpressure once the sinks took them.
        queue = queue.then(async () => {
          if (message.type === 'records' || message.type === 'lines') {
            if (message.type === 'lines') {
              options.onLines!(message.batch);
              for (const record of message.batch.records) handle(record);
            } else for (const record of message.records) handle(record);
            const pause = options.ready?.();
            if (pause) await pause;
            worker.postMessage({ type: 'ack' } satisfies ToWorker);
          } else if (message.type === 'vu') options.onVu?.(message.record);
          else if (message.type === 'done') {
            outcome = message.outcome;
            options.onWorkerHealth?.({ worker: i + 1, ...message.health });
          } else if (message.type === 'saturated') options.onSaturated?.(message.reason);
          else if (message.setup) reject(new SetupError(message.message));
          else reject(new Error(`worker ${i + 1} of ${count} failed: ${message.message}`));
        });
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        void queue.then(() => (outcome ? resolve(outcome) : reject(new Error(`worker ${i + 1} of ${count} exited (code ${code}) without a result`))));
      });
    });
  });
  const stop = () => {
    for (const t of threads) t.postMessage({ type: 'stop' } satisfies ToWorker);
  };
  const cut = () => {
    for (const t of threads) t.postMessage({ type: 'cut' } satisfies ToWorker);
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  if (options.abortInFlight?.aborted) cut();
  else options.abortInFlight?.addEventListener('abort', cut, { once: true });
  let outcomes: WorkloadOutcome[];
  try {
    outcomes = await Promise.all(running);
  } catch (err) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    options.abortInFlight?.removeEventListener('abort', cut);
  }
  // Open model: every worker ends its personas when its schedule ends; the run ends them once.
  for (const p of started) if (perRun && !endEmitted.has(p)) options.onRecord({ type: 'persona-end', persona: p, at: Date.now() });
  const sum = (f: (o: WorkloadOutcome) => number) => outcomes.reduce((n, o) => n + f(o), 0);
  const loads = outcomes.flatMap((o) => (o.load ? [o.load] : []));
  const merged: OpenLoadReport | undefined = mergeLoad(loads);
  return {
    planned: sum((o) => o.planned),
    started: sum((o) => o.started),
    completed: sum((o) => o.completed),
    aborted: sum((o) => o.aborted),
    stoppedEarly: outcomes.some((o) => o.stoppedEarly),
    ...(vus ? { cut: sum((o) => o.cut ?? 0) } : {}),
    ...(merged ? { load: { ...merged, maxInFlight: load!.maxInFlight } } : {}),
  };
}
