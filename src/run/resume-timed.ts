/**
 * `--resume` of a closed-model run for a duration or in stages: how much of its schedule already ran,
 * so the resumed session runs only the rest (and the stages from where they were), and the earlier
 * sessions' active-VU curve, so the summary's covers the whole run.
 *
 * Load time already run = for each earlier session (run.json `startedAt`, then each `resumedAt`), from
 * its start to the end of the last result that started in it. It comes from results.ndjson, so a
 * killed session counts too; a session's few milliseconds of start-up before the load count as load.
 */
import type { VuReport } from '../metrics/vu-timeline.js';
import { readSummary } from '../run-dir/json-files.js';
import { runDirPaths } from '../run-dir/layout.js';
import { readResults } from '../run-dir/results.js';
import type { RunManifest } from '../run-dir/types.js';

export interface TimedResume {
  /** Load time the earlier sessions ran, ms. */
  elapsedMs: number;
  /** The earlier sessions' VU report (from summary.json, when one was written). */
  earlier: VuReport | null;
}

export async function timedResume(runDir: string, manifest: RunManifest, resumedAt: string[]): Promise<TimedResume> {
  const starts = [manifest.startedAt, ...resumedAt].map((iso) => Date.parse(iso)).sort((a, b) => a - b);
  const lastEnd = starts.map(() => -Infinity);
  for await (const r of readResults(runDirPaths(runDir).results, { missingIsEmpty: true })) {
    let k = starts.length - 1;
    while (k > 0 && starts[k]! > r.startedAt) k--;
    const end = r.startedAt + r.latencyMs;
    if (end > lastEnd[k]!) lastEnd[k] = end;
  }
  const elapsedMs = starts.reduce((sum, start, k) => sum + (lastEnd[k]! > start ? lastEnd[k]! - start : 0), 0);
  const summary = await readSummary(runDirPaths(runDir).summary).catch(() => null);
  return { elapsedMs: Math.round(elapsedMs), earlier: summary?.vus ?? null };
}
