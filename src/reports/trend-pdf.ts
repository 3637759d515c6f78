/** trend.pdf: p95 (and p50/p99) over the runs, the marked ones named, and a table of every run. */
import { COMPARE_METRICS, type CompareMetric } from '../inputs/compare-metrics.js';
import { fmtMs, fmtPct, fmtRps } from './format.js';
import { createPdfDocument } from './pdf/document.js';
import { COLORS, PAGE, heading, paragraph, table } from './pdf/layout.js';
import type { LineFigure, StackFigure } from './charts/figure.js';
import { loadPdfLibs } from './pdf/libs.js';
import { chart } from './pdf/sections.js';
import { describeRegression, type TrendOptions, type TrendPoint } from './trend.js';

/** Vega-Lite's default category colours, in order: each panel starts again from the first. */
const SERIES_COLORS = ['#4c78a8', '#f58518', '#e45756'];

/**
 * The runs over time: latency (p50, p95, p99), error rate, cache hit rate and throughput, one panel each;
 * a red point is a regression against the median of the runs before it; a dashed line is the latest
 * run's threshold on that metric. Drawn by charts/scene.ts, as the run report's charts are (no Vega).
 */
export function trendFigure(points: readonly TrendPoint[]): StackFigure {
  const limits = points.at(-1)?.limits ?? {};
  const panel = (title: string, metrics: readonly CompareMetric[], yTitle: string, scale = 1): LineFigure => {
    const at = (p: TrendPoint, metric: CompareMetric) => (p.values[metric] === null ? null : p.values[metric]! * scale);
    const series = metrics.map((metric, i) => ({
      name: metric,
      color: SERIES_COLORS[i]!,
      // Runs without the figure are left out and the line goes on to the next run, as Vega-Lite drew it.
      segments: [points.flatMap((p, run) => { const v = at(p, metric); return v === null ? [] : [[run + 1, v] as [number, number]]; })],
    }));
    return {
      kind: 'lines',
      title,
      width: 420,
      height: 90,
      xTitle: 'Run (oldest first)',
      xFormat: 'd',
      xMinStep: 1,
      xDomain: [0.5, points.length + 0.5],
      yTitle,
      series,
      pointSize: 30,
      legend: metrics.length > 1 ? { title: null } : null,
      marks: points.flatMap((p, run) => metrics.flatMap((metric) => { const v = at(p, metric); return v !== null && p.regressions.some((r) => r.metric === metric) ? [{ x: run + 1, y: v, color: '#c0392b', size: 90 }] : []; })),
      rules: metrics.filter((m) => limits[m] !== undefined).map((m) => ({ y: limits[m]! * scale, color: '#616e7c' })),
    };
  };
  return {
    kind: 'stack',
    title: 'Runs over time',
    subtitle: 'a red point is a regression against the median of the runs before it; a dashed line is a threshold of the latest run',
    parts: [
      panel('Latency (ms)', ['p50', 'p95', 'p99'], 'ms'),
      panel('Error rate (%)', ['error_rate'], '%', 100),
      panel('Cache hit rate (%)', ['cache_hit_rate'], '%', 100),
      panel('Throughput (req/s)', ['rps'], 'req/s'),
    ],
    spacing: 18,
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
  chart({ doc }, trendFigure(points), 'No run has latency figures.');
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
