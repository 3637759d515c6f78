/**
 * The PDF's faces are parsed once per process (src/reports/pdf/fonts.ts): glyph names dropped from the
 * bytes fontkit parses, and one parsed face shared by every document. Two documents drawn in a row
 * both carry their own text, non-Latin names included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPdfFonts, withoutGlyphNames } from '../src/reports/pdf/fonts.js';
import { createPdfDocument } from '../src/reports/pdf/document.js';
import { loadPdfLibs } from '../src/reports/pdf/libs.js';
import { pdfPages } from './fixtures/reports/read.js';

const require = createRequire(import.meta.url);

function postOffset(ttf: Buffer): number {
  for (let i = 0; i < ttf.readUInt16BE(4); i++) {
    const entry = 12 + i * 16;
    if (ttf.toString('latin1', entry, entry + 4) === 'post') return ttf.readUInt32BE(entry + 8);
  }
  return -1;
}

test('withoutGlyphNames sets the post table to version 3 and changes no other byte', () => {
  const original = readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  const offset = postOffset(original);
  assert.equal(original.readUInt32BE(offset), 0x00020000, 'DejaVu ships a version-2 post table');
  const patched = withoutGlyphNames(Buffer.from(original));
  assert.equal(patched.readUInt32BE(offset), 0x00030000);
  assert.equal(Buffer.compare(patched.subarray(0, offset), original.subarray(0, offset)), 0);
  assert.equal(Buffer.compare(patched.subarray(offset + 4), original.subarray(offset + 4)), 0);

  const noPost = Buffer.alloc(12); // a directory with no tables
  assert.deepEqual(withoutGlyphNames(Buffer.from(noPost)), noPost);
});

test('the faces are parsed once and shared; two documents in a row each carry their own text', async () => {
  assert.equal(await loadPdfFonts(), await loadPdfFonts());
  const libs = await loadPdfLibs();
  assert.equal(libs.fonts, await loadPdfFonts());
  const dir = await mkdtemp(join(tmpdir(), 'troupe-pdf-fonts-'));
  const lines = [
    ['Zoë in Łódź, Ærøskøbing', 'Ελληνικά και Кириллица'],
    ['Кириллица и Ελληνικά', 'Zoë in Łódź, Ærøskøbing'],
  ];
  for (const [i, [regular, condensed]] of lines.entries()) {
    const { doc, finish } = createPdfDocument(libs, { margins: { top: 50, left: 50, right: 50, bottom: 50 }, info: { Title: `fonts ${i}` } });
    doc.font('bold').fontSize(12).text(regular!);
    doc.font('condensed').fontSize(9).text(condensed!);
    const path = join(dir, `doc-${i}.pdf`);
    await writeFile(path, await finish());
    const [text] = await pdfPages(path);
    for (const line of [regular!, condensed!]) assert.ok(text!.includes(line), `doc ${i} should contain "${line}", got ${JSON.stringify(text)}`);
    const raw = readFileSync(path, 'latin1');
    assert.match(raw, /\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold/);
    assert.match(raw, /\/BaseFont \/[A-Z]{6}\+DejaVuSansCondensed/);
  }
});
