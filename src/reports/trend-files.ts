/**
 * `troupe trend`'s inputs and outputs: run directories (or summary.json files, or folders of run
 * directories such as reports/) in; trend.csv and trend.pdf out.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { holdsRunFiles } from '../run-dir/layout.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readSummary } from './compare.js';
import { trendCsv, trendValues, type TrendOptions, type TrendPoint, type TrendRun } from './trend.js';
import { renderTrendPdf } from './trend-pdf.js';

/** A path that is a folder holding run directories (but is not one itself) stands for all of them. */
async function expand(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`${JSON.stringify(path)}: not found; expected run directories, summary.json files or a folder of run directories`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  if (holdsRunFiles(entries.map((e) => e.name))) return [path];
  const children = entries.filter((e) => e.isDirectory()).map((e) => join(path, e.name));
  const runs: string[] = [];
  for (const child of children) {
    if (holdsRunFiles(await readdir(child))) runs.push(child);
  }
  return runs;
}

export async function loadTrendRuns(paths: readonly string[]): Promise<TrendRun[]> {
  const sources = (await Promise.all(paths.map(expand))).flat();
  if (sources.length < 2) throw new UsageError(`troupe trend needs at least 2 runs, found ${sources.length} in ${paths.join(', ')}`);
  return Promise.all(
    sources.map(async (source) => {
      const summary = await readSummary(source, 'run');
      return { runId: summary.runId ?? source, name: summary.name ?? '', startedAt: summary.startedAt ?? '', source, requests: summary.global.requests, values: trendValues(summary.global) };
    }),
  );
}

export async function writeTrendFiles(outDir: string, points: readonly TrendPoint[], options: TrendOptions): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const csv = join(outDir, 'trend.csv');
  const pdf = join(outDir, 'trend.pdf');
  await writeFile(csv, trendCsv(points));
  await writeFileAtomic(pdf, await renderTrendPdf(points, options));
  return [csv, pdf];
}
