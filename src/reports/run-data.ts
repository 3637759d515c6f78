/**
 * Everything a report needs, read from a run directory alone: the manifest, the summary and the facts
 * that only results.ndjson holds (errors with first/last time seen, the per-second series).
 */
import { access, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunDirError } from '../errors.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { RUN_FILES, type RunManifest, type RunStatus, type RunSummary } from '../run/files.js';
import type { ReadResultsReport } from '../run/results-reader.js';
import type { ArrivalFacts } from './arrivals.js';
import type { ErrorRow } from './errors-table.js';
import { objectMembers, parseMember, type Member } from './json-members.js';
import { readResultLines } from './ndjson-lines.js';
import type { SecondRow } from './timeseries.js';
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
}

/** persona → (location → light scope), one persona at a time. */
export type PersonaLocations = () => AsyncIterable<[string, Record<string, ScopeSummary>]>;

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

const exists = (path: string) => access(path).then(() => true, () => false);

const unreadable = (path: string, err: unknown) =>
  new RunDirError(`${path}: cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`);

/**
 * run.json and summary.json. A run killed before it wrote summary.json gets one rebuilt from
 * results.ndjson (the same aggregates the run would have written), so its reports still build.
 */
export async function loadRunFiles(dir: string): Promise<RunFiles> {
  const manifestPath = join(dir, RUN_FILES.manifest);
  const summaryPath = join(dir, RUN_FILES.summary);
  const resultsPath = join(dir, RUN_FILES.results);
  const [hasManifest, hasSummary, hasResults] = await Promise.all([exists(manifestPath), exists(summaryPath), exists(resultsPath)]);
  if (!hasManifest && !hasSummary) {
    throw new RunDirError(`${dir} is not a run directory: it has neither ${RUN_FILES.manifest} nor ${RUN_FILES.summary}`);
  }
  let manifest: RunManifest | null = null;
  if (hasManifest) {
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RunManifest;
    } catch (err) {
      throw unreadable(manifestPath, err);
    }
  }
  if (hasSummary) return { manifest, ...(await readSummary(summaryPath)) };
  if (!hasResults || manifest === null) throw new RunDirError(`${dir} has no ${RUN_FILES.summary} and no ${RUN_FILES.results} to rebuild it from`);
  const summary = await rebuildSummary(resultsPath, manifest);
  const pairs = summary.personaLocations;
  return {
    manifest,
    summary: { ...summary, personaLocations: {} },
    personaLocations: async function* () {
      yield* Object.entries(pairs);
    },
  };
}

/**
 * summary.json member by member: everything but `personaLocations` now; of that, only where each persona's
 * part lies, read and parsed one persona at a time when the locations table is written (it is most of the
 * file: ~97 MB for 100 × 1,000 scopes, ~265 MB of heap if parsed at once).
 */
async function readSummary(path: string): Promise<Omit<RunFiles, 'manifest'>> {
  const summary: Record<string, unknown> = {};
  const spans: Member[] = [];
  try {
    const buf = await readFile(path);
    for (const m of objectMembers(buf)) {
      if (m.key === 'personaLocations') spans.push(...objectMembers(buf, m.start));
      else summary[m.key] = parseMember(buf, m);
    }
  } catch (err) {
    throw unreadable(path, err);
  }
  summary.personaLocations = {};
  return {
    summary: summary as unknown as RunSummary,
    personaLocations: async function* () {
      const handle = await open(path, 'r');
      try {
        for (const m of spans) {
          const part = Buffer.alloc(m.end - m.start);
          await handle.read(part, 0, part.length, m.start);
          yield [m.key, JSON.parse(part.toString('utf8')) as Record<string, ScopeSummary>];
        }
      } finally {
        await handle.close();
      }
    },
  };
}

async function rebuildSummary(resultsPath: string, manifest: RunManifest): Promise<RunSummary> {
  const metrics = new RunMetrics();
  const report: ReadResultsReport = { lines: 0, truncatedTail: false };
  for await (const line of readResultLines(resultsPath, report)) metrics.add({ type: 'result', ...line });
  const m = metrics.toSummary();
  const start = Date.parse(manifest.startedAt);
  const end = m.global.endedAt ?? start;
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
    completed: report.lines,
    concurrency: 0,
    ...m,
  };
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
