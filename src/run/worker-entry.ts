/**
 * One engine thread of `--workers N` (see workers.ts). It rebuilds the engine's options from plain
 * inputs, runs its partition of the plan (or its share of the open model's rate) and streams records
 * to the main thread in batches; the main thread owns every sink and the metrics. Backpressure: at most
 * MAX_UNACKED batches are in flight to the main thread, which acks each one once its sinks took it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../engine/clock.js';
import { SetupError } from '../errors.js';
import { runWorkload } from '../engine/load-models.js';
import { LocationTable } from '../inputs/location-table.js';
import { buildPlan } from '../plan/plan.js';
import { RESULTS_FLUSH, WORKER_BATCH } from '../run-dir/results-writer.js';
import { Redactor } from '../redact.js';
import { dispatcherFor, engineOptions } from './engine-options.js';
import { GeneratorHealthMonitor } from './generator-health.js';
import { warmClient } from './preflight.js';
import { AckWindow } from './ack-window.js';
import { LeanBatcher } from './lean-batcher.js';
import { warmRunPath } from './warm-up.js';
import { RecordBatcher } from './record-batcher.js';
import { arrivalNumbering, partitionPlan } from './shard.js';
import type { FromWorker, ToWorker, WorkerInit } from './workers.js';

// Small batches: records waiting here are lost to a `kill -9` too (the loss window, RESULTS_FLUSH).
const BATCH = WORKER_BATCH;
const FLUSH_MS = RESULTS_FLUSH.ms;
const MAX_UNACKED = 4;
/** With the recording here: the main thread's figures (snapshots) are at most this far behind. */
const METRICS_MS = 250;

const init = workerData as WorkerInit;
const port = parentPort!;
// The location table arrives as its structured clone (plain data): its methods are given back here.
const inputs = { ...init.inputs, locations: LocationTable.revive(init.inputs.locations) };
const { config } = inputs;

const stop = new AbortController();
const cut = new AbortController();
const acks = new AckWindow(MAX_UNACKED);
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stop.abort();
  else if (message.type === 'cut') cut.abort();
  else if (message.type === 'ack') acks.acked();
});
const post = (message: FromWorker) => port.postMessage(message);

// The engine keeps this thread alive while it runs, and the last batch is flushed when it ends.
// Lean: this thread records its results (lines, metrics) itself; else it forwards every record.
const lean = init.recording === 'worker'
  ? new LeanBatcher((batch) => {
    acks.sent();
    post({ type: 'lines', batch });
  }, systemClock, BATCH, FLUSH_MS, METRICS_MS, init.startAt)
  : null;
const batcher = lean
  ? null
  : new RecordBatcher((records) => {
    acks.sent();
    post({ type: 'records', records });
  }, systemClock, BATCH, FLUSH_MS);
const onRecord = lean ? lean.add : batcher!.add;
const flush = lean ? () => lean.flush(true) : batcher!.flush;
const ready = acks.ready;

const redactor = new Redactor(inputs.secrets, config.redact);
const whole = buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed });
const plan = partitionPlan(partitionPlan(whole, init.shard ?? { index: 1, count: 1 }), init.part);
const skip = init.skip ? new Set(init.skip) : null;
const dispatcher = dispatcherFor(inputs);
// Each thread has its own JIT and parser: warmed here, not only in the main thread.
await warmClient(config.timeouts, systemClock);
await warmRunPath(inputs, redactor, plan, stop.signal);
const health = new GeneratorHealthMonitor({ clock: systemClock, label: `worker ${init.part.index}`, onSaturated: (reason) => post({ type: 'saturated', reason }) });
health.start();
try {
  const outcome = await runWorkload(
    engineOptions(inputs, init.baseUrl, redactor, {
      load: init.load,
      plan,
      seed: init.seed,
      scheduleSeed: config.seed,
      arrivalNumbering: arrivalNumbering(init.shard ?? null, init.part),
      concurrency: init.concurrency,
      vuNumbering: init.vuNumbering,
      elapsedMs: init.elapsedMs,
      ...(init.graceMs !== undefined ? { graceMs: init.graceMs } : {}),
      onVu: (record) => post({ type: 'vu', record }),
      dispatcher,
      onRecord,
      ready,
      signal: stop.signal,
      abortInFlight: cut.signal,
      skip: skip ? (item) => skip.has(item.id) : undefined,
      ...(init.setupVars ? { setupVars: init.setupVars } : {}),
      ...(init.setupSecrets ? { setupSecrets: init.setupSecrets } : {}),
    }),
  );
  flush();
  // Process CPU and per-second rows are the main thread's to report: a worker sends its own figures.
  const { seconds: _s, cpuPct: _c, ...own } = health.stop();
  post({ type: 'done', outcome, health: own });
} catch (err) {
  health.stop();
  flush();
  // A setup that stopped every VU is the user's news, not a crash: its message, without a stack.
  if (err instanceof SetupError) post({ type: 'failed', message: err.message, setup: true });
  else post({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
} finally {
  await dispatcher.close().catch(() => undefined);
  port.close();
}
