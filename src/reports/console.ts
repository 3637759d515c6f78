import type { ChalkInstance } from 'chalk';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { SATURATED_NOTE, worstLoopDelay, type GeneratorHealth } from '../metrics/generator.js';
import type { CheckCounts } from '../metrics/journey-metrics.js';
import type { RunSummary } from '../run-dir/types.js';
import { printable } from '../util/printable.js';
import { checkRows, checkTotals, stepRows } from './content.js';
import { completionText, textMs as formatMs, textPct as pct } from './format.js';
import { startNote } from './start-note.js';

/** The console lists this many checks, worst first; csv/checks.csv has every one. */
export const CONSOLE_MAX_CHECKS = 30;
const MAX_MESSAGE = 70;

function row(label: string, s: ScopeSummary, checks?: CheckCounts | null): string[] {
  const cells = [printable(label), String(s.requests), pct(s.successRate)];
  if (checks !== undefined) cells.push(checks ? pct(checks.passed + checks.failed === 0 ? null : checks.passed / (checks.passed + checks.failed)) : '-');
  return [...cells, formatMs(s.latency.p50), formatMs(s.latency.p95), formatMs(s.latency.p99), pct(s.cache.hitRate), `${s.cache.hit}/${s.cache.hit + s.cache.miss}`];
}

const short = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text);

/** The checks table: each check's passed, failed, % and first failure, worst first. */
export function renderChecksTable(summary: RunSummary, c: ChalkInstance): string {
  const totals = checkTotals(summary);
  if (!totals) return '';
  const rows = checkRows(summary);
  const shown = rows.slice(0, CONSOLE_MAX_CHECKS);
  const lines = alignColumns(
    [['step', 'check', 'passed', 'failed', '%', 'first failure'], ...shown.map((r) => [printable(r.step), printable(r.check), String(r.passed), String(r.failed), pct(r.passRate), r.firstFailure === null ? '' : printable(short(r.firstFailure))])],
    { left: [0, 1, 5], trimEnd: true },
  );
  const title = `checks: ${totals.passed} passed, ${totals.failed} failed (${pct(totals.passRate)} passed)`;
  const more = rows.length > shown.length ? `\n${shown.length} of ${rows.length} checks shown (worst first); all are in csv/checks.csv` : '';
  return `${c.bold(totals.failed > 0 ? c.red(title) : title)}\n${c.bold(lines[0]!)}\n${lines.slice(1).map((l, i) => (shown[i]!.failed > 0 ? c.red(l) : l)).join('\n')}${more}\n`;
}

/** The steps table: per journey step requests, errors, p50/p95/p99 and hit rate. */
export function renderStepsTable(summary: RunSummary, c: ChalkInstance): string {
  const steps = stepRows(summary);
  if (steps.length === 0) return '';
  const lines = alignColumns([
    ['step', 'requests', 'errors', 'p50', 'p95', 'p99', 'hit rate'],
    ...steps.map(([name, s]) => [printable(name), String(s.requests), String(s.errors), formatMs(s.latency.p50), formatMs(s.latency.p95), formatMs(s.latency.p99), pct(s.cache.hitRate)]),
  ]);
  return `${c.bold(lines[0]!)}\n${lines.slice(1).join('\n')}\n`;
}

/**
 * Pad a table of strings into aligned columns, two spaces apart: the `left` columns (default: the first)
 * left-aligned, the rest right-aligned; `trimEnd` drops the padding at the end of each line.
 */
export function alignColumns(rows: string[][], options: { left?: readonly number[]; trimEnd?: boolean } = {}): string[] {
  const left = options.left ?? [0];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => {
    const line = r.map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    return options.trimEnd ? line.trimEnd() : line;
  });
}

