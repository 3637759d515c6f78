/** capacity.pdf: the sweep's table and its chart, drawn with the reports' own chart scenes (charts/scene.ts, no Vega). */
import { COLORS, PAGE, heading, paragraph, table } from '../reports/pdf/layout.js';
import { createPdfDocument } from '../reports/pdf/document.js';
import { loadPdfLibs } from '../reports/pdf/libs.js';
import { chart } from '../reports/pdf/sections.js';
import { capacityFigure, type Knee, type KneeRule, type LevelKind, type LevelResult } from './capacity.js';

export interface CapacityReport {
  target: string;
  kind: LevelKind;
  stepDurationMs: number;
  levels: readonly LevelResult[];
  knee: Knee;
  /** The rule the knee was found by; the PDF states its minimum gain. */
  rule: KneeRule;
  startedAt: Date;
}

export async function renderCapacityPdf(report: CapacityReport): Promise<Buffer> {
  const libs = await loadPdfLibs();
  const { doc, finish } = createPdfDocument(libs, {
    margins: { top: PAGE.margin, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin },
    info: { Title: `troupe capacity: ${report.target}`, Author: 'troupe', CreationDate: report.startedAt, ModDate: report.startedAt },
  });

  heading(doc, 'Capacity sweep');
  paragraph(doc, `${report.target} · ${report.levels.length} levels of ${report.kind} · ${report.stepDurationMs / 1000} s each · ${report.startedAt.toISOString()}`, { color: COLORS.muted });
  doc.font('bold').fontSize(12).fillColor(report.knee.level === null ? COLORS.fail : COLORS.pass);
  doc.text(report.knee.level !== null ? `Knee: ${report.kind} ${report.knee.level}` : report.knee.verdict === 'none-in-range' ? 'No knee in the range' : report.knee.verdict === 'refused' ? 'No knee: the measurements are mostly errors' : 'No knee found');
  paragraph(doc, report.knee.reason);

  doc.y += 8;
  chart({ doc }, capacityFigure(report.kind, report.levels, report.knee), 'No levels were measured.');

  const ms = (n: number | null) => (n === null ? '-' : `${n.toFixed(1)} ms`);
  table(
    doc,
    [
      { header: report.kind, width: 1 },
      { header: 'req/s', width: 1, align: 'right' },
      { header: 'p50', width: 1, align: 'right' },
      { header: 'p95', width: 1, align: 'right' },
      { header: 'p99', width: 1, align: 'right' },
      { header: 'errors', width: 1, align: 'right' },
      { header: '', width: 0.8 },
    ],
    report.levels.map((l, i) => [String(l.level), l.rps.toFixed(1), ms(l.p50), ms(l.p95), ms(l.p99), l.errorRate === null ? '-' : `${(l.errorRate * 100).toFixed(2)}%`, i === report.knee.index ? 'knee' : '']),
  );
  paragraph(doc, `Each level ran for the step duration on its own. Throughput counts completed requests per second; percentiles come from HdrHistograms of every request of the level, failed ones included. The knee is the last level before p95 or the error rate passed its limit, or before throughput grew by less than ${Math.round(report.rule.minGain * 100)} %.`, { size: 8, color: COLORS.muted });
  return finish();
}
