/** The PDF's dependencies, loaded only when a PDF is built (dynamic import keeps `troupe --help` fast). */
import { createRequire } from 'node:module';
import { specToSvg } from '../svg-charts.js';

const require = createRequire(import.meta.url);

type SvgToPdf = (doc: PDFKit.PDFDocument, svg: string, x: number, y: number, options?: Record<string, unknown>) => void;

export interface PdfLibs {
  PDFDocument: new (options?: PDFKit.PDFDocumentOptions) => PDFKit.PDFDocument;
  svgToPdf: SvgToPdf;
  /** Vega-Lite spec → SVG string. */
  toSvg(spec: Record<string, unknown>): Promise<string>;
  fonts: { regular: string; bold: string; condensed: string; condensedBold: string };
}

let libs: Promise<PdfLibs> | null = null;

export function loadPdfLibs(): Promise<PdfLibs> {
  libs ??= (async () => {
    const [pdfkit, svgToPdf] = await Promise.all([import('pdfkit'), import('svg-to-pdfkit')]);
    // DejaVu ships as an npm dependency, so a clean clone embeds the same fonts.
    const font = (name: string) => require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`);
    return {
      PDFDocument: pdfkit.default,
      svgToPdf: (svgToPdf as unknown as { default: SvgToPdf }).default,
      toSvg: specToSvg,
      fonts: {
        regular: font('DejaVuSans'),
        bold: font('DejaVuSans-Bold'),
        condensed: font('DejaVuSansCondensed'),
        condensedBold: font('DejaVuSansCondensed-Bold'),
      },
    };
  })();
  return libs;
}
