/**
 * `troupe run --resume <run-dir>`: continue an interrupted or killed run in its own directory. The
 * results already on disk decide what is skipped and seed the metrics, so the summary and reports
 * cover the whole run; new results are appended to the same results.ndjson.
 */
import { open, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ResultRecord } from '../engine/records.js';
import { ExitCode, RunDirError } from '../errors.js';
import type { InputDigests, LoadedInputs } from '../fixtures/types.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { RUN_FILES, type RunManifest } from './files.js';
import { readResults } from './results-reader.js';
import type { RunDirectory } from './run-dir.js';

export interface ResumeState {
  runDir: RunDirectory;
  manifest: RunManifest;
  /** Work item ids already in results.ndjson. */
  done: Set<string>;
  /** Rebuilt from results.ndjson. */
  metrics: RunMetrics;
  /** Result lines kept (duplicates of an id count once). */
  kept: number;
  /** What was done to the last line of results.ndjson before appending. */
  tail: TailRepair;
}

export type TailRepair = 'intact' | 'cut-off line dropped' | 'newline added';

function refuse(message: string): never {
  throw new RunDirError(message, ExitCode.usage);
}

/** Reads and checks a run directory for resuming; refuses (exit 2) when it cannot or must not be resumed. */
export async function prepareResume(dir: string, inputs: LoadedInputs): Promise<ResumeState> {
  const path = resolve(dir);
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(await readFile(join(path, RUN_FILES.manifest), 'utf8')) as RunManifest;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it has no run.json (is it a run directory?)' : `its run.json cannot be read (${(err as Error).message})`;
    refuse(`cannot resume ${dir}: ${why}`);
  }
  if (manifest.status === 'complete') refuse(`cannot resume ${dir}: the run is already complete; start a new run without --resume`);
  if (manifest.configHash !== inputs.configHash) {
    refuse(`cannot resume ${dir}: the inputs changed since the run started: ${describeChanges(manifest.inputDigests, inputs.inputDigests)}. Restore them, or start a new run without --resume.`);
  }

  const results = join(path, RUN_FILES.results);
  const tail = await repairTail(results);
  const done = new Set<string>();
  const metrics = new RunMetrics();
  for await (const line of readResults(results)) {
    if (done.has(line.id)) continue;
    done.add(line.id);
    metrics.add({ type: 'result', ...line } as ResultRecord);
  }
  return { runDir: { id: manifest.runId ?? basename(path), path }, manifest, done, metrics, kept: done.size, tail };
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

/**
 * Make results.ndjson safe to append to: a kill may have cut its last line. A cut-off line is dropped
 * (its work item runs again); a whole last line without its newline gets one.
 */
export async function repairTail(path: string): Promise<TailRepair> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'intact';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return 'intact';
    const chunk = Buffer.alloc(64 * 1024);
    let pos = size;
    let lastNewline = -1;
    while (pos > 0 && lastNewline < 0) {
      const length = Math.min(chunk.length, pos);
      pos -= length;
      await handle.read(chunk, 0, length, pos);
      const i = chunk.subarray(0, length).lastIndexOf(10);
      if (i >= 0) lastNewline = pos + i;
    }
    const tailStart = lastNewline + 1;
    if (tailStart === size) return 'intact';
    const tail = Buffer.alloc(size - tailStart);
    await handle.read(tail, 0, tail.length, tailStart);
    try {
      JSON.parse(tail.toString('utf8'));
      await handle.write('\n', size);
      return 'newline added';
    } catch {
      await handle.truncate(tailStart);
      return 'cut-off line dropped';
    }
  } finally {
    await handle.close();
  }
}
