/**
 * One streaming pass over results.ndjson: the error table, the per-second series and, when wanted,
 * csv/requests.csv. Memory stays bounded whatever the size of the file.
 */
import { runDirPaths } from '../run-dir/layout.js';
import type { LoadPhase } from '../inputs/load.js';
import { readResults, type ReadResultsReport, type ResultLine } from '../run-dir/results.js';
import type { RunSegment } from '../run-dir/segments.js';
import { ArrivalTally } from './arrivals.js';
import { ErrorTally } from './errors-table.js';
import type { RunFacts } from './run-data.js';
import { SecondSeries } from './timeseries.js';

export interface ResultSink {
  add(r: ResultLine): Promise<void> | void;
}

/** `phases`: the open model's schedule (summary.json `load`), to count arrivals per phase and persona. */
/** `segments`: a resumed run's stretches (summary.json `segments`), so the series leaves its pauses out. */
export async function scanResults(dir: string, sinks: ResultSink[] = [], phases?: readonly LoadPhase[], segments: readonly RunSegment[] = []): Promise<RunFacts> {
  const errors = new ErrorTally();
  const series = new SecondSeries();
  const arrivals = phases ? new ArrivalTally() : null;
  const report: ReadResultsReport = { lines: 0, truncatedTail: false };
  // A run killed before its first result has no results.ndjson: its reports show no requests.
  for await (const r of readResults(runDirPaths(dir).results, { report, missingIsEmpty: true })) {
    // Retried attempts and harness-cache answers are reported apart (summary.json `retries`, `harnessCache`):
    // the error table and the time series hold what the run's figures hold, first attempts sent to the target.
    if (r.harnessCache === undefined && (r.attempt ?? 1) <= 1) {
      errors.add(r);
      series.add(r);
    }
    arrivals?.add(r);
    for (const sink of sinks) await sink.add(r);
  }
  const facts: RunFacts = { lines: report.lines, truncatedTail: report.truncatedTail, errors: errors.rows(), timeseries: series.rows(segments) };
  if (arrivals && phases) facts.arrivals = arrivals.facts(phases);
  return facts;
}
