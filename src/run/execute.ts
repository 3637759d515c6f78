import type { Dispatcher } from 'undici';
import { startDemoServer, type DemoServer } from '../demo/server.js';
import { AbortMonitor } from '../engine/abort-on.js';
import { cacheStatsUrl, compareCacheRates, readCacheCounters, type CacheCounters } from '../engine/cache-stats.js';
import { expectedArrivals, scheduleDurationMs } from '../engine/arrivals.js';
import { createStepRunner, firstStepName } from '../engine/journey.js';
import { runRunSetup, runRunTeardown, type RunSession } from '../engine/sessions.js';
import { SetupError } from '../errors.js';
import { runWorkload, type WorkloadOutcome } from '../engine/load-models.js';
import { expectedPerPersona, type OpenLoadReport } from '../engine/open-model.js';
import { systemClock, type Clock } from '../engine/clock.js';
import type { EngineRecord } from '../engine/records.js';
import type { LoadedInputs } from '../inputs/types.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { Threshold } from '../metrics/thresholds.js';
import { buildPlan } from '../plan/plan.js';
import { Redactor } from '../redact.js';
import { OutputManager, type FinishReport } from '../sinks/output.js';
import { OUTPUTS, createOutputs, selectOutputs, type OutputRequest } from '../sinks/registry.js';
import { reportArtifacts } from '../reports/outputs.js';
import type { TerminalInfo } from '../sinks/terminal.js';
import { createRunDirectory } from '../run-dir/create.js';
import { buildManifest, finishManifest } from '../run-dir/manifest.js';
import { buildSummary } from '../run-dir/summary.js';
import type { RunManifest, RunStatus, RunSummary, ServerCacheStats } from '../run-dir/types.js';
import { writeManifest, writeManifestSync, writeSnapshot, writeSummary } from '../run-dir/write.js';
import { checkReachable, warmClient } from './preflight.js';
import { collectStartupGarbage } from './startup-gc.js';
import { warmRunPath } from './warm-up.js';
import { GeneratorHealthMonitor, generatorHealth, saturationWarning, type HealthProbe } from './generator-health.js';
import type { WorkerHealth } from '../metrics/generator.js';
import { prepareResume, type ResumeState } from './resume.js';
import { describeResumeNote, resumeNote } from './resume-note.js';
import { SegmentTracker } from '../run-dir/segments.js';
import type { RecordedInvocation } from './resume-flags.js';
import { dispatcherFor, engineOptions } from './engine-options.js';
import { arrivalNumbering, partitionLoad, partitionPlan, shareOf, vuNumbering, type Shard } from './shard.js';
import { waitForStart, type CountdownStyle } from './start-wait.js';
import { timedResume } from './resume-timed.js';
import { VuTimeline } from '../metrics/vu-timeline.js';
import { localVUs } from '../engine/vu-schedule.js';
import { maxVUs, vuLoadDurationMs } from '../inputs/stages.js';
import { formatDuration } from '../inputs/duration.js';
import { VerboseFailureSink } from './verbose.js';
import type { LeanBatch } from './lean-batcher.js';
import { runInWorkers } from './workers.js';

