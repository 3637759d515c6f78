/** report.pdf: the default sections in order. Later sections (e.g. a comparison with a baseline) append to PDF_SECTIONS. */
import { runDirPaths } from '../../run-dir/layout.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { FormatBuilder } from '../build.js';
import { coverSection } from './cover.js';
import { renderPdf, type PdfSection } from './document.js';
import { loadPdfLibs } from './libs.js';
import { loadSection } from './load-section.js';
import { chartsSection, methodSection, tablesSection } from './sections.js';
import { comparisonSection } from './comparison-section.js';

export const PDF_SECTIONS: PdfSection[] = [coverSection, chartsSection, loadSection, tablesSection, comparisonSection, methodSection];

export const pdfFormat: FormatBuilder = {
  async build(data) {
    const pdf = await renderPdf(data, await loadPdfLibs(), PDF_SECTIONS);
    const path = runDirPaths(data.dir).pdf;
    await writeFileAtomic(path, pdf);
    return [path];
  },
};
