/** Page geometry and the few drawing primitives the sections share: headings, paragraphs, paginated tables. */

export const PAGE = { size: 'A4' as const, margin: 50, footer: 30 };
export const COLORS = { text: '#1f2933', muted: '#616e7c', rule: '#cbd2d9', zebra: '#f5f7fa', header: '#e4e7eb', pass: '#1e7f4f', fail: '#c0392b', warn: '#b7791f', accent: '#2b6cb0' };

type Doc = PDFKit.PDFDocument;

export const contentWidth = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
export const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;
export const left = (doc: Doc) => doc.page.margins.left;

/** Starts a new page unless `height` more points fit on this one. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage();
}

export function heading(doc: Doc, text: string, size = 16): void {
  if (doc.y > doc.page.margins.top + 1) doc.moveDown(0.6);
  ensureSpace(doc, size * 4);
  doc.font('bold').fontSize(size).fillColor(COLORS.text).text(text, left(doc), doc.y, { width: contentWidth(doc) });
  doc.moveDown(0.4);
}

export function paragraph(doc: Doc, text: string, options: { size?: number; color?: string; font?: string } = {}): void {
  doc.font(options.font ?? 'regular').fontSize(options.size ?? 9.5).fillColor(options.color ?? COLORS.text);
  ensureSpace(doc, doc.heightOfString(text, { width: contentWidth(doc), lineGap: 1.5 }) + 2);
  doc.text(text, left(doc), doc.y, { width: contentWidth(doc), lineGap: 1.5 });
  doc.moveDown(0.5);
}

export interface Column {
  header: string;
  /** Share of the content width. */
  width: number;
  align?: 'left' | 'right';
}

const PAD = 3;

/** A table that wraps long cells and carries on over pages, repeating its header row. */
export function table(doc: Doc, columns: Column[], rows: string[][], options: { size?: number } = {}): void {
  const size = options.size ?? 8;
  const total = columns.reduce((n, c) => n + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * contentWidth(doc));
  const x0 = left(doc);

  const rowHeight = (cells: string[], font: string) => {
    doc.font(font).fontSize(size);
    return Math.max(...cells.map((cell, i) => doc.heightOfString(cell, { width: widths[i]! - 2 * PAD }))) + 2 * PAD;
  };
  const drawRow = (cells: string[], font: string, fill: string | null, h = rowHeight(cells, font)) => {
    const y = doc.y;
    if (fill) doc.rect(x0, y, widths.reduce((a, b) => a + b, 0), h).fill(fill);
    let x = x0;
    doc.font(font).fontSize(size).fillColor(COLORS.text);
    cells.forEach((cell, i) => {
      doc.text(cell, x + PAD, y + PAD, { width: widths[i]! - 2 * PAD, align: columns[i]!.align ?? 'left' });
      x += widths[i]!;
    });
    doc.y = y + h;
  };
  const header = columns.map((c) => c.header);
  ensureSpace(doc, rowHeight(header, 'condensedBold') + rowHeight(rows[0] ?? header, 'condensed'));
  drawRow(header, 'condensedBold', COLORS.header);
  rows.forEach((cells, index) => {
    // Measured once: wrapping every cell is most of a table's cost, and the height does not change.
    const h = rowHeight(cells, 'condensed');
    if (doc.y + h > bottom(doc)) {
      doc.addPage();
      drawRow(header, 'condensedBold', COLORS.header);
    }
    drawRow(cells, 'condensed', index % 2 === 1 ? COLORS.zebra : null, h);
  });
  doc.x = x0;
  doc.moveDown(0.8);
}
