/**
 * The names of a run directory's files. Only src/run-dir/ spells them (test/architecture.test.ts checks):
 * everyone else asks for paths here, so a renamed or versioned file is one change.
 */
import { join } from 'node:path';

export const RUN_FILES = {
  manifest: 'run.json',
  results: 'results.ndjson',
  /** `troupe bench`'s results while it runs (src/run-dir/results-tape.ts); results.ndjson replaces it at the end. */
  resultsTape: 'results.tape',
  personas: 'personas',
  summary: 'summary.json',
  csv: 'csv',
  pdf: 'report.pdf',
  html: 'report.html',
  /** Written when the run had a baseline (see src/reports/compare.ts). */
  compare: 'compare.json',
  compareCsv: 'compare.csv',
  compareMarkdown: 'compare.md',
  junit: 'junit.xml',
  markdown: 'summary.md',
} as const;

export type RunFileKey = keyof typeof RUN_FILES;

/** Absolute (or as given) paths of every file a run directory can hold. */
export type RunDirPaths = { readonly dir: string } & { readonly [K in RunFileKey]: string };

export function runDirPaths(dir: string): RunDirPaths {
  const paths = { dir } as { dir: string } & Record<RunFileKey, string>;
  for (const key of Object.keys(RUN_FILES) as RunFileKey[]) paths[key] = join(dir, RUN_FILES[key]);
  return paths;
}

/** personas/<slug>.json: the persona's snapshot. */
export const snapshotPath = (dir: string, slug: string): string => join(dir, RUN_FILES.personas, `${slug}.json`);

/** csv/<name>: one table of the CSV set. */
export const csvPath = (dir: string, name: string): string => join(dir, RUN_FILES.csv, name);

/** Whether a folder listing is a run directory's: it has run.json or summary.json. */
export function holdsRunFiles(names: readonly string[]): boolean {
  return names.includes(RUN_FILES.manifest) || names.includes(RUN_FILES.summary);
}
