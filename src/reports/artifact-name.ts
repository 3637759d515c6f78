import { runDirPaths } from '../run-dir/layout.js';
import { shownPath } from '../run-dir/paths.js';

/**
 * How an artifact is named in messages (`reports/x/csv/`, `reports/x/report.pdf`). Apart from build.ts
 * so that a run that renders no report (src/reports/outputs.ts is in every run) does not load the
 * report builders: they weigh ~25 MB of resident memory (issue 12, peak RSS).
 */
export const artifactName = (dir: string, format: string) =>
  format === 'csv' ? `${shownPath(runDirPaths(dir).csv)}/` : format === 'pdf' ? shownPath(runDirPaths(dir).pdf) : format === 'html' ? shownPath(runDirPaths(dir).html) : `${format} report`;
