/** One thread of `troupe bench --workers N`: its own autocannon; results go to the main thread in batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResultRecord } from '../engine/records.js';
import { runAutocannon, type BenchOptions } from './autocannon.js';

const port = parentPort!;
const stop = new AbortController();
port.on('message', (message: { type: 'stop' }) => {
  if (message.type === 'stop') stop.abort();
});
let batch: ResultRecord[] = [];
const flush = () => {
  if (batch.length) port.postMessage({ type: 'records', records: batch });
  batch = [];
};
const timer = setInterval(flush, 50);
try {
  const totals = await runAutocannon(workerData as BenchOptions, (record) => {
    // The record is rewritten for the next response (see runAutocannon): a copy crosses the thread.
    batch.push({ ...record });
    if (batch.length >= 512) flush();
  }, stop.signal);
  flush();
  port.postMessage({ type: 'done', totals });
} catch (err) {
  flush();
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
} finally {
  clearInterval(timer);
  port.close();
}
