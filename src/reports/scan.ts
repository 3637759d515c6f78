/**
 * One streaming pass over results.ndjson: the error table, the per-second series and, when wanted,
 * csv/requests.csv. Memory stays bounded whatever the size of the file.
 */
import { join } from 'node:path';
import { RUN_FILES } from '../run/files.js';
import type { ReadResultsReport, ResultLine } from '../run/results-reader.js';
import { readResultLines } from './ndjson-lines.js';
import { ErrorTally } from './errors-table.js';
import type { RunFacts } from './run-data.js';
import { SecondSeries } from './timeseries.js';

export interface ResultSink {
  add(r: ResultLine): Promise<void> | void;
}

export async function scanResults(dir: string, sinks: ResultSink[] = []): Promise<RunFacts> {
  const errors = new ErrorTally();
  const series = new SecondSeries();
  const report: ReadResultsReport = { lines: 0, truncatedTail: false };
  try {
    for await (const r of readResultLines(join(dir, RUN_FILES.results), report)) {
      errors.add(r);
      series.add(r);
      for (const sink of sinks) await sink.add(r);
    }
  } catch (err) {
    // A run killed before its first result has no results.ndjson: its reports show no requests.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { lines: report.lines, truncatedTail: report.truncatedTail, errors: errors.rows(), timeseries: series.rows() };
}
