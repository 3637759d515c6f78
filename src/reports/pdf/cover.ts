/** Page 1: what was run, the verdict and the headline figures (their content: ../content.ts). */
import { closedLoadText, completionText, fmtDate, fmtDuration, openLoadText } from '../format.js';
import { generatorWarning, headlineFigures, highlights, openModelFigures, RESPONSE_TIME_NOTE, vuFigures, verdict, type Headline } from '../content.js';
import type { RunData } from '../run-data.js';
import type { PdfSection } from './document.js';
import { COLORS, contentWidth, heading, left, paragraph } from './layout.js';

export function verdictText(data: RunData): { text: string; color: string } {
  const v = verdict(data);
  return { text: v.text, color: v.passed === null ? COLORS.muted : v.passed ? COLORS.pass : COLORS.fail };
}

function facts(data: RunData): [string, string][] {
  const { summary, manifest } = data;
  const personas = Object.keys(summary.personas).length;
  const locations = manifest?.locations.count ?? Object.keys(summary.locations).length;
  const iterations = manifest?.config.iterations;
  return [
    ['Run', summary.runId],
    ['Target', summary.target],
    ['Started', fmtDate(summary.startedAt)],
    ['Duration', fmtDuration(summary.durationMs)],
    summary.load
      ? ['Load', openLoadText(summary.load, personas, locations)]
      : ['Load', closedLoadText(summary, personas, locations, iterations)],
    ['Status', `${data.status}: ${completionText(summary)}`],
  ];
}

export const coverSection: PdfSection = {
  id: 'cover',
  newPage: false,
  render({ doc, data }) {
    const width = contentWidth(doc);
    const x = left(doc);
    doc.font('regular').fontSize(10).fillColor(COLORS.muted).text('troupe load test report', x, doc.y, { width });
    doc.font('bold').fontSize(24).fillColor(COLORS.text).text(data.summary.name, { width });
    doc.moveDown(0.6);

    for (const [label, value] of facts(data)) {
      const y = doc.y;
      doc.font('bold').fontSize(9.5).fillColor(COLORS.muted).text(label, x, y, { width: 70 });
      doc.font('regular').fillColor(COLORS.text).text(value, x + 75, y, { width: width - 75 });
      doc.moveDown(0.25);
    }
    doc.moveDown(0.8);

    const verdict = verdictText(data);
    const boxY = doc.y;
    doc.roundedRect(x, boxY, width, 34, 4).fill(verdict.color);
    doc.font('bold').fontSize(15).fillColor('white').text(verdict.text, x + 12, boxY + 9, { width: width - 24 });
    doc.y = boxY + 46;
    const failed = data.summary.thresholds?.results.filter((r) => !r.passed) ?? [];
    for (const r of failed.slice(0, 5)) paragraph(doc, `✗ ${r.expression}: ${r.message}`, { color: COLORS.fail });
    if (failed.length > 5) paragraph(doc, `… and ${failed.length - 5} more (see the thresholds table).`, { color: COLORS.fail });
    const comparison = data.comparison;
    if (comparison) {
      const against = `against the baseline ${comparison.baseline.runId ?? comparison.baseline.source}`;
      if (comparison.passed) paragraph(doc, `No regression ${against}.`, { font: 'bold', color: COLORS.pass });
      else paragraph(doc, `✗ Regression ${against}: ${comparison.regressions} tracked ${comparison.regressions === 1 ? 'metric is' : 'metrics are'} worse than the tolerance (see the comparison page).`, { font: 'bold', color: COLORS.fail });
    }

    const aborted = data.summary.abortedBy;
    // The manifest's reason repeats abortOn's message; the line below says it with the measured figures.
    const notes = aborted ? data.notes.filter((n) => !(n.startsWith('Reason:') && n.includes('abortOn'))) : data.notes;
    for (const note of notes) paragraph(doc, note, { font: 'bold', color: COLORS.fail });
    const saturated = generatorWarning(data);
    if (saturated) paragraph(doc, saturated, { font: 'bold', color: COLORS.fail });
    if (aborted) {
      paragraph(doc, `Stopped early at ${fmtDate(new Date(aborted.at).toISOString())} by ${aborted.message}.`, { font: 'bold', color: COLORS.fail });
    }
    doc.moveDown(0.4);
    const open = openModelFigures(data);
    drawTiles(doc, [...headlineFigures(data), ...open, ...vuFigures(data)]);
    if (open.length > 0) paragraph(doc, RESPONSE_TIME_NOTE, { size: 8.5, color: COLORS.muted });
    const lines = highlights(data);
    if (lines.length > 0) {
      heading(doc, 'Highlights', 13);
      for (const line of lines) paragraph(doc, `•  ${line}`);
    }
  },
};

function drawTiles(doc: PDFKit.PDFDocument, tiles: Headline[]): void {
  const perRow = 5;
  const gap = 8;
  const width = (contentWidth(doc) - gap * (perRow - 1)) / perRow;
  const height = 52;
  const x0 = left(doc);
  const y0 = doc.y;
  tiles.forEach((tile, i) => {
    const x = x0 + (i % perRow) * (width + gap);
    const y = y0 + Math.floor(i / perRow) * (height + gap);
    doc.roundedRect(x, y, width, height, 3).fill(COLORS.zebra);
    doc.font('regular').fontSize(8).fillColor(COLORS.muted).text(tile.label, x + 7, y + 8, { width: width - 14, lineBreak: false });
    let size = 13;
    doc.font('bold').fontSize(size);
    while (size > 7 && doc.widthOfString(tile.value) > width - 14) doc.fontSize((size -= 0.5));
    doc.fillColor(COLORS.text).text(tile.value, x + 7, y + 24, { width: width - 14, lineBreak: false });
  });
  doc.x = x0;
  doc.y = y0 + Math.ceil(tiles.length / perRow) * (height + gap) + 6;
}
