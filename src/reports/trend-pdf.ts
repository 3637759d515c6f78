/** trend.pdf: p95 (and p50/p99) over the runs, the marked ones named, and a table of every run. */
import { COMPARE_METRICS } from '../inputs/compare-metrics.js';
import { fmtMs, fmtPct, fmtRps } from './format.js';
import { createPdfDocument } from './pdf/document.js';
import { COLORS, PAGE, heading, paragraph, table } from './pdf/layout.js';
import { loadPdfLibs } from './pdf/libs.js';
import { chart } from './pdf/sections.js';
import { describeRegression, type TrendOptions, type TrendPoint } from './trend.js';

export function trendSpec(points: readonly TrendPoint[]): Record<string, unknown> {
  const values = points.flatMap((p, i) =>
    (['p50', 'p95', 'p99'] as const).map((metric) => ({ run: i + 1, label: p.runId, metric, ms: p.values[metric], regressed: p.regressions.some((r) => r.metric === metric) })),
  );
  const x = { field: 'run', type: 'ordinal', title: 'Run (oldest first)' };
  return {
    title: { text: 'Latency across runs', subtitle: 'p50, p95 and p99 of each run; a red point is a regression against the median of the runs before it' },
    width: 420,
    height: 180,
    data: { values: values.filter((v) => v.ms !== null) },
    layer: [
      { mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: { x, y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' }, color: { field: 'metric', type: 'nominal', title: 'Percentile', scale: { range: ['#4c9be8', '#f0a030', '#7b3294'] } } } },
      { transform: [{ filter: 'datum.regressed' }], mark: { type: 'point', size: 90, filled: true, color: '#c0392b' }, encoding: { x, y: { field: 'ms', type: 'quantitative' } } },
    ],
  };
}

export async function renderTrendPdf(points: readonly TrendPoint[], options: TrendOptions): Promise<Buffer> {
  const libs = await loadPdfLibs();
  const first = points[0]!;
  const last = points.at(-1)!;
  const { doc, finish } = createPdfDocument(libs, {
    margins: { top: PAGE.margin, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin },
    info: { Title: `troupe trend: ${last.name || last.runId}`, Author: 'troupe' },
  });
  heading(doc, `Trend: ${points.length} runs of ${last.name || 'a test'}`);
  const pts = (m: 'error_rate' | 'cache_hit_rate') => `${((options.ratePoints[m] ?? 0) * 100).toFixed(1)} points`;
  paragraph(doc, `${first.startedAt.slice(0, 10)} to ${last.startedAt.slice(0, 10)}. Each run is judged against the median of up to ${options.window} runs before it: a regression is latency or throughput ${Math.round(options.maxRegression * 100)}% worse, the error rate ${pts('error_rate')} higher, the cache hit rate ${pts('cache_hit_rate')} lower.`, { color: COLORS.muted });
  const marked = points.filter((p) => p.regressions.length > 0);
  doc.font('bold').fontSize(12).fillColor(marked.length ? COLORS.fail : COLORS.pass);
  doc.text(marked.length ? `${marked.length} run(s) regressed` : 'No run regressed against its recent past');
  for (const p of marked) paragraph(doc, `✗ ${describeRegression(p)}`, { color: COLORS.fail });
  doc.y += 6;
  await chart({ doc, libs }, trendSpec(points), 'No run has latency figures.');
  table(
    doc,
    [
      { header: 'Run', width: 2.6 },
      { header: 'Requests', width: 1, align: 'right' },
      { header: 'p50', width: 1, align: 'right' },
      { header: 'p95', width: 1, align: 'right' },
      { header: 'p99', width: 1, align: 'right' },
      { header: 'Errors', width: 0.9, align: 'right' },
      { header: 'Hit rate', width: 0.9, align: 'right' },
      { header: 'Throughput', width: 1.2, align: 'right' },
      { header: 'Verdict', width: 1.3 },
    ],
    points.map((p) => [
      p.runId, String(p.requests), fmtMs(p.values.p50), fmtMs(p.values.p95), fmtMs(p.values.p99), fmtPct(p.values.error_rate), fmtPct(p.values.cache_hit_rate), fmtRps(p.values.rps),
      p.regressions.length ? `REGRESSED: ${p.regressions.map((r) => r.metric).join(', ')}` : p.judged ? 'ok' : 'not judged',
    ]),
  );
  paragraph(doc, `Tracked: ${COMPARE_METRICS.join(', ')}. Runs with fewer than ${options.minSamples} requests, and the first ${options.minHistory} runs, are shown but not judged. trend.csv has every figure and baseline.`, { size: 8, color: COLORS.muted });
  return finish();
}
