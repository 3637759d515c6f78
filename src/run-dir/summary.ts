/**
 * The one summary builder: run, bench, merge and the rebuild from results.ndjson (report, compare,
 * merge of a killed shard) all make summary.json here, so its keys, their order and the thresholds
 * verdict are the same whoever wrote it.
 */
import type { AbortVerdict } from '../engine/abort-on.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import type { VuReport } from '../metrics/vu-timeline.js';
import type { RunMetricsSummary } from '../metrics/run-metrics.js';
import { evaluateThresholds, type Threshold } from '../metrics/thresholds.js';
import { TROUPE_VERSION } from '../version.js';
import { FORMAT_VERSION } from './schemas.js';
import type { RunStatus, RunSummary, ServerCacheStats } from './types.js';

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
  serverCache?: ServerCacheStats;
  load?: OpenLoadReport;
  vus?: VuReport;
  abortedBy?: AbortVerdict;
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
    ...(facts.serverCache ? { serverCache: facts.serverCache } : {}),
    ...(facts.load ? { load: facts.load } : {}),
    ...(facts.vus ? { vus: facts.vus } : {}),
    ...(facts.abortedBy ? { abortedBy: facts.abortedBy } : {}),
    ...metrics,
  };
  if (thresholds.length) summary.thresholds = evaluateThresholds(summary, thresholds);
  return summary;
}
