/**
 * The summary of a run killed before it wrote summary.json, rebuilt from results.ndjson: the same
 * aggregates the run would have written, so report, merge and compare still work on it.
 */
import type { ResultRecord } from '../engine/records.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { runDirPaths } from './layout.js';
import { readResults, type ReadResultsReport } from './results.js';
import { SegmentTracker, sessionStarts } from './segments.js';
import { buildSummary } from './summary.js';
import type { RunManifest, RunSummary } from './types.js';

export async function rebuildSummary(dir: string, manifest: RunManifest, report: ReadResultsReport = { lines: 0, truncatedTail: false }): Promise<RunSummary> {
  const metrics = new RunMetrics();
  // A visit's lines are written together, so each change of work-item id starts the next visit.
  let completed = 0;
  let lastId: string | null = null;
  const sessions = new SegmentTracker(sessionStarts(manifest));
  for await (const line of readResults(runDirPaths(dir).results, { report, missingIsEmpty: true })) {
    metrics.add({ type: 'result', ...line } as ResultRecord);
    sessions.add(line.startedAt, line.latencyMs);
    if (line.id !== lastId) completed++;
    lastId = line.id;
  }
  const m = metrics.toSummary();
  const start = Date.parse(manifest.startedAt);
  const end = m.global.endedAt ?? start;
  const summary = buildSummary(
    {
      runId: manifest.runId,
      name: manifest.name,
      status: manifest.status === 'complete' ? 'complete' : 'interrupted',
      target: manifest.target,
      startedAt: new Date(start),
      endedAt: new Date(end),
      planned: manifest.planned,
      completed,
      // A bench records its connections × pipelining, as its own summary does.
      concurrency: manifest.config.concurrency ?? (manifest.config.bench ? manifest.config.bench.connections * manifest.config.bench.pipelining : 0),
      ...(manifest.resumedAt ? { resumedAt: manifest.resumedAt } : {}),
      segments: sessions.segments(),
    },
    m,
  );
  // Rebuilt, not rewritten: it says which troupe ran the run.
  return { ...summary, troupe: manifest.troupe };
}
