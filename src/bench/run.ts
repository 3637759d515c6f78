/**
 * `troupe bench <url>`: autocannon drives the URL; every response becomes a troupe result, so the run
 * directory has the same files as `troupe run` (run.json, results.ndjson, personas/bench.json,
 * summary.json with encoded histograms) and `report`, `compare`, thresholds and `merge` work on it.
 * The whole bench is one persona, `bench`, and one location, the URL's path.
 */
import { createHash } from 'node:crypto';
import type { ResultRecord } from '../engine/records.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { Threshold } from '../metrics/thresholds.js';
import { Redactor } from '../redact.js';
import { createRunDirectory } from '../run-dir/create.js';
import { buildManifest, finishManifest } from '../run-dir/manifest.js';
import { buildSummary } from '../run-dir/summary.js';
import type { BenchRecordedConfig, RunManifest, RunStatus, RunSummary } from '../run-dir/types.js';
import { writeManifest, writeSummary } from '../run-dir/write.js';
import { checkReachable } from '../run/preflight.js';
import { systemClock } from '../engine/clock.js';
import { reportArtifacts } from '../reports/outputs.js';
import { OutputManager, type FinishReport } from '../sinks/output.js';
import { OUTPUTS, createOutputs, selectOutputs, type OutputRequest } from '../sinks/registry.js';
import { runAutocannon, type AutocannonTotals, type BenchOptions } from './autocannon.js';
import { uniformSnapshot } from './recorder.js';
import { materialiseResultsTape, ResultsTapeWriter } from '../run-dir/results-tape.js';
import { BenchTape } from './tape.js';
import { runBenchWorkers } from './workers.js';
import { GeneratorHealthMonitor, generatorHealth, saturationWarning, type HealthProbe } from '../run/generator-health.js';
import type { WorkerHealth } from '../metrics/generator.js';

export const BENCH_PERSONA = 'bench';

export interface BenchRunOptions {
  bench: BenchOptions;
  /** Threads, each with its own autocannon and 1/N of the connections, rate and amount. Default 1. */
  workers: number;
  outDir: string;
  name: string;
  thresholds: readonly Threshold[];
  signal?: AbortSignal;
  /** The outputs (src/sinks/registry.ts `selectOutputs` for `bench`). Default: ndjson and snapshots. */
  outputs?: readonly OutputRequest[];
  /** Resolves `--output junit=FILE`. Default: the process's working directory. */
  cwd?: string;
  /** Said during the run, once: the load generator is saturated (the CLI writes it to stderr). */
  warn?: (message: string) => void;
  /** The generator-health probe of this thread (tests script one); default: perf_hooks and process.cpuUsage. */
  healthProbe?: HealthProbe;
}

export interface BenchRunResult {
  runDir: string;
  status: RunStatus;
  summary: RunSummary;
  autocannon: AutocannonTotals;
  /** The end-of-run outputs' warnings and the artifacts that could not be written (exit 4). */
  artifacts: FinishReport;
}

