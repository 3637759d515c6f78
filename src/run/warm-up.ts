/**
 * Warms the path the measured requests take, before the first of them is sent: the run's own personas,
 * request templates, journeys, cache classification, records, metrics and the results line, run for a
 * few visits against a throwaway server on 127.0.0.1. The first calls of each function run cold
 * (interpreted, then compiled); without this they landed on the first requests of the run: measured
 * at 20 ms per request and 10 connections, the first ~15 requests carried 45–150 ms of troupe's own
 * start-up on top of the server's time (bench/latency-truth.mjs, issue 12). warmClient (preflight.ts)
 * warms only undici's parser and send path.
 *
 * Nothing of it reaches the target or the run directory: every request of the warm-up, whatever host its
 * template names, is dispatched to the throwaway server (the dispatcher rewrites the origin), its
 * records go to scratch metrics that are dropped, and a failure of any kind ends the warm-up silently.
 */
import { createServer, type Server } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../engine/clock.js';
import { runWorkload } from '../engine/load-models.js';
import type { EngineRecord } from '../engine/records.js';
import { createDispatcher } from '../engine/transport.js';
import type { LoadedInputs } from '../inputs/types.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { Plan } from '../plan/plan.js';
import type { WorkItem } from '../plan/types.js';
import type { Redactor } from '../redact.js';
import { resultLine } from '../run-dir/results-writer.js';
import { engineOptions } from './engine-options.js';

/**
 * Visits warmed at most, and the share of the plan at least that many: a 2,500-visit run warms 200
 * (~40–80 ms of CPU on an idle core), a 20-visit test run 5. Enough calls for V8's baseline compiler
 * and the first optimisations of the per-request functions; beyond that the figures did not move.
 */
export const WARM_PATH = { visits: 200, share: 4, concurrency: 8 } as const;

const WARM_BODY = JSON.stringify({ ok: true, items: [{ id: 1, name: 'warm' }] });

/** Think times and retry waits of the warm-up do not wait: only the code is wanted, not the pacing. */
const noWaitClock: Clock = { ...systemClock, sleep: () => Promise.resolve() };

/**
 * Whether anything in `value` (a persona, with its request, journey, setup and teardown) uploads a
 * file: a `multipart:` part with `file:`. Such personas are not warmed — a warm-up must not read and
 * push files (a 5 MB upload per visit, up to 200 visits) before the run has sent anything.
 */
export function uploadsFiles(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 12) return false;
  if (Array.isArray(value)) return value.some((v) => uploadsFiles(v, depth + 1));
  const multipart = (value as { multipart?: unknown }).multipart;
  if (multipart && typeof multipart === 'object' && Object.values(multipart).some((part) => part !== null && typeof part === 'object' && 'file' in part)) return true;
  return Object.values(value).some((v) => uploadsFiles(v, depth + 1));
}

/** The first `count` items of `plan` whose persona may be warmed, as a plan (the warm-up's). */
function headOf(plan: Plan, count: number, skipPersonas: ReadonlySet<string>): Plan {
  const items: WorkItem[] = [];
  if (skipPersonas.size < plan.personas.length) {
    for (const item of plan) {
      if (items.length >= count) break;
      if (!skipPersonas.has(item.persona)) items.push(item);
    }
  }
  const perPersona = new Map<string, number>();
  for (const item of items) perPersona.set(item.persona, (perPersona.get(item.persona) ?? 0) + 1);
  return {
    size: items.length,
    personas: plan.personas,
    perPersona,
    itemAt: (index) => items[index]!,
    [Symbol.iterator]: () => items[Symbol.iterator](),
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Every request to `origin`, whatever URL it was built for. */
function onlyTo(dispatcher: Dispatcher, origin: string): Dispatcher {
  return dispatcher.compose((dispatch) => (options, handler) => dispatch({ ...options, origin }, handler));
}

/**
 * Runs up to WARM_PATH.visits visits of `plan` (its first ones) through the real engine against a
 * throwaway server, and feeds their records to scratch metrics, result lines and a persona snapshot.
 * Resolves with the number of results it made (0 when it could not run).
 */
export async function warmRunPath(inputs: LoadedInputs, redactor: Redactor, plan: Plan, signal?: AbortSignal): Promise<number> {
  const visits = Math.min(WARM_PATH.visits, Math.ceil(plan.size / WARM_PATH.share));
  let results = 0;
  // A persona without a request or journey of its own sends the config's `request:`.
  const uploaders = new Set(plan.personas.filter((p) => uploadsFiles(p) || (!p.request && !p.journey && uploadsFiles(inputs.config.request))).map((p) => p.name));
  if (visits <= 0 || signal?.aborted || uploaders.size === plan.personas.length) return results;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'HIT', age: '3', 'cache-control': 'max-age=60' });
      res.end(WARM_BODY);
    });
  });
  const { config } = inputs;
  let dispatcher: Dispatcher | null = null;
  try {
    const url = await listen(server);
    dispatcher = createDispatcher(config.timeouts);
    const metrics = new RunMetrics();
    const onRecord = (record: EngineRecord) => {
      if (record.type === 'result') {
        results++;
        metrics.add(record);
        resultLine(record);
      } else if (record.type === 'session') metrics.addSession(record);
    };
    const options = engineOptions(inputs, url, redactor, {
      load: null,
      plan: headOf(plan, visits, uploaders),
      seed: config.seed,
      concurrency: Math.min(config.concurrency, WARM_PATH.concurrency),
      dispatcher: onlyTo(dispatcher, url),
      onRecord,
      ...(signal ? { signal, abortInFlight: signal } : {}),
      clock: noWaitClock,
    });
    await runWorkload({ ...options, vus: null });
    // Snapshots are the main thread's to write (a worker thread sends its figures there), and their
    // schema check is what would load zod into a worker: only the main thread warms them.
    if (isMainThread) {
      const { snapshotText } = await import('../run-dir/write.js');
      for (const persona of plan.personas) snapshotText('warm-up', metrics.personaSnapshot(persona.name));
    }
  } catch {
    // Best effort: the run itself reports whatever is wrong with its inputs or the target.
  } finally {
    await dispatcher?.close().catch(() => undefined);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return results;
}
