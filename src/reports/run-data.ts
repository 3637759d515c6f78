/**
 * Everything a report needs, read from a run directory alone: the manifest, the summary and the facts
 * that only results.ndjson holds (errors with first/last time seen, the per-second series).
 */
import { RunDirError } from '../errors.js';
import { runDirPaths } from '../run-dir/layout.js';
import type { RunManifest, RunStatus, RunSummary } from '../run-dir/types.js';
import { readManifest, readSummaryParts, type PersonaLocations } from '../run-dir/json-files.js';
import { personaLocationsOf } from '../run-dir/persona-locations.js';
import { rebuildSummary } from '../run-dir/rebuild.js';
import type { ArrivalFacts } from './arrivals.js';
import type { ErrorRow } from './errors-table.js';
import type { SecondRow } from './timeseries.js';
import type { StepLocationFacts } from './step-locations.js';
import type { Comparison } from './compare.js';
import { completionText } from './format.js';

export interface RunFacts {
  /** Result lines read from results.ndjson. */
  lines: number;
  /** The last line of results.ndjson was cut off (the process was killed mid-write) and skipped. */
  truncatedTail: boolean;
  errors: ErrorRow[];
  timeseries: SecondRow[];
  /** Open model only: arrivals per phase and per persona, from results.ndjson. */
  arrivals?: ArrivalFacts;
  /** Journey runs only: the slowest step × location pairs (see step-locations.ts). */
  stepLocations?: StepLocationFacts;
}

export type { PersonaLocations };

export interface RunFiles {
  manifest: RunManifest | null;
  /** summary.json, except `personaLocations` (empty here: read it through `personaLocations`). */
  summary: RunSummary;
  personaLocations: PersonaLocations;
}

export interface RunData extends RunFiles {
  dir: string;
  /** `complete`, or why the numbers are partial: a run that never finished reads as `interrupted`. */
  status: Exclude<RunStatus, 'running'>;
  /** Sentences every artifact repeats when the run is partial. */
  notes: string[];
  facts: RunFacts;
  /** compare.json: the comparison with a baseline, when the run had one. */
  comparison: Comparison | null;
}

/**
 * run.json and summary.json. A run killed before it wrote summary.json gets one rebuilt from
 * results.ndjson (the same aggregates the run would have written), so its reports still build.
 */
export async function loadRunFiles(dir: string): Promise<RunFiles> {
  const [manifest, parts] = await Promise.all([readManifest(dir), readSummaryParts(runDirPaths(dir).summary)]);
  if (manifest === null && parts === null) {
    throw new RunDirError(`${dir} is not a run directory: it has neither run.json nor summary.json`);
  }
  // Persona × location figures come from results.ndjson, unless an older summary.json still carries them.
  if (parts) return { manifest, summary: parts.summary, personaLocations: parts.personaLocations ?? personaLocationsOf(dir) };
  if (manifest === null) throw new RunDirError(`${dir} has no summary.json and no run.json to rebuild it with`);
  return { manifest, summary: await rebuildSummary(dir, manifest), personaLocations: personaLocationsOf(dir) };
}

/** The status reports show: a manifest still saying `running` means the process died before it could finish. */
export function reportStatus(manifest: RunManifest | null, summary: RunSummary, truncatedTail: boolean): RunData['status'] {
  const status = manifest?.status === 'interrupted' || manifest?.status === 'failed' ? manifest.status : summary.status;
  if (status === 'running' || (status === 'complete' && (truncatedTail || manifest?.status === 'running'))) return 'interrupted';
  return status;
}

export function statusNotes(data: Pick<RunData, 'status' | 'manifest' | 'summary'>, facts: Pick<RunFacts, 'truncatedTail'>): string[] {
  const notes: string[] = [];
  if (data.status !== 'complete') {
    notes.push(`This run is ${data.status.toUpperCase()}: ${completionText(data.summary)}; the figures cover only those.`);
    if (data.manifest?.reason) notes.push(`Reason: ${data.manifest.reason}.`);
  }
  if (facts.truncatedTail) notes.push('The last line of results.ndjson was cut off (the process was killed while writing it) and is not counted.');
  return notes;
}
