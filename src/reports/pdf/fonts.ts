/**
 * troupe's four DejaVu faces, parsed once per process and shared by every PDF it draws.
 *
 * pdfkit accepts a parsed fontkit font in place of a file (pdfkit ≥ 0.17), so the tables fontkit has
 * decoded for one document (cmap, metrics, the large GSUB/GPOS lookups) serve the next one too; each
 * document still embeds its own subset of the glyphs it used.
 *
 * Each face's `post` table is marked version 3 (no glyph names) in the bytes fontkit parses. DejaVu's
 * version-2 table names ~6,000 glyphs; fontkit decodes every name the first time it reads the table,
 * which was a tenth of a report's CPU, and nothing troupe draws uses a glyph name: the embedded subset
 * has no `post` table, and pdfkit reads only the header fields (italic angle, underline), which the
 * version change leaves in place. The PDF's bytes are the same.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** A parsed font, as pdfkit's registerFont takes it (a fontkit Font). */
export type ParsedFont = { layout(text: string): unknown; postscriptName: string };

export interface PdfFonts {
  regular: ParsedFont;
  bold: ParsedFont;
  condensed: ParsedFont;
  condensedBold: ParsedFont;
}

const FILES: Record<keyof PdfFonts, string> = {
  regular: 'DejaVuSans',
  bold: 'DejaVuSans-Bold',
  condensed: 'DejaVuSansCondensed',
  condensedBold: 'DejaVuSansCondensed-Bold',
};

let fonts: Promise<PdfFonts> | null = null;

export function loadPdfFonts(): Promise<PdfFonts> {
  fonts ??= (async () => {
    const { create } = (await import(fontkitUrl())) as { create(bytes: Uint8Array): ParsedFont };
    // DejaVu ships as an npm dependency, so a clean clone embeds the same fonts.
    const entries = Object.entries(FILES).map(([key, name]) => [key, create(withoutGlyphNames(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`))))]);
    return Object.fromEntries(entries) as PdfFonts;
  })();
  return fonts;
}

/**
 * The ES module build of the fontkit that pdfkit imports: the same copy, so it is loaded once (a second
 * copy costs a tenth of a second to load). Resolved from pdfkit's folder, as pdfkit itself resolves it.
 */
function fontkitUrl(): string {
  const main = createRequire(require.resolve('pdfkit')).resolve('fontkit');
  for (let root = dirname(main); dirname(root) !== root; root = dirname(root)) {
    const pkg = packageJson(join(root, 'package.json'));
    if (pkg?.name !== 'fontkit') continue;
    const entry = pkg.exports?.node?.import;
    return pathToFileURL(entry ? join(root, entry) : main).href;
  }
  return pathToFileURL(main).href;
}

function packageJson(path: string): { name?: string; exports?: { node?: { import?: string } } } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
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
