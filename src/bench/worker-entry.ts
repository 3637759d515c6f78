/**
 * One thread of `troupe bench --workers N`: its own autocannon; what happened goes to the main thread
 * in batches, responses as five numbers each (one Float64Array per batch, no object per response).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResultRecord } from '../engine/records.js';
import { runAutocannon } from './autocannon.js';
import { RESPONSE_FIELDS, type BenchWorkerData, type FromBenchWorker } from './workers.js';
import { GeneratorHealthMonitor } from '../run/generator-health.js';
import { systemClock } from '../engine/clock.js';

const port = parentPort!;
const stop = new AbortController();
port.on('message', (message: { type: 'stop' }) => {
  if (message.type === 'stop') stop.abort();
});
const BATCH = 512;
const responses = new Float64Array(BATCH * RESPONSE_FIELDS);
let count = 0;
const post = (message: FromBenchWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const flush = () => {
  if (count === 0) return;
  const data = responses.slice(0, count * RESPONSE_FIELDS);
  post({ type: 'responses', data }, [data.buffer]);
  count = 0;
};
const timer = setInterval(flush, 50);
const { options, index } = workerData as BenchWorkerData;
// This thread's own health, as a `troupe run` worker samples it (src/run/worker-entry.ts).
const health = new GeneratorHealthMonitor({ clock: systemClock, label: `worker ${index}`, onSaturated: (reason) => post({ type: 'saturated', reason }) });
health.start();
try {
  const totals = await runAutocannon(options, {
    response(status, latencyMs, bytes, cache, endAt) {
      const at = count++ * RESPONSE_FIELDS;
      responses[at] = status;
      responses[at + 1] = latencyMs;
      responses[at + 2] = bytes;
      responses[at + 3] = cache;
      responses[at + 4] = endAt;
      if (count === BATCH) flush();
    },
    failure(record: ResultRecord) {
      // After the responses before it, so the main thread numbers them in the order they happened.
      flush();
      post({ type: 'failure', record });
    },
  }, stop.signal);
  flush();
  const { seconds: _seconds, cpuPct: _cpu, ...own } = health.stop();
  post({ type: 'done', totals, health: own });
} catch (err) {
  health.stop();
  flush();
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
} finally {
  clearInterval(timer);
  port.close();
}