export interface ExecuteOptions {
  inputs: LoadedInputs;
  /** Judged on the final summary; the verdict is written into summary.json. */
  thresholds?: readonly Threshold[];
  /** Stopping: no new work starts, in-flight requests finish, everything is written as `interrupted`. */
  signal?: AbortSignal;
  progress: { stream: NodeJS.WritableStream; terminal: TerminalInfo; enabled: boolean };
  clock?: Clock;
  /** A run directory to continue (`--resume`): its results are skipped and counted, new ones appended. */
  resume?: string;
  /** After the stop signal, requests in flight get this long before they are cut. Default 10 s. */
  graceMs?: number;
  /** `--verbose`: each failed request is described on this stream. */
  verbose?: NodeJS.WritableStream;
  /** `--shard i/n`: run only this shard's part of the plan (or 1/n of the open model's rate); recorded in run.json. */
  shard?: Shard;
  /** `--workers N`: run the engine in N worker threads (see src/run/workers.ts). Default 1: in this thread. */
  workers?: number;
  /** The flags the run was started with, recorded in run.json for `--resume` (a resumed run keeps its own). */
  invocation?: RecordedInvocation;
  /** Called once the run directory exists and run.json says `running` (and any notice for the user, such as how much of a timed run is left). */
  onRunDirectory?: (run: StartedRun) => void;
  /** The outputs (src/sinks/registry.ts `selectOutputs`). Default: ndjson, snapshots, and progress when enabled. */
  outputs?: readonly OutputRequest[];
  /**
   * Called once summary.json is written and before the end-of-run outputs are built: the gate's
   * comparison with a baseline (or null), which junit, markdown and the pdf show.
   */
  judge?: (runDir: string, summary: RunSummary) => Promise<unknown>;
  /** Resolves `--output junit=FILE`. Default: the process's working directory. */
  cwd?: string;
  /** Said during the run, once: the load generator is saturated (the CLI writes it to stderr). */
  warn?: (message: string) => void;
  /** The generator-health probe of this thread (tests script one); default: perf_hooks and process.cpuUsage. */
  healthProbe?: HealthProbe;
  /** How the wait for `startAt` shows on the progress stream. Default: live on a TTY with progress, a line with progress, else none. */
  countdown?: CountdownStyle;
}

export interface StartedRun {
  id: string;
  path: string;
  /** A resumed run: what it sends again that the stopped run may have sent (src/run/resume-note.ts), for stderr. */
  resumeNote?: string;
  /**
   * For a process about to exit at once (a second Ctrl-C): run.json says `interrupted`, written
   * synchronously and atomically, so that no reader ever sees a run still `running` that is not.
   */
  markInterruptedSync(reason: string): void;
  /** One line for the user, e.g. that a resumed duration run continues for the remaining time. */
  notice?: string;
}

export interface ExecuteResult {
  runId: string;
  runDir: string;
  status: RunStatus;
  summary: RunSummary;
  /** What `judge` returned. */
  comparison: unknown;
  /** The end-of-run outputs' warnings and the artifacts that could not be written (exit 4). */
  artifacts: FinishReport;
}

/**
 * One run, start to finish: target up and reachable → run directory → sinks → engine → summary.
 * The engine only emits records; this function decides where they go.
 */
