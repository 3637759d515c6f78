/**
 * `troupe merge`: shard run directories in, one run directory out, as if one process had run the whole
 * plan. Counters add up; HdrHistograms merge exactly (decoded from each summary.json, whose layouts are
 * identical); results.ndjson lines are concatenated; thresholds are judged again on the merged whole.
 * Reports are built by the caller (the reports registry), from the merged directory alone.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { expectedArrivals } from '../engine/arrivals.js';
import { compareCacheRates } from '../engine/cache-stats.js';
import type { ResultRecord } from '../engine/records.js';
import type { OpenLoadReport } from '../engine/open-model.js';
import { ExitCode, RunDirError } from '../errors.js';
import { JourneyMetrics } from '../metrics/journey-metrics.js';
import { RunMetrics, type RunMetricsSummary } from '../metrics/run-metrics.js';
import type { Threshold } from '../metrics/thresholds.js';
import { mergeVuReports } from '../metrics/vu-timeline.js';
import { readManifest, readSummary } from '../run-dir/json-files.js';
import { runDirPaths } from '../run-dir/layout.js';
import { buildManifest } from '../run-dir/manifest.js';
import { personaLocationsFromResults } from '../run-dir/persona-locations.js';
import { rebuildSummary } from '../run-dir/rebuild.js';
import { buildSummary } from '../run-dir/summary.js';
import { mergeGeneratorHealth } from '../metrics/generator.js';
import type { MergeReport, RunManifest, RunStatus, RunSummary, ServerCacheStats } from '../run-dir/types.js';
import { writeManifest, writeSnapshot, writeSummary } from '../run-dir/write.js';
import { mergeResultFiles } from './merge-results.js';

export interface ShardRun {
  dir: string;
  manifest: RunManifest;
  /** summary.json, or one rebuilt from results.ndjson when the shard was killed before writing it. */
  summary: RunMetricsSummary & Partial<RunSummary>;
  rebuilt: boolean;
}

export interface MergeOptions {
  /** Shard run directories. */
  dirs: string[];
  /** The merged run directory (created; must not exist or be empty). */
  out: string;
  /** Parsed thresholds: the shards' (from their config and summaries) plus any given to merge. */
  thresholds: (shards: ShardRun[]) => Threshold[];
}

export interface MergeResult {
  runDir: string;
  summary: RunSummary;
  status: RunStatus;
  /** Sentences for the console: incomplete shards, rebuilt summaries. */
  notes: string[];
  lines: number;
}

const refuse = (message: string): never => {
  throw new RunDirError(message, ExitCode.usage);
};

export async function readShard(dir: string): Promise<ShardRun> {
  const path = resolve(dir);
  const manifest = await readManifest(path);
  if (manifest === null) return refuse(`${dir} is not a run directory: it has no run.json`);
  const summary = await readSummary(runDirPaths(path).summary);
  if (summary !== null) return { dir: path, manifest, summary, rebuilt: false };
  // Killed before the summary was written: the results on disk are the truth.
  return { dir: path, manifest, summary: await rebuildSummary(path, manifest), rebuilt: true };
}

/** Same config, every shard 1..n exactly once; otherwise a usage error (exit 2) that says which. */
export function checkShards(shards: ShardRun[]): void {
  if (shards.length === 0) refuse('merge: no run directories given');
  const unsharded = shards.filter((s) => !s.manifest.shard);
  if (unsharded.length) refuse(`merge: not a shard (run.json has no shard; run with --shard i/n or --shards n): ${unsharded.map((s) => s.dir).join(', ')}`);
  const hashes = new Map<string, string[]>();
  for (const s of shards) hashes.set(s.manifest.configHash, [...(hashes.get(s.manifest.configHash) ?? []), s.dir]);
  if (hashes.size > 1) {
    const groups = [...hashes].map(([hash, dirs]) => `config ${hash.slice(0, 12)}: ${dirs.join(', ')}`).join('; ');
    refuse(`merge: the shards ran different configs (configHash differs), so they are not parts of one run: ${groups}`);
  }
  const counts = new Set(shards.map((s) => s.manifest.shard!.count));
  if (counts.size > 1) refuse(`merge: the shards disagree on the shard count: ${shards.map((s) => `${s.dir} is ${s.manifest.shard!.index}/${s.manifest.shard!.count}`).join(', ')}`);
  const count = [...counts][0]!;
  const byIndex = new Map<number, string[]>();
  for (const s of shards) byIndex.set(s.manifest.shard!.index, [...(byIndex.get(s.manifest.shard!.index) ?? []), s.dir]);
  const duplicates = [...byIndex].filter(([, dirs]) => dirs.length > 1);
  if (duplicates.length) refuse(`merge: duplicate shard ${duplicates.map(([i, dirs]) => `${i}/${count} (${dirs.join(', ')})`).join('; ')}`);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) refuse(`merge: missing shard ${missing.map((i) => `${i}/${count}`).join(', ')} (JOB_COMPLETION_INDEX ${missing.map((i) => i - 1).join(', ')}); got ${shards.length} of ${count}`);
}

