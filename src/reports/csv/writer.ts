/**
 * RFC 4180 CSV files (UTF-8, CRLF, header row) written with csv-stringify, atomically: rows go to a temp file
 * beside the target, renamed over it on close, so a reader never sees half a report.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type Cell = string | number | boolean | null | undefined;

/** A spreadsheet runs a cell that starts with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Strings that a spreadsheet would run as a formula get a leading `'`; numbers stay numbers, negative ones too. */
export function neutralise(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export const CSV_OPTIONS = {
  record_delimiter: 'windows',
  // csv-stringify quotes only the record delimiter (CRLF) by itself; a lone CR or LF inside a cell must be quoted too.
  quoted_match: /[\r\n]/,
  cast: {
    string: neutralise,
    boolean: (value: boolean) => (value ? 'true' : 'false'),
    number: (value: number) => (Number.isFinite(value) ? String(value) : ''),
  },
} as const;

type StringifySync = (rows: Cell[][], options: typeof CSV_OPTIONS) => string;
let stringifySync: StringifySync | null = null;

/** csv-stringify is loaded on first use, so that `troupe --help` does not pay for it. */
async function loadStringify(): Promise<StringifySync> {
  if (stringifySync === null) {
    const mod = await import('csv-stringify/sync');
    stringifySync = mod.stringify as unknown as StringifySync;
  }
  return stringifySync;
}

/** Rows are stringified in batches (csv-stringify's sync API) and written with backpressure. */
export class CsvFile {
  private readonly temp: string;
  private readonly out: WriteStream;
  private batch: Cell[][] = [];
  private rowsWritten = 0;
  /** The stream's error, kept for the next flush or close: an 'error' with no listener would crash the process. */
  private failure: Error | null = null;

  private constructor(readonly path: string, private readonly stringify: StringifySync, private readonly encode?: (row: Cell[]) => string) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    this.out = createWriteStream(this.temp, { encoding: 'utf8' });
    // Also after abort(): the header written at open is still queued when a report fails at once (a
    // damaged results line), and the destroyed stream reports it as ERR_STREAM_DESTROYED.
    this.out.on('error', (error) => {
      this.failure ??= error;
    });
  }

  /** `encode`: a faster row encoder that gives the same bytes (see encode.ts); csv-stringify by default. */
  static async open(path: string, header: readonly string[], encode?: (row: Cell[]) => string): Promise<CsvFile> {
    const file = new CsvFile(path, await loadStringify(), encode);
    file.out.write(file.stringify([header as string[]], CSV_OPTIONS));
    return file;
  }

  get rows(): number {
    return this.rowsWritten + this.batch.length;
  }

  /** Resolves at once unless the disk is behind, so a caller that awaits every row stays fast. */
  async push(row: Cell[]): Promise<void> {
    this.batch.push(row);
    if (this.batch.length >= 2000) await this.flush();
  }

  async pushAll(rows: Iterable<Cell[]> | AsyncIterable<Cell[]>): Promise<void> {
    for await (const row of rows) await this.push(row);
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.batch.length === 0) return;
    const text = this.encode ? this.batch.map(this.encode).join('') : this.stringify(this.batch, CSV_OPTIONS);
    this.rowsWritten += this.batch.length;
    this.batch = [];
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.failure) throw this.failure;
    this.out.end();
    await once(this.out, 'finish');
    await rename(this.temp, this.path);
  }

  async abort(): Promise<void> {
    this.out.destroy();
    await unlink(this.temp).catch(() => undefined);
  }
}

/** A whole table in one go. */
export async function writeCsv(path: string, header: readonly string[], rows: Iterable<Cell[]> | AsyncIterable<Cell[]>): Promise<number> {
  const file = await CsvFile.open(path, header);
  try {
    await file.pushAll(rows);
    const n = file.rows;
    await file.close();
    return n;
  } catch (err) {
    await file.abort();
    throw err;
  }
}
