/**
 * `troupe trend`'s inputs and outputs: run directories (or summary.json files, or folders of run
 * directories such as reports/, or a history folder of summary files) in; trend.csv, trend.pdf and
 * trend.html out, or those of them `--format` names.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { holdsRunFiles } from '../run-dir/layout.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readSummary } from './compare.js';
import { trendCsv, trendValues, type TrendOptions, type TrendPoint, type TrendRun } from './trend.js';
import type { CompareMetric } from '../inputs/compare-metrics.js';
import type { ScopeSummary } from '../metrics/aggregate.js';

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
  // A history folder (`troupe run --history DIR`, CI artifacts): summary files side by side.
  const runs: string[] = entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => join(path, e.name));
  for (const child of children) {
    if (holdsRunFiles(await readdir(child))) runs.push(child);
  }
  return runs;
}

const TRACKED: Record<string, CompareMetric> = { p50: 'p50', p95: 'p95', p99: 'p99', error_rate: 'error_rate', cache_hit_rate: 'cache_hit_rate', rps: 'rps' };

/** The global thresholds a run was judged by, on metrics the trend tracks: their limits become lines. */
function limitsOf(summary: object): Partial<Record<CompareMetric, number>> {
  const results = (summary as { thresholds?: { results?: { scope: string; metric: string; limit: number }[] } }).thresholds?.results ?? [];
  const limits: Partial<Record<CompareMetric, number>> = {};
  for (const r of results) if (r.scope === 'global' && TRACKED[r.metric]) limits[TRACKED[r.metric]!] = r.limit;
  return limits;
}

/** `persona`: the figures of that persona instead of the whole run (a run without it has none). */
export async function loadTrendRuns(paths: readonly string[], options: { persona?: string } = {}): Promise<TrendRun[]> {
  const sources = (await Promise.all(paths.map(expand))).flat();
  if (sources.length < 2) throw new UsageError(`troupe trend needs at least 2 runs, found ${sources.length} in ${paths.join(', ')}`);
  return Promise.all(
    sources.map(async (source) => {
      const summary = await readSummary(source, 'run');
      const scope = options.persona === undefined ? summary.global : summary.personas[options.persona];
      const values = scope ? trendValues(scope as ScopeSummary) : ({ p50: null, p95: null, p99: null, error_rate: null, cache_hit_rate: null, rps: null } as TrendRun['values']);
      return { runId: summary.runId ?? source, name: summary.name ?? '', startedAt: summary.startedAt ?? '', source, requests: scope?.requests ?? 0, values, limits: options.persona === undefined ? limitsOf(summary) : {} };
    }),
  );
}

/** What `troupe trend --format` may name, in the order the files are written; all by default. */
export const TREND_FORMATS: readonly string[] = ['csv', 'pdf', 'html'];

/**
 * The chosen files (all by default), in TREND_FORMATS order. The PDF and the page load their renderers
 * (pdfkit and its fonts) only when chosen: a trend.csv alone costs a fraction of a PDF's ~1 CPU-s.
 */
export async function writeTrendFiles(outDir: string, points: readonly TrendPoint[], options: TrendOptions, formats: readonly string[] = TREND_FORMATS): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  if (formats.includes('csv')) {
    const csv = join(outDir, 'trend.csv');
    await writeFile(csv, trendCsv(points));
    files.push(csv);
  }
  if (formats.includes('pdf')) {
    const pdf = join(outDir, 'trend.pdf');
    const { renderTrendPdf } = await import('./trend-pdf.js');
    await writeFileAtomic(pdf, await renderTrendPdf(points, options));
    files.push(pdf);
  }
  if (formats.includes('html')) {
    const html = join(outDir, 'trend.html');
    const { renderTrendHtml } = await import('./trend-html.js');
    await writeFileAtomic(html, renderTrendHtml(points, options));
    files.push(html);
  }
  return files;
}
