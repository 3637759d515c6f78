/**
 * `troupe bench --workers N`: N threads, each running its own autocannon with 1/N of the connections
 * (and of `--rate` and `--amount`). Results stream back in batches; ids are renumbered here so they
 * stay unique (`bench/1`, `bench/2`, … in the order the main thread received them).
 */
import { Worker } from 'node:worker_threads';
import type { ResultRecord } from '../engine/records.js';
import type { AutocannonTotals, BenchOptions } from './autocannon.js';

type FromWorker = { type: 'records'; records: ResultRecord[] } | { type: 'done'; totals: AutocannonTotals } | { type: 'failed'; message: string };

const share = (total: number, i: number, n: number) => Math.floor((total + n - 1 - i) / n);

export async function runBenchWorkers(options: BenchOptions, workers: number, onResult: (record: ResultRecord) => void, signal?: AbortSignal): Promise<AutocannonTotals> {
  const count = Math.max(1, Math.min(workers, options.connections));
  let n = 0;
  const threads: Worker[] = [];
  const runs = Array.from({ length: count }, (_, i) => {
    const part: BenchOptions = {
      ...options,
      connections: share(options.connections, i, count),
      ...(options.rate ? { rate: options.rate / count } : {}),
      ...(options.amount ? { amount: share(options.amount, i, count) } : {}),
    };
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: part });
    threads.push(worker);
    return new Promise<AutocannonTotals>((resolve, reject) => {
      let totals: AutocannonTotals | null = null;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'records') {
          for (const record of message.records) {
            n++;
            onResult({ ...record, id: `bench/${n}`, iteration: n });
          }
        } else if (message.type === 'done') totals = message.totals;
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
