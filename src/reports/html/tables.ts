/**
 * The HTML report's tables as data: each cell carries the text shown and the value it sorts by, so
 * the page's script sorts and filters without parsing formatted numbers. Pure: run data in, rows out.
 */
import type { ScopeSummary } from '../../metrics/aggregate.js';
import { fmtDate, fmtInt, fmtMs, fmtPct, fmtRps } from '../format.js';
import { checkRows, stepRows } from '../content.js';
import type { RunData } from '../run-data.js';

export type Cell = { t: string; v: number | string | null };
export interface TableData {
  id: string;
  title: string;
  /** Column headers; `numeric` columns sort descending on the first click. */
  columns: { label: string; numeric: boolean }[];
  rows: Cell[][];
  /** A total row, kept last whatever the sort (`<tfoot>`). */
  footer?: Cell[];
  /** Shown above the table, e.g. that only the slowest rows are listed. */
  note?: string;
  /** Shown instead of a table without rows. */
  empty?: string;
}

/** At most this many rows per table: a 1M-request run over 100,000 locations stays a page a browser opens. */
export const HTML_TABLE_MAX_ROWS = 2000;

const num = (v: number | null | undefined, text: (v: number | null | undefined) => string): Cell => ({ t: text(v), v: v ?? null });
const str = (s: string): Cell => ({ t: s, v: s });
const int = (v: number): Cell => ({ t: fmtInt(v), v });

function scopeColumns(first: string) {
  return [first, 'Requests', 'Success', 'Errors', 'Throughput', 'p50', 'p95', 'p99', 'Hit rate'].map((label, i) => ({ label, numeric: i > 0 }));
}

function scopeRow(name: string, s: ScopeSummary): Cell[] {
  return [str(name), int(s.requests), num(s.successRate, fmtPct), int(s.errors), num(s.rps, fmtRps), num(s.latency.p50, fmtMs), num(s.latency.p95, fmtMs), num(s.latency.p99, fmtMs), num(s.cache.hitRate, fmtPct)];
}

/** The rows of a scope map, slowest first when there are more than fit. */
function scopeTable(id: string, title: string, first: string, scopes: Record<string, ScopeSummary>, csv: string): TableData {
  const entries = Object.entries(scopes).sort((a, b) => (b[1].latency.p95 ?? 0) - (a[1].latency.p95 ?? 0));
  const shown = entries.slice(0, HTML_TABLE_MAX_ROWS);
  return {
    id,
    title,
    columns: scopeColumns(first),
    rows: shown.map(([name, s]) => scopeRow(name, s)),
    ...(shown.length < entries.length ? { note: `The ${fmtInt(shown.length)} slowest by p95 of ${fmtInt(entries.length)}; ${csv} has all of them.` } : {}),
  };
}

export function reportTables(data: RunData): TableData[] {
  const { summary, facts } = data;
  const personas = scopeTable('personas', 'Personas', 'Persona', summary.personas, 'csv/personas.csv');
  personas.footer = scopeRow('All personas', summary.global);
  const tables: TableData[] = [personas, scopeTable('locations', 'Locations', 'Location', summary.locations, 'csv/locations.csv')];
  const perStep = facts.stepLocations;
  if (perStep) {
    tables.push({
      id: 'step-locations',
      title: 'Slowest locations by step',
      columns: ['Step', 'Location', 'Requests', 'Errors', 'p50', 'p95', 'p99', 'Hit rate'].map((label, i) => ({ label, numeric: i > 1 })),
      rows: perStep.rows.map((r) => [str(r.step), str(r.location), int(r.requests), int(r.errors), num(r.p50, fmtMs), num(r.p95, fmtMs), num(r.p99, fmtMs), num(r.hitRate, fmtPct)]),
      note: `Step × location pairs, the ${fmtInt(perStep.rows.length)} slowest by p95 of ${fmtInt(perStep.pairs)}${perStep.capped ? ' (only the first pairs seen are ranked)' : ''}.`,
    });
  }
  const steps = stepRows(summary);
  if (steps.length > 0) tables.push(scopeTable('steps', 'Journey steps', 'Step', Object.fromEntries(steps), 'csv/steps.csv'));
  if (summary.checks) {
    const rows: Cell[][] = checkRows(summary).map((r) => [str(r.step), str(r.check), int(r.passed), int(r.failed), num(r.passRate, fmtPct), str(r.firstFailure ?? '–')]);
    tables.push({ id: 'checks', title: 'Checks', columns: ['Step', 'Check', 'Passed', 'Failed', 'Pass rate', 'First failure'].map((label, i) => ({ label, numeric: i > 1 && i < 5 })), rows });
  }
  const totalErrors = facts.errors.reduce((n, e) => n + e.count, 0);
  tables.push({
    id: 'errors',
    title: 'Errors',
    empty: 'No errors: every request succeeded.',
    columns: ['Code', 'HTTP', 'Count', 'Share', 'First seen', 'Example message'].map((label, i) => ({ label, numeric: i === 1 || i === 2 || i === 3 })),
    rows: facts.errors.slice(0, HTML_TABLE_MAX_ROWS).map((e) => [
      str(e.code), e.status === null ? { t: '–', v: null } : int(e.status), int(e.count), num(totalErrors === 0 ? null : e.count / totalErrors, fmtPct), { t: fmtDate(new Date(e.firstSeen).toISOString()), v: e.firstSeen }, str(e.example || '–'),
    ]),
  });
  if (summary.thresholds) {
    tables.push({
      id: 'thresholds',
      title: 'Thresholds',
      columns: ['Threshold', 'Result', 'Measured'].map((label) => ({ label, numeric: false })),
      rows: summary.thresholds.results.map((r) => [str(r.expression), str(r.passed ? 'pass' : 'FAIL'), str(r.message)]),
    });
  }
  if (data.comparison) {
    tables.push({
      id: 'comparison',
      title: `Comparison with ${data.comparison.baseline.runId ?? data.comparison.baseline.source}`,
      columns: ['Scope', 'Metric', 'Baseline', 'Current', 'Change', 'Verdict'].map((label, i) => ({ label, numeric: i >= 2 && i <= 4 })),
      rows: data.comparison.rows.map((r) => [
        str(r.scope), str(r.metric), { t: r.baseline === null ? '–' : String(Number(r.baseline.toFixed(3))), v: r.baseline }, { t: r.current === null ? '–' : String(Number(r.current.toFixed(3))), v: r.current },
        num(r.change, fmtPct), str(r.regressed ? 'REGRESSED' : r.judged ? 'ok' : 'not judged'),
      ]),
    });
  }
  return tables;
}
