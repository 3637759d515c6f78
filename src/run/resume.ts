/**
 * `troupe run --resume <run-dir>`: continue an interrupted or killed run in its own directory. The
 * results already on disk decide what is skipped and seed the metrics, so the summary and reports
 * cover the whole run; new results are appended to the same results.ndjson.
 */
import { truncate } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ResultRecord } from '../engine/records.js';
import { ExitCode, RunDirError } from '../errors.js';
import type { InputDigests, LoadedInputs } from '../inputs/types.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { RunDirectory } from '../run-dir/create.js';
import { readManifest } from '../run-dir/json-files.js';
import { runDirPaths } from '../run-dir/layout.js';
import { readResultEntries, repairTail, type TailRepair } from '../run-dir/results.js';
import { SegmentTracker, sessionStarts, type RunSegment } from '../run-dir/segments.js';
import type { RunManifest } from '../run-dir/types.js';

export interface ResumeState {
  runDir: RunDirectory;
  manifest: RunManifest;
  /** Work item ids already in results.ndjson. */
  done: Set<string>;
  /** Rebuilt from results.ndjson. */
  metrics: RunMetrics;
  /** Result lines kept (a journey writes several per work item). */
  kept: number;
  /** Visits done, per persona name (the progress display starts from them). */
  visitsByPersona: Map<string, number>;
  /** What was done to the last line of results.ndjson before appending. */
  tail: TailRepair;
  /** The sessions so far, rebuilt from the results kept; `segments()` are the stretches that ran (see run-dir/segments.ts). */
  sessions: SegmentTracker;
  /** `sessions.segments()`: `activeTimeMs(segments)` is the time the run has run so far, pauses left out. */
  segments: RunSegment[];
}

export type { TailRepair };

function refuse(message: string): never {
  throw new RunDirError(message, ExitCode.usage);
}

/** Reads and checks a run directory for resuming; refuses (exit 2) when it cannot or must not be resumed. */
export async function prepareResume(dir: string, inputs: LoadedInputs): Promise<ResumeState> {
  const path = resolve(dir);
  const manifest = await readManifest(path);
  if (manifest === null) refuse(`cannot resume ${dir}: it has no run.json (is it a run directory?)`);
  if (manifest.status === 'complete') refuse(`cannot resume ${dir}: the run is already complete; start a new run without --resume`);
  if (manifest.configHash !== inputs.configHash) {
    refuse(`cannot resume ${dir}: the inputs changed since the run started: ${describeChanges(manifest.inputDigests, inputs.inputDigests)}. Restore them, or start a new run without --resume.`);
  }

  const results = runDirPaths(path).results;
  const tail = await repairTail(results);
  const sessions = new SegmentTracker(sessionStarts(manifest));
  const { done, metrics, kept, visitsByPersona } = await replayResults(results, (personaName) => visitMayHaveManyLines(inputs, personaName), sessions);
  return { runDir: { id: manifest.runId ?? basename(path), path }, manifest, done, metrics, kept, visitsByPersona, tail, sessions, segments: sessions.segments() };
}

/** A visit writes several lines when its persona has a multi-step journey or retries are on. */
function visitMayHaveManyLines(inputs: LoadedInputs, personaName: string): boolean {
  if (inputs.config.retries) return true;
  const persona = inputs.personas.find((p) => p.name === personaName);
  const steps = persona?.journey ?? inputs.config.journey;
  return Boolean(steps && steps.length > 1);
}

/**
 * Rebuild what is done from results.ndjson. Every line counts toward the metrics (a journey writes one
 * line per step and attempt under the same work-item id). A visit's lines are written together, so only
 * the last visit in the file can be incomplete (killed between two of its lines); when its persona can
 * write several lines per visit, that visit's lines are cut from the file and the visit runs again.
 */
async function replayResults(path: string, manyLines: (persona: string) => boolean, sessions: SegmentTracker): Promise<{ done: Set<string>; metrics: RunMetrics; kept: number; visitsByPersona: Map<string, number> }> {
  const done = new Set<string>();
  const visitsByPersona = new Map<string, number>();
  const metrics = new RunMetrics();
  let kept = 0;
  // The last visit's lines are held back until the next visit starts (or the file ends).
  let group: { id: string; persona: string; start: number; lines: ResultRecord[] } | null = null;
  const flush = () => {
    if (!group) return;
    done.add(group.id);
    visitsByPersona.set(group.persona, (visitsByPersona.get(group.persona) ?? 0) + 1);
    for (const record of group.lines) {
      metrics.add(record);
      sessions.add(record.startedAt, record.latencyMs);
    }
    kept += group.lines.length;
  };
  for await (const { result, offset } of readResultEntries(path, { missingIsEmpty: true })) {
    const record = { type: 'result', ...result } as ResultRecord;
    if (group && group.id === record.id) group.lines.push(record);
    else {
      flush();
      group = { id: record.id, persona: record.persona, start: offset, lines: [record] };
    }
  }
  if (group && manyLines(group.persona)) await truncate(path, group.start);
  else flush();
  return { done, metrics, kept, visitsByPersona };
}

/** `config key concurrency; personas/sarah.yaml (changed); locations/places.csv (removed)`. */
export function describeChanges(before: InputDigests | undefined, after: InputDigests): string {
  if (!before) return 'the config or the persona or location files (this run directory predates per-file digests)';
  const changes: string[] = [];
  const keys = new Set([...Object.keys(before.config), ...Object.keys(after.config)]);
  const changedKeys = [...keys].filter((k) => before.config[k] !== after.config[k]).sort();
  if (changedKeys.length) changes.push(`config ${changedKeys.length === 1 ? 'key' : 'keys'} ${changedKeys.join(', ')}`);
  for (const label of [...new Set([...Object.keys(before.files), ...Object.keys(after.files)])].sort()) {
    const was = before.files[label];
    const now = after.files[label];
    if (was === now) continue;
    changes.push(`${label} (${was === undefined ? 'added' : now === undefined ? 'removed' : 'changed'})`);
  }
  return changes.length ? changes.join('; ') : 'the config (secret values excluded)';
}
