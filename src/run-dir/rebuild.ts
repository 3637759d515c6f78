/**
 * The summary of a run killed before it wrote summary.json, rebuilt from results.ndjson: the same
 * aggregates the run would have written, so report, merge and compare still work on it.
 */
import { join } from 'node:path';
import type { ResultRecord } from '../engine/records.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { RUN_FILES, type RunManifest, type RunSummary } from '../run/files.js';
import { readResults, type ReadResultsReport } from './results.js';

export async function rebuildSummary(dir: string, manifest: RunManifest, report: ReadResultsReport = { lines: 0, truncatedTail: false }): Promise<RunSummary> {
  const metrics = new RunMetrics();
  // A visit's lines are written together, so each change of work-item id starts the next visit.
  let completed = 0;
  let lastId: string | null = null;
  for await (const line of readResults(join(dir, RUN_FILES.results), { report, missingIsEmpty: true })) {
    metrics.add({ type: 'result', ...line } as ResultRecord);
    if (line.id !== lastId) completed++;
    lastId = line.id;
  }
  const m = metrics.toSummary();
  const start = Date.parse(manifest.startedAt);
  const end = m.global.endedAt ?? start;
  const concurrency = (manifest.config as { concurrency?: unknown } | null)?.concurrency;
  return {
    troupe: manifest.troupe,
    runId: manifest.runId,
    name: manifest.name,
    status: manifest.status === 'complete' ? 'complete' : 'interrupted',
    target: manifest.target,
    startedAt: manifest.startedAt,
    endedAt: new Date(end).toISOString(),
    durationMs: Math.max(0, Math.round(end - start)),
    planned: manifest.planned,
    completed,
    concurrency: typeof concurrency === 'number' ? concurrency : 0,
    ...m,
  };
}
