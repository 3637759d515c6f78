/**
 * The comparison with a baseline (`troupe run --baseline`, or compare.json written beside the run):
 * one page with the verdict and the rows, regressions first. Absent when the run had no baseline.
 */
import { comparisonRows, type ComparisonCells } from '../compare.js';
import { fmtDate } from '../format.js';
import type { PdfSection } from './document.js';
import { COLORS, heading, paragraph, table } from './layout.js';

/** More rows than this go to compare.csv only. */
export const TABLE_MAX_COMPARISON_ROWS = 60;

const ORDER: Record<ComparisonCells['verdict'], number> = { regression: 0, ok: 1, 'not judged': 2 };

export const comparisonSection: PdfSection = {
  id: 'comparison',
  // Adds its own page, only when there is a comparison.
  newPage: false,
  render({ doc, data }) {
    const comparison = data.comparison;
    if (!comparison) return;
    doc.addPage();
    heading(doc, 'Comparison with the baseline');
    const base = comparison.baseline;
    const when = base.startedAt ? `, started ${fmtDate(base.startedAt)}` : '';
    paragraph(doc, `Baseline: ${base.runId ?? base.source}${when}.`, { color: COLORS.muted });
    const verdict = comparison.passed
      ? 'No tracked metric is worse than its tolerance.'
      : `${comparison.regressions} tracked ${comparison.regressions === 1 ? 'metric is' : 'metrics are'} worse than the tolerance: a regression.`;
    paragraph(doc, verdict, { font: 'bold', color: comparison.passed ? COLORS.pass : COLORS.fail });
    paragraph(
      doc,
      'Latencies and throughput are judged by their relative change, error and hit rates in percentage points. A scope with fewer samples than the minimum is shown but not judged.',
      { color: COLORS.muted },
    );
    const rows = comparisonRows(comparison).sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
    const shown = rows.slice(0, TABLE_MAX_COMPARISON_ROWS);
    if (shown.length < rows.length) {
      paragraph(doc, `Showing ${shown.length} of ${rows.length} rows, regressions first; compare.csv has them all.`, { color: COLORS.muted });
    }
    table(
      doc,
      [
        { header: 'Scope', width: 2.6 },
        { header: 'Metric', width: 1.3 },
        { header: 'Baseline', width: 1.2, align: 'right' },
        { header: 'Current', width: 1.2, align: 'right' },
        { header: 'Change', width: 1.1, align: 'right' },
        { header: 'Tolerance', width: 1.1, align: 'right' },
        { header: 'Verdict', width: 1.3 },
      ],
      shown.map((r) => [r.scope, r.metric, r.baseline, r.current, r.change, r.tolerance, r.verdict === 'regression' ? 'REGRESSION' : r.verdict]),
    );
  },
};
