/**
 * The stakeholder PDF: a run's data in, a Buffer out. The document is a list of sections, each drawing
 * onto the same pdfkit document, so later work (comparison with a baseline) appends a section to the list.
 */
import type { RunData } from '../run-data.js';
import { COLORS, PAGE } from './layout.js';
import type { PdfLibs } from './libs.js';

export interface SectionContext {
  doc: PDFKit.PDFDocument;
  data: RunData;
  libs: PdfLibs;
}

export interface PdfSection {
  id: string;
  /** Starts on a new page (the cover does not: it is the first page). */
  newPage: boolean;
  render(ctx: SectionContext): Promise<void> | void;
}

export async function renderPdf(data: RunData, libs: PdfLibs, sections: readonly PdfSection[]): Promise<Buffer> {
  const { summary } = data;
  // CreationDate is the run's end, not the wall clock: rebuilding a report gives the same document.
  const { doc, finish } = createPdfDocument(libs, {
    margins: { top: PAGE.margin, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin + PAGE.footer / 2 },
    bufferPages: true,
    info: {
      Title: `troupe report: ${summary.name} (${summary.runId})`,
      Author: 'troupe',
      Subject: `Load test of ${summary.target}`,
      Creator: `troupe ${summary.troupe}`,
      CreationDate: new Date(summary.endedAt),
      ModDate: new Date(summary.endedAt),
    },
  });
  doc.font('regular');

  const ctx: SectionContext = { doc, data, libs };
  let first = true;
  for (const section of sections) {
    if (!first && section.newPage) doc.addPage();
    first = false;
    await section.render(ctx);
  }
  drawPageFrames(doc, data);
  return finish();
}

/**
 * An A4 pdfkit document with troupe's embedded fonts registered (regular, bold, condensed,
 * condensedBold); `finish()` ends it and resolves to its bytes.
 */
export function createPdfDocument(
  libs: PdfLibs,
  options: { margins: PDFKit.PDFDocumentOptions['margins']; info: PDFKit.DocumentInfo; bufferPages?: boolean },
): { doc: PDFKit.PDFDocument; finish(): Promise<Buffer> } {
  const doc = new libs.PDFDocument({ size: PAGE.size, margins: options.margins, bufferPages: options.bufferPages ?? false, autoFirstPage: true, info: options.info, lang: 'en' });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  doc.registerFont('regular', libs.fonts.regular as never);
  doc.registerFont('bold', libs.fonts.bold as never);
  doc.registerFont('condensed', libs.fonts.condensed as never);
  doc.registerFont('condensedBold', libs.fonts.condensedBold as never);
  return {
    doc,
    finish: async () => {
      doc.end();
      await ended;
      return Buffer.concat(chunks);
    },
  };
}

/** Page numbers on every page, and a banner on every page of a partial run. */
function drawPageFrames(doc: PDFKit.PDFDocument, data: RunData): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const { width, height } = doc.page;
    const margins = doc.page.margins;
    const saved = margins.bottom;
    margins.bottom = 0; // writing into the margin must not start a new page
    doc.font('regular').fontSize(7.5).fillColor(COLORS.muted);
    doc.text(`${data.summary.runId} · page ${i + 1} of ${range.count}`, margins.left, height - PAGE.margin + 8, {
      width: width - margins.left - margins.right,
      align: 'center',
      lineBreak: false,
    });
    if (data.status !== 'complete') {
      doc.font('bold').fontSize(7.5).fillColor(COLORS.fail);
      doc.text(`${data.status.toUpperCase()} RUN: partial results`, margins.left, PAGE.margin / 2 - 4, {
        width: width - margins.left - margins.right,
        align: 'right',
        lineBreak: false,
      });
    }
    margins.bottom = saved;
  }
}
