/**
 * troupe's four DejaVu faces, read once per process and handed to pdfkit as bytes.
 *
 * Each face's `post` table is marked version 3 (no glyph names) in the copy we hand over. DejaVu's
 * version-2 table names ~6,000 glyphs; fontkit decodes every name the first time it reads the table,
 * which was a tenth of a report's CPU, and nothing troupe draws uses a glyph name: the embedded subset
 * has no `post` table, and pdfkit reads only the header fields (italic angle, underline), which the
 * version change leaves in place. The PDF's bytes are the same.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface PdfFonts {
  regular: Buffer;
  bold: Buffer;
  condensed: Buffer;
  condensedBold: Buffer;
}

const FILES: Record<keyof PdfFonts, string> = {
  regular: 'DejaVuSans',
  bold: 'DejaVuSans-Bold',
  condensed: 'DejaVuSansCondensed',
  condensedBold: 'DejaVuSansCondensed-Bold',
};

let fonts: PdfFonts | null = null;

export function loadPdfFonts(): PdfFonts {
  // DejaVu ships as an npm dependency, so a clean clone embeds the same fonts.
  fonts ??= Object.fromEntries(
    Object.entries(FILES).map(([key, name]) => [key, withoutGlyphNames(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`)))]),
  ) as unknown as PdfFonts;
  return fonts;
}

/** Sets the `post` table's version to 3.0 in place; a font without one is returned as it is. */
export function withoutGlyphNames(ttf: Buffer): Buffer {
  const tables = ttf.readUInt16BE(4);
  for (let i = 0; i < tables; i++) {
    const entry = 12 + i * 16;
    if (ttf.toString('latin1', entry, entry + 4) !== 'post') continue;
    const offset = ttf.readUInt32BE(entry + 8);
    if (offset + 4 <= ttf.length) ttf.writeUInt32BE(0x00030000, offset);
    break;
  }
  return ttf;
}
