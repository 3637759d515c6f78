/**
 * The PDF's dependencies, loaded only when a PDF is built (dynamic import keeps `troupe --help` fast).
 * Vega and svg-to-pdfkit load only for a chart given as a Vega-Lite spec (trend, capacity): the run
 * report's own charts are drawn directly (draw-scene.ts).
 */
import { specToSvg } from '../svg-charts.js';
import { loadPdfFonts, type PdfFonts } from './fonts.js';

type SvgToPdf = (doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: Record<string, unknown>) => void;

export interface PdfLibs {
  PDFDocument: new (options?: PDFKit.PDFDocumentOptions) => PDFKit.PDFDocument;
  /** Draws an SVG document onto the page (svg-to-pdfkit, loaded on first use). */
  svgToPdf(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: Record<string, unknown>): Promise<void>;
  /** Vega-Lite spec → SVG string. */
  toSvg(spec: Record<string, unknown>): Promise<string>;
  /** The faces, parsed once per process (see fonts.ts). */
  fonts: PdfFonts;
}

let libs: Promise<PdfLibs> | null = null;

export function loadPdfLibs(): Promise<PdfLibs> {
  libs ??= (async () => {
    const [pdfkit, fonts] = await Promise.all([import('pdfkit'), loadPdfFonts()]);
    let svgToPdf: Promise<SvgToPdf> | null = null;
    return {
      PDFDocument: pdfkit.default,
      async svgToPdf(...args) {
        svgToPdf ??= import('svg-to-pdfkit').then((m) => (m as unknown as { default: SvgToPdf }).default);
        (await svgToPdf)(...args);
      },
      toSvg: specToSvg,
      fonts,
    };
  })();
  return libs;
}