export async function executeRun(options: ExecuteOptions): Promise<ExecuteResult> {
  const { inputs } = options;
  const { config } = inputs;
  const clock = options.clock ?? systemClock;
  const redactor = new Redactor(inputs.secrets, config.redact);

  let demo: DemoServer | null = null;
  let dispatcher: Dispatcher | null = null;
  let cancelGrace: (() => void) | undefined;
  const resumed: ResumeState | null = options.resume ? await prepareResume(options.resume, inputs) : null;
  try {
    let baseUrl = config.target;
    let targetLabel = redactor.url(config.target);
    if (config.target === 'demo') {
      demo = await startDemoServer({ ...config.demo, port: 0 });
      baseUrl = demo.url;
      targetLabel = `demo (${demo.url})`;
    }
    await checkReachable(baseUrl, Math.min(config.timeouts.connectMs, 5000), inputs.transport?.proxy ?? null);
    // Not measured, so on real time whatever the run's clock.
    await warmClient(config.timeouts, systemClock);

    // A resumed shard stays the shard it was.
    const shard = (resumed ? resumed.manifest.shard : options.shard) ?? null;
    const plan = partitionPlan(buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed }), shard ?? { index: 1, count: 1 });
    // The run's own request path, warmed on a throwaway server so its first compiles are not in the first requests' latency.
    if ((options.workers ?? 1) <= 1) await warmRunPath(inputs, redactor, plan, options.signal);
    collectStartupGarbage();
    // The engine runs the whole schedule's share (see shard.ts); progress and live metrics show the share's rate.
    const load = config.load;
    const shown = load && shard ? partitionLoad(load, shard) : load;
    // The open model plans arrivals, not personas × locations; the shards' shares add up to one process's.
    const planned = load ? shareOf(Math.round(expectedArrivals(load.phases)), shard ?? { index: 1, count: 1 }) : plan.size;
    // Closed model for a duration or in stages: a resumed run continues the schedule where it stopped.
    const vus = load ? null : config.vus;
    const timed = vus && resumed ? await timedResume(resumed.runDir.path, resumed.manifest, resumed.manifest.resumedAt ?? []) : null;
    const vuTimeline = new VuTimeline();
    const numbering = vuNumbering(shard, vus !== null, config.concurrency);
    // Epoch ms of the schedule's second 0, once the load starts.
    let scheduleStartedAt = 0;
    if (timed?.earlier) vuTimeline.addSeries(timed.earlier.perSecond, timed.earlier.peak);
    const now = new Date(clock.wallNow());
    const startedAt = resumed ? new Date(resumed.manifest.startedAt) : now;
    const runDir = resumed ? resumed.runDir : await createRunDirectory(config.outDir, config.name, startedAt);
    const fresh: RunManifest = buildManifest({
      runId: runDir.id,
      name: config.name,
      status: 'running',
      target: targetLabel,
      shard,
      startedAt: startedAt.toISOString(),
      endedAt: null,
      config: { ...redactor.deep(config) },
      personas: inputs.personas.map((p) => ({ ...redactor.deep(p) })),
      locations: { count: inputs.locations.length, source: config.locationsPath },
      configHash: inputs.configHash,
      ...((options.workers ?? 1) > 1 ? { workers: options.workers } : {}),
      planned,
      inputDigests: inputs.inputDigests,
      ...(options.invocation ? { invocation: options.invocation } : {}),
    });
    const note = resumed ? resumeNote({ inputs, plan, load, shard, seed: config.seed + (shard ? shard.index - 1 : 0), workers: options.workers ?? 1, done: resumed.done }) : null;
    const manifest: RunManifest = resumed
      ? buildManifest({
        ...resumed.manifest,
        target: targetLabel,
        status: 'running',
        endedAt: null,
        resumedAt: [...(resumed.manifest.resumedAt ?? []), now.toISOString()],
        segments: resumed.segments,
        resumes: [...(resumed.manifest.resumes ?? []), { at: now.toISOString(), ...note! }],
      })
      : fresh;
    // Each result is placed in the session (first run, each resume) that sent it: the segments that ran.
    const sessions = resumed ? SegmentTracker.continuing(resumed.sessions, now.getTime()) : new SegmentTracker([startedAt.getTime()]);
    const withSegments = (m: RunManifest): RunManifest => ({ ...m, segments: sessions.segments() });
    delete manifest.reason;
    delete manifest.aborted;
    await writeManifest(runDir.path, manifest);
    // Once the final run.json is written it is the truth; an exit after that changes nothing.
    let finalWritten = false;
    const scheduledMs = vus ? vuLoadDurationMs(vus) : 0;
    options.onRunDirectory?.({
      id: runDir.id,
      path: runDir.path,
      ...(note ? { resumeNote: describeResumeNote(note) } : {}),
      ...(timed
        ? { notice: `resuming a ${formatDuration(scheduledMs)} ${vus!.model} run after ${formatDuration(timed.elapsedMs)} of it: it runs for the remaining ${formatDuration(Math.max(0, scheduledMs - timed.elapsedMs))}` }
        : {}),
      markInterruptedSync: (reason) => {
        if (!finalWritten) writeManifestSync(runDir.path, finishManifest(withSegments(manifest), { status: 'interrupted', endedAt: new Date(clock.wallNow()), reason }));
      },
    });

    const metrics = resumed?.metrics ?? new RunMetrics();
    const requests = options.outputs ?? selectOutputs({ command: 'run', progress: options.progress.enabled, reports: false });
    const outputs = new OutputManager([
      ...(await createOutputs(requests, {
        command: 'run',
        runDir: runDir.path,
        clock,
        load: shown ? { model: 'open', phases: shown.phases } : { model: 'closed', concurrency: config.concurrency },
        snapshots: { slugs: new Map(inputs.personas.map((p) => [p.name, p.slug])), source: { snapshot: (p) => metrics.personaSnapshot(p) }, intervalMs: 500 },
        progress: {
          stream: options.progress.stream,
          terminal: options.progress.terminal,
          planned: shown ? expectedPerPersona(inputs.personas, shown) : plan.perPersona,
          firstStep: new Map(inputs.personas.map((p) => [p.name, firstStepName(p)])),
          ...(resumed ? { alreadyDone: resumed.visitsByPersona } : {}),
          source: { progress: (p) => metrics.personaProgress(p) },
          clock,
          ...(load ? { scheduleMs: scheduleDurationMs(load.phases) } : {}),
          ...(vus
            ? { vus: { active: () => vuTimeline.current, max: maxVUs(vus, config.concurrency), scheduledMs, elapsedMs: () => (scheduleStartedAt ? clock.wallNow() - scheduleStartedAt : (timed?.elapsedMs ?? 0)) } }
            : {}),
        },
        artifact: reportArtifacts(requests, options.cwd ?? process.cwd()),
      })),
      ...(options.verbose ? [new VerboseFailureSink(options.verbose, redactor)] : []),
    ]);
    await outputs.start().catch(async (err: unknown) => {
      // Nothing was sent: the run directory says why it stopped, not `running`.
      await writeManifest(runDir.path, finishManifest(manifest, { status: 'failed', endedAt: new Date(clock.wallNow()), reason: (err as Error).message }));
      finalWritten = true;
      throw err;
    });
    const emit = outputs.write;
    const abortMonitor = config.abortOn ? new AbortMonitor(config.abortOn, clock) : null;
    const onRecord = (record: EngineRecord) => {
      if (record.type === 'result') {
        metrics.add(record);
        sessions.add(record.startedAt, record.latencyMs);
        abortMonitor?.observe(record);
      } else if (record.type === 'session') metrics.addSession(record);
      emit(record);
    };

    // --workers N: the workers record their own results (lines and metrics) unless something in this
    // thread needs every record (progress, live metrics, --verbose, abortOn).
    const leanWorkers = (options.workers ?? 1) > 1 && !abortMonitor && !options.verbose && requests.every((r) => OUTPUTS.get(r.name)?.when === 'end' || r.name === 'ndjson' || r.name === 'snapshots');
    const onLines = (batch: LeanBatch) => {
      if (batch.metrics) metrics.merge(RunMetrics.fromSummary(batch.metrics));
      if (batch.count > 0) {
        sessions.add(batch.firstStart, batch.lastEnd - batch.firstStart, batch.count);
        outputs.writeLines(batch.lines, batch.count);
      }
      for (const persona of batch.personas) emit({ type: 'persona-progress', persona });
    };

    dispatcher = dispatcherFor(inputs);
    const statsUrl = config.cacheStats ? cacheStatsUrl(baseUrl, config.cacheStats) : null;
    const statsTimeout = Math.min(config.timeouts.totalMs, 10_000);
    const statsBefore = statsUrl ? await readCacheCounters(dispatcher, statsUrl, config.cacheStats!, statsTimeout) : null;
    let openLoad: OpenLoadReport | undefined;
    let vuCut = 0;
    let status: RunStatus = 'complete';
    let reason: string | undefined;
    let summary: RunSummary | undefined;
    let start: RunSummary['start'];
    // Visits, not result lines: a journey writes a line per step and attempt.
    let completed = resumed?.done.size ?? 0;
    let aborted = 0;
    // After the stop signal, requests in flight get `graceMs` to finish; then they are cut.
    const cut = new AbortController();
    const startGrace = () => {
      cancelGrace = clock.timeout(options.graceMs ?? 10_000, () => cut.abort());
    };
    if (options.signal?.aborted) startGrace();
    else options.signal?.addEventListener('abort', startGrace, { once: true });
    // The generator's own health, sampled while the engine runs; the warning is said once, whoever finds it.
    const saturated = saturationWarning(options.warn);
    const workerHealth: WorkerHealth[] = [];
    const health = new GeneratorHealthMonitor({ clock, ...(options.healthProbe ? { probe: options.healthProbe } : {}), label: (options.workers ?? 1) > 1 ? 'the main thread' : 'troupe', onSaturated: saturated });
    health.start();
    // The run-level setup and teardown run here, once, whatever the number of worker threads.
    const phases = { runSteps: createStepRunner(engineOptions(inputs, baseUrl, redactor, { load, plan, seed: config.seed, concurrency: 1, dispatcher, onRecord, abortInFlight: cut.signal, clock })), onRecord };
    let runSession: RunSession | null = null;
    try {
      if (config.setup) {
        runSession = await runRunSetup(phases, config.setup);
        if (runSession.failure !== null) throw new SetupError(`the run-level setup failed, so no load was sent: ${runSession.failure}`);
      }
      const setupVars = runSession ? Object.freeze({ ...runSession.session.vars }) : undefined;
      const setupSecrets = runSession?.session.secretValues();
      const stop = abortMonitor && options.signal ? AbortSignal.any([options.signal, abortMonitor.signal]) : (abortMonitor?.signal ?? options.signal);
      // Last thing before the engine, so shards given one instant send their first requests at it. A resumed run starts at once.
      const plannedStart = resumed ? null : config.startAt;
      const progress = options.progress;
      const waited = plannedStart === null ? null : await waitForStart({ at: plannedStart, clock, signal: stop, stream: progress.stream, style: options.countdown ?? (progress.enabled ? (progress.terminal.isTTY ? 'live' : 'line') : 'none') });
      const scheduleStart = waited?.startedAt ?? clock.wallNow();
      metrics.startAt(scheduleStart);
      start = { at: new Date(scheduleStart).toISOString(), ...(plannedStart !== null ? { plannedAt: new Date(plannedStart).toISOString() } : {}), ...(waited?.lateMs ? { lateMs: waited.lateMs } : {}) };
      const workers = options.workers ?? 1;
      const elapsedMs = timed?.elapsedMs ?? 0;
      const onVu = (record: Parameters<typeof vuTimeline.add>[0]) => vuTimeline.add(record);
      scheduleStartedAt = clock.wallNow() - elapsedMs;
      // The run-level teardown follows the load however it ended (its requests are cut with the rest after the grace period).
      let outcome: WorkloadOutcome;
      try {
        outcome = workers > 1
          ? await runInWorkers({ workers, inputs, baseUrl, shard, plan, load, seed: config.seed + (shard ? shard.index - 1 : 0), skip: resumed?.done ?? null, onRecord, ...(leanWorkers ? { onLines, startAt: scheduleStart } : {}), ready: outputs.ready, signal: stop, abortInFlight: cut.signal, onVu, vuNumbering: numbering, elapsedMs, graceMs: options.graceMs, setupVars, setupSecrets, onWorkerHealth: (h) => workerHealth.push(h), onSaturated: saturated })
          : await runWorkload(engineOptions(inputs, baseUrl, redactor, {
            setupVars,
            setupSecrets,
            load,
            plan,
            // Think-time jitter differs per shard; the closed plan (seeded above) and the open schedule are the same in every shard.
            seed: config.seed + (shard ? shard.index - 1 : 0),
            scheduleSeed: config.seed,
            arrivalNumbering: arrivalNumbering(shard),
            concurrency: config.concurrency,
            vuNumbering: numbering,
            elapsedMs,
            ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
            onVu,
            dispatcher,
            onRecord,
            ready: outputs.ready,
            signal: stop,
            abortInFlight: cut.signal,
            skip: resumed ? (item) => resumed.done.has(item.id) : undefined,
            clock,
          }));
      } finally {
        if (config.teardown) await runRunTeardown(phases, config.teardown, runSession?.session ?? null);
      }
      completed += outcome.completed;
      aborted = outcome.aborted;
      openLoad = outcome.load;
      vuCut = outcome.cut ?? 0;
      if (abortMonitor?.verdict) {
        status = 'interrupted';
        reason = `stopped early by ${abortMonitor.verdict.message}`;
      } else if (outcome.stoppedEarly) {
        status = 'interrupted';
        reason = 'stopped by a signal before all planned requests were sent';
        if (aborted > 0) reason += `; ${aborted} request(s) still in flight after the grace period were cut and not recorded (--resume runs them again)`;
      }
    } catch (err) {
      status = 'failed';
      reason = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      const generator = generatorHealth(health.stop(), workerHealth);
      cancelGrace?.();
      options.signal?.removeEventListener('abort', startGrace);
      await outputs.stopLive().catch(async (err: unknown) => {
        await outputs.abandon();
        throw err;
      });
      // A resumed run: personas that finished before the interruption get their snapshot from the full results too.
      if (resumed) {
        for (const persona of inputs.personas) {
          await writeSnapshot(runDir.path, persona.slug, metrics.personaSnapshot(persona.name));
        }
      }
      const endedAt = new Date(clock.wallNow());
      const observed = metrics.targetCacheCounts();
      const serverCache = statsUrl
        ? endpointCacheStats(statsUrl, statsBefore!, await readCacheCounters(dispatcher, statsUrl, config.cacheStats!, statsTimeout), observed)
        : demo
          ? demoCacheStats(demo, observed)
          : undefined;
      summary = buildSummary(
        {
          runId: runDir.id,
          name: config.name,
          status,
          target: targetLabel,
          startedAt,
          endedAt,
          planned,
          completed,
          // A shard of a timed run runs its share of the VUs: the shards' concurrencies add up to the run's.
          concurrency: vus ? localVUs(numbering, maxVUs(vus, config.concurrency)) : config.concurrency,
          aborted,
          ...(manifest.resumedAt ? { resumedAt: manifest.resumedAt } : {}),
          segments: sessions.segments(),
          ...(serverCache ? { serverCache } : {}),
          ...(openLoad ? { load: openLoad } : {}),
          ...(start ? { start } : {}),
          ...(vus
            ? {
                vus: {
                  model: vus.model,
                  ...(vus.model === 'constant-vus' ? { durationMs: vus.durationMs, loop: vus.loop } : { stages: vus.stages, startVUs: vus.startVUs, gracefulRampDownMs: vus.gracefulRampDownMs }),
                  scheduledMs,
                  scheduleStartedAt,
                  ...(timed ? { resumedAfterMs: timed.elapsedMs } : {}),
                  peak: vuTimeline.peak,
                  cut: vuCut + (timed?.earlier?.cut ?? 0),
                  perSecond: vuTimeline.perSecond() ?? { fromSecond: Math.floor(scheduleStartedAt / 1000) * 1000, active: [] },
                },
              }
            : {}),
          ...(abortMonitor?.verdict ? { abortedBy: abortMonitor.verdict } : {}),
          generator,
        },
        metrics.toSummary(),
        options.thresholds,
      );
      await writeSummary(runDir.path, summary);
      await writeManifest(runDir.path, finishManifest(withSegments(manifest), { status, endedAt, ...(reason ? { reason } : {}), aborted }));
      finalWritten = true;
    }
    const comparison = options.judge ? await options.judge(runDir.path, summary).catch(async (err: unknown) => {
      await outputs.abandon();
      throw err;
    }) : null;
    const artifacts = await outputs.finish({ runDir: runDir.path, summary, comparison });
    return { runId: runDir.id, runDir: runDir.path, status, summary, comparison, artifacts };
  } finally {
    cancelGrace?.();
    await dispatcher?.close().catch(() => undefined);
    await demo?.close();
  }
}

function endpointCacheStats(url: string, before: CacheCounters | { error: string }, after: CacheCounters | { error: string }, observed: CacheCounters): ServerCacheStats {
  if ('error' in before || 'error' in after) {
    const error = 'error' in before ? `before the run: ${before.error}` : `after the run: ${(after as { error: string }).error}`;
    return { source: url, hits: 0, misses: 0, hitRate: null, error };
  }
  const delta = { hits: after.hits - before.hits, misses: after.misses - before.misses };
  return { source: url, ...delta, ...compareCacheRates(delta, observed), before, after };
}

function demoCacheStats(demo: DemoServer, observed: CacheCounters): ServerCacheStats {
  const { hits, misses } = demo.stats();
  return { source: 'demo server /api/cache/stats', hits, misses, ...compareCacheRates({ hits, misses }, observed) };
}