export async function executeBench(options: BenchRunOptions): Promise<BenchRunResult> {
  const { bench } = options;
  const redactor = new Redactor([], []);
  await checkReachable(bench.url, Math.min(bench.timeoutS * 1000, 5000));
  const startedAt = new Date();
  const runDir = await createRunDirectory(options.outDir, options.name, startedAt);
  // The URL as every artifact shows it: userinfo and sensitive query values redacted.
  const shownUrl = redactor.url(bench.url);
  const config: BenchRecordedConfig = redactor.deep({ bench: { ...bench, url: shownUrl, headers: bench.headers }, workers: options.workers });
  const manifest: RunManifest = buildManifest({
    runId: runDir.id,
    name: options.name,
    status: 'running',
    target: redactor.url(bench.url),
    shard: null,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    config: { ...config },
    personas: [{ name: BENCH_PERSONA, slug: BENCH_PERSONA, weight: 1 }],
    locations: { count: 1, source: shownUrl },
    configHash: createHash('sha256').update(JSON.stringify(config)).digest('hex'),
    planned: bench.amount ?? 0,
    ...(options.workers > 1 ? { workers: options.workers } : {}),
  });
  await writeManifest(runDir.path, manifest);

  const metrics = new RunMetrics();
  const benchUrl = new URL(bench.url);
  const location = benchUrl.pathname + benchUrl.search;
  const requests = options.outputs ?? selectOutputs({ command: 'bench', progress: false, reports: false });
  // results.ndjson is made from the bench's tape when it ends (src/run-dir/results-tape.ts), not by the ndjson output.
  const tapeFile = requests.some((r) => r.name === 'ndjson') ? ResultsTapeWriter.create(runDir.path, { persona: BENCH_PERSONA, location, step: 'request', method: bench.method.toUpperCase(), url: shownUrl }) : null;
  const outputs = new OutputManager(
    await createOutputs(requests.filter((r) => r.name !== 'ndjson'), {
      command: 'bench',
      runDir: runDir.path,
      clock: systemClock,
      snapshots: { slugs: new Map([[BENCH_PERSONA, BENCH_PERSONA]]), source: { snapshot: (p) => uniformSnapshot(metrics, p, location) }, intervalMs: 1000 },
      progress: null,
      artifact: reportArtifacts(requests, options.cwd ?? process.cwd()),
    }),
  );
  await outputs.start();
  outputs.write({ type: 'persona-start', persona: BENCH_PERSONA, planned: bench.amount ?? 0, at: Date.now() });
  // One persona, one location, one step: cache-status scopes only, the rest made from them at the end (recorder.ts).
  // Recorded in batches off autocannon's per-response path (tape.ts): each batch goes to results.tape at
  // once and the snapshot gets one mark, unless an output here needs every record (live metrics).
  const everyRecord = requests.some((r) => OUTPUTS.get(r.name)?.when === 'live' && r.name !== 'ndjson' && r.name !== 'snapshots');
  const mark = { type: 'persona-progress', persona: BENCH_PERSONA } as const;
  const tape = new BenchTape(shownUrl, location, bench.method.toUpperCase(), {
    record: (record: ResultRecord) => {
      metrics.addUniform(record);
      if (everyRecord) outputs.write(record);
    },
    responseRecords: everyRecord,
    responses: (block) => {
      if (!everyRecord) metrics.addResponses(BENCH_PERSONA, block);
      tapeFile?.responses(block);
      if (!everyRecord) outputs.write(mark);
    },
    failed: (line) => tapeFile?.failed(line),
  }, systemClock);
  let status: RunStatus = 'complete';
  let result: BenchRunResult | null = null;
  let autocannon: AutocannonTotals = { requests: 0, errors: 0, timeouts: 0, non2xx: 0, durationS: 0, rps: 0 };
  // troupe's own health while autocannon runs, as in `troupe run` (src/run/generator-health.ts): at full
  // speed autocannon keeps its core busy, and the latency figures then include its own queueing.
  const saturated = saturationWarning(options.warn);
  const workerHealth: WorkerHealth[] = [];
  const health = new GeneratorHealthMonitor({ clock: systemClock, ...(options.healthProbe ? { probe: options.healthProbe } : {}), label: options.workers > 1 ? 'the main thread' : 'troupe', onSaturated: saturated });
  health.start();
  try {
    autocannon =
      options.workers > 1
        ? await runBenchWorkers(bench, options.workers, tape, options.signal, { onHealth: (h) => workerHealth.push(h), onSaturated: saturated })
        : await runAutocannon(bench, tape, options.signal);
    if (options.signal?.aborted) status = 'interrupted';
  } catch (err) {
    status = 'failed';
    manifest.reason = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    const generator = generatorHealth(health.stop(), workerHealth);
    tape.flush();
    // After autocannon's measured window: the lines, then the tape is gone (a write failure is the results' failure).
    if (tapeFile) {
      tapeFile.close();
      await materialiseResultsTape(runDir.path);
    }
    metrics.mirrorGlobal(BENCH_PERSONA, location, 'request');
    outputs.write({ type: 'persona-end', persona: BENCH_PERSONA, at: Date.now() });
    await outputs.stopLive().catch(async (err: unknown) => {
      await outputs.abandon();
      throw err;
    });
    const endedAt = new Date();
    const summary: RunSummary = buildSummary(
      {
        runId: runDir.id,
        name: options.name,
        status,
        target: manifest.target,
        startedAt,
        endedAt,
        planned: bench.amount ?? metrics.global.requests,
        completed: metrics.global.requests,
        concurrency: bench.connections * bench.pipelining,
        generator,
      },
      metrics.toSummary(),
      options.thresholds,
    );
    await writeSummary(runDir.path, summary);
    await writeManifest(runDir.path, finishManifest(manifest, { status, endedAt, planned: summary.planned, ...(manifest.reason ? { reason: manifest.reason } : {}) }));
    result = { runDir: runDir.path, status, summary, autocannon, artifacts: { warnings: [], failed: [] } };
  }
  const done = result!;
  done.artifacts = await outputs.finish({ runDir: runDir.path, summary: done.summary, comparison: null });
  return done;
}
