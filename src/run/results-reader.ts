import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ResultRecord } from '../engine/records.js';

/** A line of results.ndjson: a result record without its stream `type`. */
export type ResultLine = Omit<ResultRecord, 'type'>;

export interface ReadResultsReport {
  /** Lines parsed. */
  lines: number;
  /** True when the last line was cut off (the process was killed mid-write) and was skipped. */
  truncatedTail: boolean;
}

/**
 * Streams results.ndjson one parsed line at a time (never the whole file in memory). A cut-off last
 * line — no trailing newline and not valid JSON — is skipped and reported; a bad line anywhere else is
 * corruption and throws, naming the line number.
 */
export async function* readResults(path: string, report?: ReadResultsReport): AsyncGenerator<ResultLine> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let pending: { text: string; no: number } | null = null;
  if (report) {
    report.lines = 0;
    report.truncatedTail = false;
  }
  for await (const text of rl) {
    lineNo++;
    if (pending) {
      yield parseLine(pending.text, pending.no, path);
      if (report) report.lines++;
    }
    pending = text.length ? { text, no: lineNo } : null;
  }
  if (pending) {
    // The last line: parse it if it is whole, otherwise it was cut off by a kill.
    try {
      const parsed = JSON.parse(pending.text) as ResultLine;
      if (report) report.lines++;
      yield parsed;
    } catch {
      if (report) report.truncatedTail = true;
    }
  }
}

function parseLine(text: string, no: number, path: string): ResultLine {
  try {
    return JSON.parse(text) as ResultLine;
  } catch {
    throw new Error(`${path}, line ${no}: not a JSON result line (the file is corrupt before its last line)`);
  }
}
