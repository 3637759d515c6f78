/**
 * `troupe report` and the end of `troupe run`: a run directory in, report files out. Formats are registered
 * by name; each builder reads only the run directory, never the target.
 */
import { ArtifactError } from '../errors.js';
import { parseFormatList } from '../inputs/format-list.js';
import { runDirPaths } from '../run-dir/layout.js';
import { loadRunFiles, reportStatus, statusNotes, type RunData } from './run-data.js';
import { scanResults, type ResultSink } from './scan.js';
import { endsInCutOffLine } from '../run-dir/results.js';
import { readComparison } from './compare.js';
import { hasJourneySteps } from './content.js';
import { StepLocationTally } from './step-locations.js';
import { artifactName } from './artifact-name.js';

/** Rows of the slowest step × location pairs the reports may show (the PDF shows 25, the HTML more). */
const STEP_LOCATION_ROWS = 200;

export interface FormatBuilder {
  /** Optional per-result sink fed during the single pass over results.ndjson (requests.csv). */
  openSink?(data: Omit<RunData, 'facts'>): Promise<ResultSink & { close(): Promise<void>; abort(): Promise<void> }>;
  /** Writes the format's files; returns their paths. */
  build(data: RunData): Promise<string[]>;
}

/** Builders are loaded on demand, so that a format's dependencies load only when it is built. */
export const REPORT_FORMATS: Record<string, () => Promise<FormatBuilder>> = {
  csv: async () => (await import('./csv/index.js')).csvFormat,
  pdf: async () => (await import('./pdf/index.js')).pdfFormat,
  html: async () => (await import('./html/index.js')).htmlFormat,
};

export const DEFAULT_FORMATS = ['csv', 'pdf'];

/** `csv,pdf` → ['csv', 'pdf']; an unknown name lists the valid ones. */
export function parseFormats(value: string): string[] {
  return parseFormatList(value, Object.keys(REPORT_FORMATS));
}

export interface BuildResult {
  status: RunData['status'];
  notes: string[];
  files: string[];
  /** Formats that could not be written (the others were): the command says which and exits 4. */
  failed: ArtifactError[];
}

/** How a format's files are named to the user when they could not be written. */
export { artifactName };

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function buildReports(dir: string, formats: string[] = DEFAULT_FORMATS): Promise<BuildResult> {
  const names = parseFormats(formats.join(','));
  const builders = await Promise.all(names.map(async (name) => ({ name, builder: await REPORT_FORMATS[name]!() })));
  const { manifest, summary, personaLocations } = await loadRunFiles(dir);
  const cutOff = await endsInCutOffLine(runDirPaths(dir).results);
  const status = reportStatus(manifest, summary, cutOff);
  const notes = statusNotes({ status, manifest, summary }, { truncatedTail: cutOff });
  const base = { dir, manifest, summary, personaLocations, status, notes, comparison: await readComparison(dir) };

  // One format that cannot be written (a full disk, a file where csv/ must go) does not stop the others.
  const failed = new Map<string, ArtifactError>();
  const fail = (name: string, err: unknown) => {
    if (!failed.has(name)) failed.set(name, new ArtifactError(artifactName(dir, name), reason(err), { cause: err }));
  };
  const sinks = new Map<string, Awaited<ReturnType<NonNullable<FormatBuilder['openSink']>>>>();
  try {
    for (const { name, builder } of builders) {
      if (!builder.openSink) continue;
      try {
        sinks.set(name, await builder.openSink(base));
      } catch (err) {
        fail(name, err);
      }
    }
    const guarded: ResultSink[] = [...sinks].map(([name, sink]) => ({
      async add(r) {
        if (failed.has(name)) return;
        try {
          await sink.add(r);
        } catch (err) {
          fail(name, err);
        }
      },
    }));
    const stepLocations = hasJourneySteps(summary) ? new StepLocationTally() : null;
    // A damaged results.ndjson is not an artifact failure: it throws (exit 2) from here.
    const facts = await scanResults(dir, stepLocations ? [...guarded, stepLocations] : guarded, summary.load?.phases, summary.segments);
    if (stepLocations) facts.stepLocations = stepLocations.facts(STEP_LOCATION_ROWS);
    for (const [name, sink] of [...sinks]) {
      sinks.delete(name);
      if (failed.has(name)) await sink.abort().catch(() => undefined);
      else await sink.close().catch((err: unknown) => fail(name, err));
    }
    const data: RunData = { ...base, facts };
    const files: string[] = [];
    for (const { name, builder } of builders) {
      if (failed.has(name)) continue;
      try {
        files.push(...(await builder.build(data)));
      } catch (err) {
        fail(name, err);
      }
    }
    return { status, notes: base.notes, files, failed: [...failed.values()] };
  } finally {
    for (const sink of sinks.values()) await sink.abort().catch(() => undefined);
  }
}
