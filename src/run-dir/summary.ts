/**
 * The one summary builder: run, bench, merge and the rebuild from results.ndjson (report, compare,
 * merge of a killed shard) all make summary.json here, so its keys, their order and the thresholds
 * verdict are the same whoever wrote it.
 */
import type { AbortVerdict } from '../engine/abort-on.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import type { GeneratorHealth } from '../metrics/generator.js';
import type { VuReport } from '../metrics/vu-timeline.js';
import type { RunMetricsSummary } from '../metrics/run-metrics.js';
import { evaluateThresholds, type Threshold } from '../metrics/thresholds.js';
import { TROUPE_VERSION } from '../version.js';
import { FORMAT_VERSION } from './schemas.js';
import { activeTimeMs, pausesOf, withActiveRate, type RunSegment } from './segments.js';
import type { MergeReport, RunStart, RunStatus, RunSummary, ServerCacheStats } from './types.js';

export interface SummaryFacts {
  runId: string;
  name: string;
  status: RunStatus;
  target: string;
  startedAt: Date;
  endedAt: Date;
  planned: number;
  /** Visits done (a journey writes several lines per visit). */
  completed: number;
  concurrency: number;
  /** Kept only when > 0. */
  aborted?: number;
  resumedAt?: string[];
  /** The stretches the run actually ran (see segments.ts); kept, and used for rates, when there is more than one. */
  segments?: RunSegment[];
  serverCache?: ServerCacheStats;
  load?: OpenLoadReport;
  start?: RunStart;
  merge?: MergeReport;
  vus?: VuReport;
  abortedBy?: AbortVerdict;
  /** troupe's own event-loop delay and CPU during the run (src/run/generator-health.ts). */
  generator?: GeneratorHealth;
}

/** summary.json from the run's facts and its metrics; `thresholds` (when any) are judged on the result. */
export function buildSummary(facts: SummaryFacts, metrics: RunMetricsSummary, thresholds: readonly Threshold[] = []): RunSummary {
  const summary: RunSummary = {
    troupe: TROUPE_VERSION,
    formatVersion: FORMAT_VERSION,
    runId: facts.runId,
    name: facts.name,
    status: facts.status,
    target: facts.target,
    startedAt: facts.startedAt.toISOString(),
    endedAt: facts.endedAt.toISOString(),
    durationMs: Math.max(0, Math.round(facts.endedAt.getTime() - facts.startedAt.getTime())),
    planned: facts.planned,
    completed: facts.completed,
    concurrency: facts.concurrency,
    ...(facts.aborted ? { aborted: facts.aborted } : {}),
    ...(facts.resumedAt ? { resumedAt: facts.resumedAt } : {}),
    ...(facts.segments && facts.segments.length > 1 ? { segments: facts.segments, activeMs: Math.round(activeTimeMs(facts.segments) * 1000) / 1000 } : {}),
    ...(facts.serverCache ? { serverCache: facts.serverCache } : {}),
    ...(facts.load ? { load: facts.load } : {}),
    ...(facts.start ? { start: facts.start } : {}),
    ...(facts.merge ? { merge: facts.merge } : {}),
    ...(facts.vus ? { vus: facts.vus } : {}),
    ...(facts.abortedBy ? { abortedBy: facts.abortedBy } : {}),
    ...(facts.generator ? { generator: facts.generator } : {}),
    ...(facts.segments && facts.segments.length > 1 ? overActiveTime(metrics, pausesOf(facts.segments)) : metrics),
  };
  if (thresholds.length) summary.thresholds = evaluateThresholds(summary, thresholds);
  return summary;
}

/** Every scope's duration and rate over active time: a resumed run's pauses are not time it ran. */
function overActiveTime(metrics: RunMetricsSummary, pauses: ReturnType<typeof pausesOf>): RunMetricsSummary {
  if (pauses.length === 0) return metrics;
  // Object.fromEntries defines user-chosen names (`__proto__` too) as own keys, as run-metrics.ts does.
  const all = <S extends ScopeSummary>(scopes: Record<string, S>): Record<string, S> =>
    Object.fromEntries(Object.entries(scopes).map(([key, scope]) => [key, withActiveRate(scope, pauses)]));
  // Persona × location scopes are no longer kept in a new summary (reports rebuild them from results).
  const personaLocations = metrics.personaLocations && Object.fromEntries(Object.entries(metrics.personaLocations).map(([persona, locations]) => [persona, all(locations)]));
  return {
    ...metrics,
    global: withActiveRate(metrics.global, pauses),
    personas: all(metrics.personas),
    locations: all(metrics.locations),
    steps: all(metrics.steps),
    cacheStatus: all(metrics.cacheStatus as Record<string, ScopeSummary>),
    ...(personaLocations ? { personaLocations } : {}),
    ...(metrics.retries ? { retries: withActiveRate(metrics.retries, pauses) } : {}),
  };
}
