/** report.html: the format builder that `troupe report --format html` and `troupe run` call. */
import { runDirPaths } from '../../run-dir/layout.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { FormatBuilder } from '../build.js';
import { reportCharts } from './charts.js';
import { renderHtml } from './page.js';
import { reportTables } from './tables.js';

export const htmlFormat: FormatBuilder = {
  async build(data) {
    const html = renderHtml(data, await reportCharts(data), reportTables(data));
    const path = runDirPaths(data.dir).html;
    await writeFileAtomic(path, html);
    return [path];
  },
};
