/**
 * The file side of writing results.ndjson: the line format and opening the file. The sink
 * (src/sinks/ndjson.ts) owns batching and backpressure; merge copies lines through the same opener.
 */
import { createWriteStream, writeSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { ResultRecord } from '../engine/records.js';
import { runDirPaths } from './layout.js';

const TYPE_PREFIX = '{"type":"result",';

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
 * The line written to results.ndjson for one result: the record without its stream `type`. Records are
 * built with `type` first, so cutting the prefix off the serialised record saves copying the object
 * for every request; anything else takes the general path.
 */
export function resultLine(record: ResultRecord): string {
  const json = JSON.stringify(record);
  if (json.startsWith(TYPE_PREFIX)) return `{${json.slice(TYPE_PREFIX.length)}\n`;
  const { type: _type, ...line } = record;
  return `${JSON.stringify(line)}\n`;
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
