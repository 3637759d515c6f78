/**
 * The file side of writing results.ndjson: the line format and opening the file. The sink
 * (src/sinks/ndjson.ts) owns batching and backpressure; merge copies lines through the same opener.
 */
import { createWriteStream, writeSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { ResultRecord } from '../engine/records.js';
import { runDirPaths } from './layout.js';

/**
 * The loss window of results.ndjson: a completed result is handed to the file (the kernel, which keeps
 * it through a `kill -9` of troupe) at the latest `ms` after it completed, or as soon as `lines` results
 * wait; so a `kill -9` loses fewer than `lines` results, and only those of the last `ms`. The price,
 * measured writing 100,000 results to the sink as fast as they come: 5.3–8.7 µs per result (JSON
 * included) against 4.0–5.1 µs with the former 50 ms / 256 KiB batches, ~1–1.5 % of a core at 5,000
 * results/s (a loaded 2-core machine: noisy). `--workers N` adds each worker's batch
 * (WORKER_BATCH records, the same `ms`) on its way to the main thread.
 */
export const RESULTS_FLUSH = { lines: 16, ms: 10 } as const;
/** Records per batch from a worker thread to the main thread (see src/run/worker-entry.ts). */
export const WORKER_BATCH = 32;

/**
 * The line written to results.ndjson for one result: the record without its stream `type`, byte for
 * byte what `JSON.stringify` writes (same keys, same order, same number and string text), built by
 * hand because serialising cost ~6 % of a persona-mode run's CPU (issue 12), most of it turning
 * decimal latencies into text. Keys come in the record's own order (for…in, as JSON.stringify takes
 * them); values that are not plain strings, numbers, booleans or null go through JSON.stringify.
 */
export function resultLine(record: ResultRecord): string {
  let line = '{';
  let field = 0;
  for (const key in record) {
    if (key === 'type') continue;
    const value = (record as unknown as Record<string, unknown>)[key];
    let text: string;
    switch (typeof value) {
      case 'string':
        // Most string fields repeat from one record to the next (persona, location, step, url, …).
        if (lastValues[field] === value) text = lastTexts[field]!;
        else {
          text = NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
          lastValues[field] = value;
          lastTexts[field] = text;
        }
        break;
      case 'number':
        text = numberText(value);
        break;
      case 'boolean':
        text = value ? 'true' : 'false';
        break;
      case 'object':
        text = value === null ? 'null' : JSON.stringify(value);
        break;
      default:
        // undefined (and anything else JSON leaves out): no key.
        continue;
    }
    line += field === 0 ? `${keyText(key)}${text}` : `,${keyText(key)}${text}`;
    field++;
  }
  return `${line}}\n`;
}

/** What JSON.stringify escapes in a string (quote, backslash, control characters, surrogates, which it may). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const lastValues: unknown[] = [];
const lastTexts: string[] = [];
const KEY_TEXT = new Map<string, string>();
function keyText(key: string): string {
  let text = KEY_TEXT.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    // Bounded: record keys are a fixed set, but nothing here should grow without end.
    if (KEY_TEXT.size < 256) KEY_TEXT.set(key, text);
  }
  return text;
}

/** `.001` … `.999` for the thousandths of a millisecond (`''` for none), as String(n / 1000) ends. */
const FRACTION = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '' : String(f / 1000).slice(1)));
/** Past this many microseconds (11.5 days) the whole-microsecond shortcut is not taken. */
const MAX_MICROS = 1e12;

/**
 * A number as JSON writes it. Latencies are rounded to whole microseconds (round3 in the engine), so
 * a value that is exactly `us / 1000` is written as the integer part and a table entry: the same
 * text as String(n) (the shortest round-trip form: test/result-line.test.ts checks every value up to
 * 2,000 s and a sample beyond), without a double-to-text conversion per field. Anything else
 * (integers, other fractions, negatives, non-finite) takes String(n), or null as JSON does.
 */
export function numberText(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  const us = Math.round(n * 1000);
  if (us > 0 && us <= MAX_MICROS && us / 1000 === n) {
    const fraction = us % 1000;
    return `${(us - fraction) / 1000}${FRACTION[fraction]}`;
  }
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * `<dir>/results.ndjson`, open for writing once the promise resolves. `append` (a run, a resume) adds
 * to what is there; `new` (merge) fails if the file exists.
 */
export async function openResults(dir: string, mode: 'append' | 'new' = 'append'): Promise<WriteStream> {
  const stream = createWriteStream(runDirPaths(dir).results, { flags: mode === 'append' ? 'a' : 'wx' });
  await once(stream, 'open');
  return stream;
}

/** results.ndjson open for appending, written synchronously: see `openResultsAppender`. */
export interface ResultsAppender {
  /** Hands `text` to the kernel before it returns (throws what the write threw). */
  append(text: string): void;
  close(): Promise<void>;
}

/**
 * `<dir>/results.ndjson` for a run's batches, appended with one synchronous write each. An append to
 * a local file is a copy into the page cache (~20 µs for a batch here), where an asynchronous stream
 * write costs ~50 µs of the loop's thread and a hand-off to libuv's thread pool, which on a generator
 * pinned to one core takes that core from the responses being timed (issue 12). It also leaves no
 * buffer to grow: the kernel has each batch when the call returns, which is what the loss window
 * (RESULTS_FLUSH) promises.
 */
export async function openResultsAppender(dir: string): Promise<ResultsAppender> {
  const handle = await open(runDirPaths(dir).results, 'a');
  return {
    append(text) {
      // The string is handed to the write as it is: encoding it into a Buffer first cost a fresh
      // ArrayBuffer per batch (external memory the young-generation GC sweeps) for the same bytes.
      const written = writeSync(handle.fd, text);
      if (written >= Buffer.byteLength(text, 'utf8')) return;
      // A short write (a full disk, a signal): the rest from the byte where it stopped.
      const bytes = Buffer.from(text, 'utf8');
      let offset = written;
      while (offset < bytes.length) offset += writeSync(handle.fd, bytes, offset, bytes.length - offset);
    },
    close: () => handle.close(),
  };
}
