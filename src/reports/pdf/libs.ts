/** The PDF's dependencies, loaded only when a PDF is built (dynamic import keeps `troupe --help` fast). */
import { specToSvg } from '../svg-charts.js';
import { loadPdfFonts, type PdfFonts } from './fonts.js';

type SvgToPdf = (doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: Record<string, unknown>) => void;

export interface PdfLibs {
  PDFDocument: new (options?: PDFKit.PDFDocumentOptions) => PDFKit.PDFDocument;
  svgToPdf: SvgToPdf;
  /** Vega-Lite spec → SVG string. */
  toSvg(spec: Record<string, unknown>): Promise<string>;
  /** The faces, parsed once per process (see fonts.ts). */
  fonts: PdfFonts;
}

let libs: Promise<PdfLibs> | null = null;

export function loadPdfLibs(): Promise<PdfLibs> {
  libs ??= (async () => {
    const [pdfkit, svgToPdf, fonts] = await Promise.all([import('pdfkit'), import('svg-to-pdfkit'), loadPdfFonts()]);
    return {
      PDFDocument: pdfkit.default,
      svgToPdf: (svgToPdf as unknown as { default: SvgToPdf }).default,
      toSvg: specToSvg,
      fonts,
    };
  })();
  return libs;
}
