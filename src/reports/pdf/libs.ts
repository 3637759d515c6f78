/** The PDF's dependencies, loaded only when a PDF is built (dynamic import keeps `troupe --help` fast). */
import { loadPdfFonts, type PdfFonts } from './fonts.js';

export interface PdfLibs {
  PDFDocument: new (options?: PDFKit.PDFDocumentOptions) => PDFKit.PDFDocument;
  /** The faces, parsed once per process (see fonts.ts). */
  fonts: PdfFonts;
}

let libs: Promise<PdfLibs> | null = null;

export function loadPdfLibs(): Promise<PdfLibs> {
  libs ??= (async () => {
    const [pdfkit, fonts] = await Promise.all([import('pdfkit'), loadPdfFonts()]);
    return { PDFDocument: pdfkit.default, fonts };
  })();
  return libs;
}
