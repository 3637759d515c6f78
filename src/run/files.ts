/**
 * The run directory is the contract between a run and its reports (see DESIGN.md). This module names
 * its files and the shapes of run.json and summary.json; writers and readers both import it.
 */
import type { RunMetricsSummary } from '../metrics/run-metrics.js';

export const RUN_FILES = {
  manifest: 'run.json',
  results: 'results.ndjson',
  personas: 'personas',
  summary: 'summary.json',
  csv: 'csv',
  pdf: 'report.pdf',
} as const;

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

export interface RunManifest {
  troupe: string;
  runId: string;
  name: string;
  status: RunStatus;
  /** Base URL (secrets redacted); for the embedded demo, `demo (http://127.0.0.1:port)`. */
  target: string;
  shard: { index: number; count: number } | null;
  startedAt: string;
  endedAt: string | null;
  /** The resolved config with secrets redacted. */
  config: unknown;
  personas: unknown[];
  locations: { count: number; source: string };
  configHash: string;
  planned: number;
  node: string;
  /** Why the run ended early (interrupted or failed). */
  reason?: string;
}

/** Hit/miss counters the target itself reported (the demo server, or a cache-stats endpoint). */
export interface ServerCacheStats {
  source: string;
  hits: number;
  misses: number;
  hitRate: number | null;
}

export interface RunSummary extends RunMetricsSummary {
  troupe: string;
  runId: string;
  name: string;
  status: RunStatus;
  target: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  planned: number;
  completed: number;
  concurrency: number;
  serverCache?: ServerCacheStats;
}
