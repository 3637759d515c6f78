/** trend.pdf: p95 (and p50/p99) over the runs, the marked ones named, and a table of every run. */
import { COMPARE_METRICS, type CompareMetric } from '../inputs/compare-metrics.js';
import { fmtMs, fmtPct, fmtRps } from './format.js';
import { createPdfDocument } from './pdf/document.js';
import { COLORS, PAGE, heading, paragraph, table } from './pdf/layout.js';
import { loadPdfLibs } from './pdf/libs.js';
import { chart } from './pdf/sections.js';
import { describeRegression, type TrendOptions, type TrendPoint } from './trend.js';

/**
 * The runs over time: latency (p50, p95, p99), error rate, cache hit rate and throughput, one panel each;
 * a red point is a regression against the median of the runs before it; a dashed line is the latest
 * run's threshold on that metric.
 */
export function trendSpec(points: readonly TrendPoint[]): Record<string, unknown> {
  const x = { field: 'run', type: 'ordinal', title: 'Run (oldest first)', axis: { labelAngle: 0 } };
  const limits = points.at(-1)?.limits ?? {};
  const panel = (title: string, metrics: readonly CompareMetric[], y: Record<string, unknown>, scale = 1) => {
    const values = points.flatMap((p, i) => metrics.map((metric) => ({ run: i + 1, label: p.runId, metric, value: p.values[metric] === null ? null : p.values[metric]! * scale, regressed: p.regressions.some((r) => r.metric === metric) })));
    const rules = metrics.filter((m) => limits[m] !== undefined).map((m) => ({ metric: m, limit: limits[m]! * scale }));
    return {
      title: { text: title },
      width: 420,
      height: 90,
      layer: [
        { data: { values: values.filter((v) => v.value !== null) }, mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: { x, y: { field: 'value', type: 'quantitative', ...y }, color: { field: 'metric', type: 'nominal', title: null } } },
        { data: { values: values.filter((v) => v.value !== null && v.regressed) }, mark: { type: 'point', size: 90, filled: true, color: '#c0392b' }, encoding: { x, y: { field: 'value', type: 'quantitative' } } },
        ...(rules.length ? [{ data: { values: rules }, mark: { type: 'rule', strokeDash: [4, 3], color: '#616e7c' }, encoding: { y: { field: 'limit', type: 'quantitative' } } }] : []),
      ],
    };
  };
  return {
    title: { text: 'Runs over time', subtitle: 'a red point is a regression against the median of the runs before it; a dashed line is a threshold of the latest run' },
    vconcat: [
      panel('Latency (ms)', ['p50', 'p95', 'p99'], { title: 'ms' }),
      panel('Error rate (%)', ['error_rate'], { title: '%' }, 100),
      panel('Cache hit rate (%)', ['cache_hit_rate'], { title: '%' }, 100),
      panel('Throughput (req/s)', ['rps'], { title: 'req/s' }),
    ],
    spacing: 18,
    resolve: { scale: { color: 'independent' } },
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