/** The end-of-run table: one row per persona and a total. Pure: summary in, text out. */
export function renderRunTable(summary: RunSummary, c: ChalkInstance): string {
  // With checks, `success` (no HTTP or transport error) stands beside the checks' pass rate, never alone.
  const checks = summary.checks;
  const totals = checkTotals(summary);
  const header = ['persona', 'requests', checks ? 'http ok' : 'success', ...(checks ? ['checks'] : []), 'p50', 'p95', 'p99', 'hit rate', 'hits'];
  const rows = [
    header,
    ...Object.entries(summary.personas).map(([name, s]) => row(name, s, checks ? (checks.personas[name] ?? null) : undefined)),
    row('all', summary.global, totals ?? undefined),
  ];
  const lines = alignColumns(rows);
  const out = [c.bold(lines[0]!), ...lines.slice(1, -1), c.bold(lines[lines.length - 1]!)];
  const g = summary.global;
  const extra: string[] = [];
  extra.push(
    `throughput ${g.rps === null ? '-' : `${g.rps.toFixed(1)} req/s`}, ${g.errors} ${totals ? 'request errors' : 'errors'}` +
      (Object.keys(g.errorCodes).length ? ` (${Object.entries(g.errorCodes).map(([k, v]) => `${k}: ${v}`).join(', ')})` : '') +
      (totals ? `, ${totals.failed} of ${totals.passed + totals.failed} checks failed` : ''),
  );
  extra.push(`cache: ${g.cache.hit} hits, ${g.cache.miss} misses, ${g.cache.unknown + g.cache.stale + g.cache.bypass} other → hit rate ${pct(g.cache.hitRate)}`);
  const { load, harnessCache, retries } = summary;
  if (load) extra.push(`open model: ${load.started} of ${load.arrivals} arrivals started at ${load.achievedRate ?? '-'}/s (target ${load.targetRate}/s), ${load.dropped} dropped at maxInFlight ${load.maxInFlight}`);
  if (retries) extra.push(`retries: ${retries.requests} retried attempt(s), ${retries.ok} succeeded (not in the figures above)`);
  for (const line of sessionLines(summary)) extra.push(line);
  if (harnessCache) extra.push(`harness cache (cache.dedupe): ${harnessCache.hits} request(s) served by troupe, not the target (${harnessCache.reused} reused, ${harnessCache.coalesced} coalesced)`);
  if (summary.serverCache) {
    const s = summary.serverCache;
    extra.push(`${s.source}: ${s.hits} hits, ${s.misses} misses → ${pct(s.hitRate)}`);
  }
  if (summary.generator) extra.push(generatorLine(summary.generator, c));
  const started = startNote(summary);
  if (started) extra.push(started);
  // A partial table must not pass for a whole one.
  const label = summary.status === 'complete' ? '' : `${c.yellow(`partial results (${summary.status}): ${completionText(summary)}; the figures cover only those`)}\n`;
  const tables = [renderStepsTable(summary, c), renderChecksTable(summary, c)].filter((t) => t !== '');
  return `${label}${out.join('\n')}\n\n${extra.join('\n')}\n${tables.map((t) => `\n${t}`).join('')}`;
}

/** troupe's own health in one line, and a warning when it was the bottleneck. */
export function generatorLine(g: GeneratorHealth, c: ChalkInstance): string {
  const d = worstLoopDelay(g);
  const cpu = (v: number | null) => (v === null ? '-' : `${Math.round(v)}%`);
  const workers = g.workers?.length ? `, ${g.workers.length} workers busy ${g.workers.map((w) => cpu(w.busyPct.mean)).join('/')}` : '';
  const line = `generator: event-loop delay p50 ${formatMs(d.p50)}, p99 ${formatMs(d.p99)}, max ${formatMs(d.max)}; CPU ${cpu(g.cpuPct.mean)} of a core (peak ${cpu(g.cpuPct.max)})${workers}`;
  if (!g.saturated) return line;
  return `${line}
${c.yellow(c.bold(`warning: the load generator was saturated: ${g.reasons.join('; ')}; ${SATURATED_NOTE}`))}`;
}

/** One line per phase that ran: its sessions, requests and failures, apart from the figures above. */
export function sessionLines(summary: Pick<RunSummary, 'setup' | 'teardown'>): string[] {
  const lines: string[] = [];
  for (const phase of ['setup', 'teardown'] as const) {
    const s = summary[phase];
    if (!s) continue;
    const retried = s.attempts - s.sessions;
    const parts = [
      `${s.sessions} session(s)${s.run ? ' incl. the run-level one' : ''}`,
      `${s.failed} failed${s.stopped ? ` (${s.stopped} stopped)` : ''}${retried > 0 ? `, ${retried} retried attempt(s)` : ''}`,
      `${s.requests} request(s), ${s.errors} error(s), p95 ${formatMs(s.latency.p95)}`,
    ];
    lines.push(`${phase}: ${parts.join('; ')} (not in the figures above)${s.firstFailure ? `; first failure: ${printable(s.firstFailure)}` : ''}`);
  }
  return lines;
}

/** After an interrupt: how much of the plan was done, and the command that continues the run. */
export function renderInterruption(summary: Pick<RunSummary, 'load' | 'steps' | 'planned' | 'completed'>, resumeCommand: string, c: ChalkInstance): string {
  return `${c.yellow(c.bold(`interrupted: ${completionText(summary)}`))}\nresume with: ${resumeCommand}\n`;
}