const STATUS_RANK: Record<RunStatus, number> = { complete: 0, running: 1, interrupted: 2, failed: 3 };

/** The worst status wins; a shard still `running` (its process died) counts as interrupted. */
export function mergedStatus(statuses: RunStatus[]): RunStatus {
  const worst = statuses.reduce((a, b) => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a), 'complete' as RunStatus);
  return worst === 'running' ? 'interrupted' : worst;
}

/**
 * The target's own cache counters over the whole run. `cache.stats.scope: shared` (the default: every
 * shard read one endpoint): the shards' windows overlap, so the run's delta is the latest `after` minus
 * the earliest `before` (summing the deltas would count traffic twice). `shard` (each shard read its own
 * endpoint, a sidecar per pod at the same URL), and the demo server of each shard: the counts add up.
 * `observed` is every response the target sent, retried attempts included, as one process counts them.
 */
export function mergeServerCache(stats: ServerCacheStats[], observed: { hits: number; misses: number }, scope: 'shard' | 'shared' = 'shared'): ServerCacheStats | undefined {
  if (stats.length === 0) return undefined;
  const withRates = (s: ServerCacheStats): ServerCacheStats => ({ ...s, ...compareCacheRates(s, observed) });
  const failed = stats.find((s) => s.error);
  if (failed) return { source: failed.source, hits: 0, misses: 0, hitRate: null, error: `a shard could not read them: ${failed.error}` };
  const endpoint = stats.every((s) => s.before && s.after);
  if (endpoint && scope === 'shared') {
    const before = { hits: Math.min(...stats.map((s) => s.before!.hits)), misses: Math.min(...stats.map((s) => s.before!.misses)) };
    const after = { hits: Math.max(...stats.map((s) => s.after!.hits)), misses: Math.max(...stats.map((s) => s.after!.misses)) };
    return withRates({ source: `${stats[0]!.source} (one endpoint for ${stats.length} shards: latest after − earliest before; cache.stats.scope: shared)`, scope: 'shared', hits: after.hits - before.hits, misses: after.misses - before.misses, hitRate: null, before, after });
  }
  const hits = stats.reduce((n, s) => n + s.hits, 0);
  const misses = stats.reduce((n, s) => n + s.misses, 0);
  const how = endpoint ? 'each shard read its own endpoint; cache.stats.scope: shard' : 'a demo server per shard';
  return withRates({ source: `${stats[0]!.source} (sum over ${stats.length} shards: ${how})`, scope: 'shard', hits, misses, hitRate: null });
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Open model: each part (shard or worker thread) ran its share of one schedule (arrival k when k mod
 * stride = offset), so arrivals, starts and drops add up, and the expected arrivals and target rate are
 * the schedule's, computed as one process computes them. Parts of a troupe before shares were kept ran
 * 1/n of each phase's rate: their rates add up.
 */
export function mergeLoad(loads: OpenLoadReport[]): OpenLoadReport | undefined {
  if (loads.length === 0) return undefined;
  const sum = (f: (l: OpenLoadReport) => number) => round3(loads.reduce((n, l) => n + f(l), 0));
  const droppedByPersona: Record<string, number> = {};
  for (const l of loads) for (const [p, n] of Object.entries(l.droppedByPersona)) droppedByPersona[p] = (droppedByPersona[p] ?? 0) + n;
  const first = loads[0]!;
  const elapsedMs = Math.max(...loads.map((l) => l.elapsedMs));
  const started = sum((l) => l.started);
  const { share: _share, ...rest } = first;
  const stride = first.share ? Math.max(1, Math.round(first.share.stride / loads.length)) : 1;
  const expected = first.share ? expectedArrivals(first.phases) / stride : sum((l) => l.expectedArrivals);
  return {
    ...rest,
    phases: first.share ? first.phases : first.phases.map((p, i) => ({ ...p, rate: loads.reduce((n, l) => n + (l.phases[i]?.rate ?? 0), 0), ...(p.rampTo !== undefined ? { rampTo: loads.reduce((n, l) => n + (l.phases[i]?.rampTo ?? 0), 0) } : {}) })),
    ...(stride > 1 ? { share: { stride, offset: Math.min(...loads.map((l) => l.share!.offset)) % stride } } : {}),
    maxInFlight: sum((l) => l.maxInFlight),
    ...(first.concurrency !== undefined ? { concurrency: sum((l) => l.concurrency ?? 0) } : {}),
    expectedArrivals: round3(expected),
    arrivals: sum((l) => l.arrivals),
    started,
    dropped: sum((l) => l.dropped),
    droppedByPersona: Object.fromEntries(Object.entries(droppedByPersona).sort(([a], [b]) => (a < b ? -1 : 1))),
    ...(loads.some((l) => l.resumed !== undefined) ? { resumed: sum((l) => l.resumed ?? 0), unrecordedBeforeResume: sum((l) => l.unrecordedBeforeResume ?? 0) } : {}),
    // Peaks of different processes need not coincide: this is an upper bound.
    peakInFlight: sum((l) => l.peakInFlight),
    elapsedMs,
    targetRate: first.share ? (first.scheduledMs > 0 ? round3(expected / (first.scheduledMs / 1000)) : 0) : sum((l) => l.targetRate),
    achievedRate: elapsedMs > 0 ? round3(started / (elapsedMs / 1000)) : null,
  };
}

/**
 * How far apart the shards started: each one's schedule start (after its wait for the start instant)
 * and its first request sent; with one start instant for all, the first requests' offsets from it.
 */
export function mergeStarts(shards: ShardRun[]): MergeReport {
  const starts = shards.map((s) => {
    const first = s.summary.global.startedAt;
    return {
      index: s.manifest.shard!.index,
      startedAt: s.summary.start?.at ?? s.manifest.startedAt,
      firstRequestAt: first === null ? null : new Date(first).toISOString(),
      ...(s.summary.start?.lateMs ? { lateMs: s.summary.start.lateMs } : {}),
    };
  });
  const spread = (values: number[]) => round3(Math.max(...values) - Math.min(...values));
  const firsts = shards.map((s) => s.summary.global.startedAt);
  const planned = new Set(shards.map((s) => s.summary.start?.plannedAt ?? null));
  const plannedAt = planned.size === 1 ? [...planned][0] : null;
  const known = firsts.every((f): f is number => f !== null) ? firsts : null;
  return {
    shards: shards.length,
    ...(plannedAt ? { plannedAt } : {}),
    starts,
    startSpreadMs: spread(starts.map((s) => Date.parse(s.startedAt))),
    firstRequestSpreadMs: known ? spread(known) : null,
    ...(plannedAt && known ? { firstRequestFromPlannedMs: { min: round3(Math.min(...known) - Date.parse(plannedAt)), max: round3(Math.max(...known) - Date.parse(plannedAt)) } } : {}),
  };
}

export async function mergeRuns(options: MergeOptions): Promise<MergeResult> {
  const shards = await Promise.all(options.dirs.map(readShard));
  checkShards(shards);
  shards.sort((a, b) => a.manifest.shard!.index - b.manifest.shard!.index);

  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  if ((await readdir(out)).length > 0) refuse(`merge: --out ${options.out} is not empty; give a new folder for the merged run directory`);
  const paths = runDirPaths(out);
  await mkdir(paths.personas);

  const metrics = RunMetrics.fromSummary(shards[0]!.summary);
  for (const shard of shards.slice(1)) metrics.merge(RunMetrics.fromSummary(shard.summary));
  let lines: number;
  // The warm-up curve is rebuilt from the result lines on one time axis from the earliest shard's start
  // (each shard's curve starts at its own start), in the merged completion order.
  const warmup = new JourneyMetrics();
  const origins = shards.map((s) => s.summary.warmup?.originAt ?? Date.parse(s.summary.start?.at ?? s.manifest.startedAt)).filter(Number.isFinite);
  if (origins.length) warmup.warmup.startAt(Math.min(...origins));
  try {
    lines = await mergeResultFiles(shards.map((s) => s.dir), out, (line) => warmup.observe({ type: 'result', ...line } as ResultRecord));
  } catch (err) {
    // A damaged shard: leave no half-merged run directory behind (--out was empty, so all of it is ours).
    await Promise.all([paths.results, paths.personas].map((p) => rm(p, { recursive: true, force: true })));
    throw err;
  }

  const first = shards[0]!;
  const status = mergedStatus(shards.map((s) => (s.rebuilt && s.manifest.status === 'complete' ? 'interrupted' : s.manifest.status)));
  const times = (f: (s: ShardRun) => string | null | undefined) => shards.map(f).filter((t): t is string => Boolean(t)).map((t) => Date.parse(t));
  const startedAt = new Date(Math.min(...times((s) => s.manifest.startedAt)));
  const ends = times((s) => s.summary.endedAt ?? s.manifest.endedAt);
  const endedAt = new Date(ends.length ? Math.max(...ends) : startedAt.getTime());
  const sum = (f: (s: ShardRun) => number | undefined) => shards.reduce((n, s) => n + (f(s) ?? 0), 0);
  const aborted = sum((s) => s.summary.aborted);
  const targets = [...new Set(shards.map((s) => s.manifest.target))];
  const metricsSummary = metrics.toSummary();
  const curve = warmup.warmup.toSummary();
  if (curve && metricsSummary.warmup) metricsSummary.warmup = curve;
  const scope = (first.manifest.config.cacheStats as { scope?: 'shard' | 'shared' } | null | undefined)?.scope;
  const serverCache = mergeServerCache(shards.flatMap((s) => (s.summary.serverCache ? [s.summary.serverCache] : [])), metrics.targetCacheCounts(), scope);
  const load = mergeLoad(shards.flatMap((s) => (s.summary.load ? [s.summary.load] : [])));
  // Shards of a timed run split the VUs: their per-second curves add up to the single run's.
  const vus = mergeVuReports(shards.flatMap((s) => (s.summary.vus ? [s.summary.vus] : [])));
  const abortedBy = shards.find((s) => s.summary.abortedBy)?.summary.abortedBy;
  const generator = mergeGeneratorHealth(shards.flatMap((s) => (s.summary.generator ? [s.summary.generator] : [])));
  // The open model plans the schedule's arrivals (rounded once, as one process rounds them); the closed model the plan's items.
  const planned = load && first.summary.load?.share ? Math.round(expectedArrivals(load.phases)) : sum((s) => s.manifest.planned);
  const runId = basename(out);

  const summary: RunSummary = buildSummary(
    {
      runId,
      name: first.manifest.name,
      status,
      target: targets.join(', '),
      startedAt,
      endedAt,
      planned,
      completed: sum((s) => s.summary.completed ?? 0),
      concurrency: sum((s) => s.summary.concurrency ?? s.manifest.config.concurrency),
      aborted,
      ...(serverCache ? { serverCache } : {}),
      ...(load ? { load } : {}),
      merge: mergeStarts(shards),
      ...(vus ? { vus } : {}),
      ...(abortedBy ? { abortedBy } : {}),
      ...(generator ? { generator } : {}),
    },
    metricsSummary,
    options.thresholds(shards),
  );

  const notes: string[] = [];
  for (const s of shards) {
    const label = `shard ${s.manifest.shard!.index}/${s.manifest.shard!.count} (${s.dir})`;
    if (s.rebuilt) notes.push(`${label} has no summary.json; its figures were rebuilt from results.ndjson`);
    if (s.manifest.status !== 'complete') notes.push(`${label} is ${s.manifest.status === 'running' ? 'not finished (status running: still going, or its process died)' : s.manifest.status}${s.manifest.reason ? `: ${s.manifest.reason}` : ''}`);
  }

  const { troupe: _shardTroupe, ...firstManifest } = first.manifest;
  const manifest: RunManifest = buildManifest({
    ...firstManifest,
    runId,
    status,
    target: summary.target,
    shard: null,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    planned: summary.planned,
    mergedFrom: shards.map((s) => ({ ...s.manifest.shard!, runId: s.manifest.runId, dir: s.dir, status: s.manifest.status })),
    ...(notes.length ? { reason: notes.join('; ') } : {}),
    ...(aborted > 0 ? { aborted } : {}),
  });
  if (!notes.length) delete manifest.reason;
  delete manifest.resumedAt;
  if (aborted === 0) delete manifest.aborted;

  // Shards' summaries no longer carry persona × location scopes: the snapshots' per-location figures come from the merged results.
  if (metrics.personaLocations.size === 0) metrics.personaLocations.merge(await personaLocationsFromResults(out));
  for (const p of first.manifest.personas) await writeSnapshot(out, p.slug, metrics.personaSnapshot(p.name));
  await writeSummary(out, summary);
  await writeManifest(out, manifest);
  return { runDir: out, summary, status, notes, lines };
}
