/**
 * summary.md: the run's verdict, thresholds, regressions and per-persona numbers as GitHub-flavoured
 * Markdown, for a job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment.
 */
import { appendFile, stat, writeFile } from 'node:fs/promises';
import type { ScopeSummary } from '../metrics/aggregate.js';
import type { RunSummary } from '../run-dir/types.js';
import { comparisonRows, formatTolerance, type Comparison } from './compare.js';
import { printable } from '../util/printable.js';
import { completionText, textMs as ms, textPct as pct } from './format.js';

/** GitHub rejects a step summary over 1 MiB; stay clearly below. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024 - 4096;

/** Table cells cannot hold a raw pipe or a newline. */
const cell = (text: string) => printable(text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));

function table(header: string[], rows: string[][], align: string[]): string {
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function scopeRow(label: string, s: ScopeSummary): string[] {
  return [label, String(s.requests), pct(s.successRate), ms(s.latency.p50), ms(s.latency.p95), ms(s.latency.p99), pct(s.cache.hitRate)];
}

/** Pure: the comparison alone, for `troupe compare`. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  return `${comparisonSection(comparison)}\n`;
}

function comparisonSection(comparison: Comparison): string {
  const cells = comparisonRows(comparison);
  // Every regression, every global row, and other scopes' judged rows: not-judged rows are in compare.csv.
  const rows = cells.filter((c, i) => c.scope === 'global' || comparison.rows[i]!.judged);
  const hidden = cells.length - rows.length;
  const b = comparison.baseline;
  const head = comparison.passed ? '✅ no regressions' : `❌ ${comparison.regressions} regression${comparison.regressions === 1 ? '' : 's'}`;
  const lines = [
    `### Compared with baseline ${b.runId ? `\`${b.runId}\`` : cell(b.source)}: ${head}`,
    '',
    `Latency and throughput tolerance ${formatTolerance(comparison.options.maxRegression, 'relative')}; scopes with fewer than ${comparison.options.minSamples} requests are shown but not judged.`,
    '',
    table(
      ['scope', 'metric', 'baseline', 'current', 'change', 'tolerance', 'verdict'],
      rows.map((r) => [r.scope, r.metric, r.baseline, r.current, `${r.change}${r.direction === 'worse' || r.direction === 'better' ? ` (${r.direction})` : ''}`, r.tolerance, r.verdict === 'regression' ? '❌ regression' : r.verdict === 'ok' ? '✅ ok' : 'not judged']),
      ['---', '---', '---:', '---:', '---:', '---:', '---'],
    ),
  ];
  if (hidden > 0) lines.push('', `${hidden} rows of scopes below the sample minimum or missing on one side are in compare.csv.`);
  return lines.join('\n');
}

/** Pure: the Markdown summary of a run. */
export function renderMarkdown(summary: RunSummary, comparison?: Comparison | null): string {
  const verdict = summary.thresholds;
  const failed = (verdict && !verdict.passed) || (comparison && !comparison.passed);
  const status = summary.status !== 'complete' ? `⚠️ ${summary.status}` : failed ? '❌ failed' : '✅ passed';
  const g = summary.global;
  const out = [
    `## troupe run \`${summary.runId}\`: ${status}`,
    '',
    `Target ${cell(summary.target)} · ${completionText(summary)} in ${(summary.durationMs / 1000).toFixed(1)} s · ` +
      `${g.rps === null ? '-' : g.rps.toFixed(1)} req/s · ${g.errors} errors (${pct(g.requests ? g.errors / g.requests : null)}) · cache hit rate ${pct(g.cache.hitRate)}`,
  ];
  if (verdict && verdict.results.length > 0) {
    out.push(
      '',
      `### Thresholds: ${verdict.passed ? '✅ all passed' : `❌ ${verdict.results.filter((r) => !r.passed).length} of ${verdict.results.length} failed`}`,
      '',
      table(['', 'threshold', 'result'], verdict.results.map((r) => [r.passed ? '✅' : '❌', `\`${r.expression}\``, r.message]), ['---', '---', '---']),
    );
  }
  if (comparison) out.push('', comparisonSection(comparison));
  out.push(
    '',
    '### Personas',
    '',
    table(
      ['persona', 'requests', 'success', 'p50', 'p95', 'p99', 'hit rate'],
      [...Object.entries(summary.personas).map(([name, s]) => scopeRow(name, s)), scopeRow('**all**', g)],
      ['---', '---:', '---:', '---:', '---:', '---:', '---:'],
    ),
  );
  return `${out.join('\n')}\n`;
}

/** Cuts Markdown at a line boundary so it fits `maxBytes`, saying where the rest is. */
export function limitMarkdown(markdown: string, maxBytes: number, rest = 'summary.md in the run directory'): string {
  if (Buffer.byteLength(markdown) <= maxBytes) return markdown;
  const note = `\n\n_(truncated: the full summary is ${rest})_\n`;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(note));
  const cut = Buffer.from(markdown).subarray(0, budget).toString('utf8').replace(/\uFFFD$/, '');
  const lastLine = cut.lastIndexOf('\n');
  return `${lastLine > 0 ? cut.slice(0, lastLine) : ''}${note}`;
}

/**
 * Writes summary.md and, when GITHUB_STEP_SUMMARY names a file, appends to it, keeping that file
 * under GitHub's 1 MiB limit. Returns a warning to print, or null.
 */
export async function writeMarkdown(path: string | null, markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (path !== null) await writeFile(path, markdown);
  const stepSummary = env.GITHUB_STEP_SUMMARY;
  if (!stepSummary) return null;
  const used = await stat(stepSummary).then((s) => s.size, () => 0);
  const room = STEP_SUMMARY_LIMIT - used;
  const elsewhere = path ?? 'the console output';
  if (room < 1024) return `GITHUB_STEP_SUMMARY is nearly full (${used} bytes); the summary is only in ${elsewhere}`;
  await appendFile(stepSummary, `${limitMarkdown(markdown, room, elsewhere)}\n`);
  return null;
}
