/**
 * `troupe bench --workers N`: N threads, each running its own autocannon with 1/N of the connections
 * (and of `--rate` and `--amount`). Results stream back in batches and go to one sink here, which
 * numbers them (`bench/1`, `bench/2`, … in the order the main thread received them).
 */
import { Worker } from 'node:worker_threads';
import type { ResultRecord } from '../engine/records.js';
import type { AutocannonTotals, BenchOptions, BenchSink } from './autocannon.js';
import type { ThreadHealth, WorkerHealth } from '../metrics/generator.js';

/** Numbers per response in a worker's batch: status, latency ms, body bytes, cache status (index in CACHE_STATUSES), end (epoch ms). */
export const RESPONSE_FIELDS = 5;

export type FromBenchWorker =
  | { type: 'responses'; data: Float64Array }
  | { type: 'failure'; record: ResultRecord }
  | { type: 'done'; totals: AutocannonTotals; health: ThreadHealth }
  /** The worker's generator-health monitor found it saturated (sent once). */
  | { type: 'saturated'; reason: string }
  | { type: 'failed'; message: string };

/** What a bench worker is started with: its share of the options, and its number (1-based). */
export interface BenchWorkerData {
  options: BenchOptions;
  index: number;
}

/** Where each worker's own health goes (summary.json `generator.workers`), and its saturation the first time. */
export interface BenchWorkerHealth {
  onHealth(health: WorkerHealth): void;
  onSaturated(reason: string): void;
}

const share = (total: number, i: number, n: number) => Math.floor((total + n - 1 - i) / n);

export async function runBenchWorkers(options: BenchOptions, workers: number, sink: BenchSink, signal?: AbortSignal, health?: BenchWorkerHealth): Promise<AutocannonTotals> {
  const count = Math.max(1, Math.min(workers, options.connections));
  const threads: Worker[] = [];
  const runs = Array.from({ length: count }, (_, i) => {
    const part: BenchOptions = {
      ...options,
      connections: share(options.connections, i, count),
      ...(options.rate ? { rate: options.rate / count } : {}),
      ...(options.amount ? { amount: share(options.amount, i, count) } : {}),
    };
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: { options: part, index: i + 1 } satisfies BenchWorkerData });
    threads.push(worker);
    return new Promise<AutocannonTotals>((resolve, reject) => {
      let totals: AutocannonTotals | null = null;
      worker.on('message', (message: FromBenchWorker) => {
        if (message.type === 'responses') {
          const d = message.data;
          for (let at = 0; at + RESPONSE_FIELDS <= d.length; at += RESPONSE_FIELDS) sink.response(d[at]!, d[at + 1]!, d[at + 2]!, d[at + 3]!, d[at + 4]!);
        } else if (message.type === 'failure') sink.failure(message.record);
        else if (message.type === 'done') {
          totals = message.totals;
          health?.onHealth({ worker: i + 1, ...message.health });
        } else if (message.type === 'saturated') health?.onSaturated(message.reason);
        else reject(new Error(`bench worker ${i + 1} of ${count} failed: ${message.message}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (totals ? resolve(totals) : reject(new Error(`bench worker ${i + 1} of ${count} exited (code ${code}) without a result`))));
    });
  });
  const stop = () => threads.forEach((t) => t.postMessage({ type: 'stop' }));
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const all = await Promise.all(runs);
    const durationS = Math.max(...all.map((t) => t.durationS));
    const requests = all.reduce((s, t) => s + t.requests, 0);
    return {
      requests,
      errors: all.reduce((s, t) => s + t.errors, 0),
      timeouts: all.reduce((s, t) => s + t.timeouts, 0),
      non2xx: all.reduce((s, t) => s + t.non2xx, 0),
      durationS,
      rps: durationS > 0 ? requests / durationS : 0,
    };
  } catch (err) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
