/**
 * `troupe report` and the end of `troupe run`: a run directory in, report files out. Formats are registered
 * by name; each builder reads only the run directory, never the target.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { RUN_FILES } from '../run/files.js';
import { loadRunFiles, reportStatus, statusNotes, type RunData } from './run-data.js';
import { scanResults, type ResultSink } from './scan.js';
import { hasCutOffTail } from './tail.js';
import { readComparison } from './compare.js';

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
};

export const DEFAULT_FORMATS = ['csv', 'pdf'];

/** `csv,pdf` → ['csv', 'pdf']; an unknown name lists the valid ones. */
export function parseFormats(value: string): string[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--format: expected one or more of ${Object.keys(REPORT_FORMATS).join(', ')}, got "${value}"`);
  for (const name of names) {
    if (!(name in REPORT_FORMATS)) throw new UsageError(`--format: unknown format "${name}"; valid formats: ${Object.keys(REPORT_FORMATS).join(', ')}`);
  }
  return [...new Set(names)];
}

export interface BuildResult {
  status: RunData['status'];
  notes: string[];
  files: string[];
}

export async function buildReports(dir: string, formats: string[] = DEFAULT_FORMATS): Promise<BuildResult> {
  const builders = await Promise.all(parseFormats(formats.join(',')).map((name) => REPORT_FORMATS[name]!()));
  const { manifest, summary, personaLocations } = await loadRunFiles(dir);
  const cutOff = await hasCutOffTail(join(dir, RUN_FILES.results));
  const status = reportStatus(manifest, summary, cutOff);
  const notes = statusNotes({ status, manifest, summary }, { truncatedTail: cutOff });
  const base = { dir, manifest, summary, personaLocations, status, notes, comparison: await readComparison(dir) };

  const sinks = [];
  try {
    for (const b of builders) if (b.openSink) sinks.push(await b.openSink(base));
    const facts = await scanResults(dir, sinks, summary.load?.phases);
    for (const sink of sinks.splice(0)) await sink.close();
    const data: RunData = { ...base, facts };
    const files: string[] = [];
    for (const b of builders) files.push(...(await b.build(data)));
    return { status, notes: base.notes, files };
  } finally {
    for (const sink of sinks) await sink.abort();
  }
}
