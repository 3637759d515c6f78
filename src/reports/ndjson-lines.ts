/**
 * results.ndjson, one parsed line at a time, with results-reader.ts's contract (a cut-off last line is
 * skipped and reported; a bad line before it throws, naming it) but about 3× faster: 1 MB chunks split
 * on '\n' instead of readline, which matters at 1,000,000 lines.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { ReadResultsReport, ResultLine } from '../run/results-reader.js';

export async function* readResultLines(path: string, report: ReadResultsReport): AsyncGenerator<ResultLine> {
  report.lines = 0;
  report.truncatedTail = false;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) !== -1) {
      lineNo++;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end > start) {
        yield parse(text.slice(start, end), lineNo, path);
        report.lines++;
      }
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) {
    // The last line has no newline: whole if it parses, otherwise cut off by a kill.
    let parsed: ResultLine | undefined;
    try {
      parsed = JSON.parse(rest) as ResultLine;
    } catch {
      report.truncatedTail = true;
    }
    if (parsed !== undefined) {
      report.lines++;
      yield parsed;
    }
  }
}

function parse(text: string, no: number, path: string): ResultLine {
  try {
    return JSON.parse(text) as ResultLine;
  } catch {
    throw new Error(`${path}, line ${no}: not a JSON result line (the file is corrupt before its last line)`);
  }
}
