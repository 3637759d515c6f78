/**
 * results.tape: `troupe bench`'s results while it runs, five numbers a response in binary, turned into
 * results.ndjson when the bench ends (`materialiseResultsTape`). Why not the lines themselves: at
 * 80,000 responses a second against nginx, building, encoding and writing 280-byte lines (22 MB/s)
 * and collecting their strings cost autocannon ~8 % of its requests (issue 12: `troupe bench` ≥ 0.97×
 * bare autocannon; `node bench/throughput.mjs --tools bench`); a tape block is one vectored write of
 * the typed arrays the bench already holds, 27 bytes a response, and the lines are written after
 * autocannon's measured window. Results still reach the kernel as they complete (every 10 ms, see
 * src/bench/tape.ts), so a `kill -9` loses no more than it did: readers of a run directory that still
 * holds a tape read their lines from it (src/run-dir/results.ts), and the tape's lines are exactly what
 * results.ndjson gets.
 *
 * The format (the header's length little-endian, the blocks' numbers in the writing machine's byte order,
 * little-endian on x64 and arm64: they are the bench's typed arrays as they are):
 *   "TRTAPE1\n", u32 n, the header (n bytes of JSON: the constant fields of every response's line)
 *   blocks, each u32 kind, u32 size, then:
 *     kind 1, responses: size = count; f64 latencyMs[count], f64 endAt[count] (epoch ms it completed),
 *       f64 bytes[count], u16 status[count], u8 cache[count] (CACHE_STATUSES index); numbered on from
 *       the responses and failures before it, `<persona>/1`, `<persona>/2`, …
 *     kind 2, a failed request: size = byte length of its results.ndjson line (UTF-8, newline included)
 * A block cut off by a kill (fewer bytes than it says) ends the tape; readers report it as a cut-off tail.
 */
import { once } from 'node:events';
import { closeSync, createWriteStream, openSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { blockTimes, CACHE_STATUSES, type CacheStatus, type ResponseBlock } from '../engine/records.js';
import { errorForStatus } from '../engine/classify-error.js';
import { DamagedFileError } from '../errors.js';
import { runDirPaths } from './layout.js';
import { shownPath } from './paths.js';
import type { ResultLine } from './results.js';
import { tempPathFor } from '../util/atomic-write.js';

const MAGIC = Buffer.from('TRTAPE1\n', 'latin1');
const RESPONSES = 1;
const FAILURE = 2;
/** Bytes a response takes in a block. */
export const TAPE_RESPONSE_BYTES = 8 * 3 + 2 + 1;

/** The fields every line of the tape shares. */
export interface TapeHeader {
  persona: string;
  location: string;
  step: string;
  method: string;
  url: string;
}

/** A block of responses as the bench holds them (src/engine/records.ts). */
export type TapeResponses = ResponseBlock;

/** `cache` code of a status, as the tape stores it. */
export const CACHE_CODE: ReadonlyMap<CacheStatus, number> = new Map(CACHE_STATUSES.map((s, i) => [s, i]));

/** results.tape open for appending blocks, each written synchronously (the kernel has it when the call returns). */
export class ResultsTapeWriter {
  private readonly blockHead = new Uint32Array(2);
  private failure: Error | null = null;

  private constructor(private fd: number | null) {}

  /** Creates `<dir>/results.tape` (it must not exist) with its header. */
  static create(dir: string, header: TapeHeader): ResultsTapeWriter {
    const fd = openSync(runDirPaths(dir).resultsTape, 'wx');
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    writeAll(fd, [MAGIC, length, json]);
    return new ResultsTapeWriter(fd);
  }

  responses(block: TapeResponses): void {
    const { count } = block;
    if (count === 0) return;
    this.write([
      this.head(RESPONSES, count),
      bytesOf(block.latencyMs, count),
      bytesOf(block.endAt, count),
      bytesOf(block.bytes, count),
      bytesOf(block.status, count),
      bytesOf(block.cache, count),
    ]);
  }

  /** A failed request's line (resultLine of its record, id and iteration set). */
  failed(line: string): void {
    const text = Buffer.from(line, 'utf8');
    this.write([this.head(FAILURE, text.length), text]);
  }

  /** Closes the file; throws the first write failure, if there was one. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.failure) throw this.failure;
  }

  private head(kind: number, size: number): Uint8Array {
    this.blockHead[0] = kind;
    this.blockHead[1] = size;
    return new Uint8Array(this.blockHead.buffer);
  }

  private write(parts: Uint8Array[]): void {
    if (this.fd === null || this.failure) return;
    try {
      writeAll(this.fd, parts);
    } catch (err) {
      this.failure = err as Error;
    }
  }
}

const bytesOf = (array: Float64Array | Uint16Array | Uint8Array, count: number): Uint8Array =>
  new Uint8Array(array.buffer, array.byteOffset, count * array.BYTES_PER_ELEMENT);

/** One vectored write, and the rest after a short one (a full disk, a signal). */
function writeAll(fd: number, parts: Uint8Array[]): void {
  let written = writevSync(fd, parts);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  if (written === total) return;
  for (const part of parts) {
    if (written >= part.byteLength) {
      written -= part.byteLength;
      continue;
    }
    let offset = written;
    written = 0;
    while (offset < part.byteLength) offset += writeSync(fd, part, offset, part.byteLength - offset);
  }
}

/** What reading a tape found. */
export interface TapeReadReport {
  /** True when the last block was cut off (the process was killed mid-write) and was skipped. */
  truncatedTail: boolean;
}

/**
 * The tape's results.ndjson text, a block at a time (a block's lines joined, each with its newline),
 * with the parsed lines beside it when `parsed` (readers) and without (materialising).
 */
export async function* readTapeBlocks(path: string, report: TapeReadReport = { truncatedTail: false }, parsed = true): AsyncGenerator<{ text: string; count: number; results: ResultLine[] }> {
  report.truncatedTail = false;
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    let position = 0;
    const read = async (length: number): Promise<Buffer | null> => {
      if (position + length > size) return null;
      // Its own ArrayBuffer at offset 0: the typed arrays below are views on it, and need their alignment.
      const buffer = Buffer.from(new ArrayBuffer(length));
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead < length) return null;
      position += length;
      return buffer;
    };
    const start = await read(MAGIC.length + 4);
    if (start === null) {
      report.truncatedTail = true;
      return;
    }
    if (!start.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged(path, 'not a results tape (its first bytes are not "TRTAPE1")');
    const headerBytes = await read(start.readUInt32LE(MAGIC.length));
    if (headerBytes === null) {
      report.truncatedTail = true;
      return;
    }
    const lines = new TapeLines(JSON.parse(headerBytes.toString('utf8')) as TapeHeader);
    for (;;) {
      if (position === size) return;
      const head = await read(8);
      if (head === null) break;
      const [kind, count] = blockHead(head);
      if (kind !== RESPONSES && kind !== FAILURE) throw damaged(path, `unknown block kind ${kind} at byte ${position - 8}`);
      const body = await read(kind === RESPONSES ? count * TAPE_RESPONSE_BYTES : count);
      if (body === null) break;
      if (kind === FAILURE) {
        const text = body.toString('utf8');
        const result = lines.failed(text, parsed);
        yield { text, count: 1, results: result === null ? [] : [result] };
        continue;
      }
      const block: TapeResponses = {
        count,
        latencyMs: new Float64Array(body.buffer, 0, count),
        endAt: new Float64Array(body.buffer, count * 8, count),
        bytes: new Float64Array(body.buffer, count * 16, count),
        status: new Uint16Array(body.buffer, count * 24, count),
        cache: new Uint8Array(body.buffer, count * 26, count),
      };
      const results: ResultLine[] = [];
      yield { text: lines.responses(block, parsed ? results : null), count, results };
    }
    report.truncatedTail = true;
  } finally {
    await handle.close();
  }
}

/** Whether the tape's last block was cut off by a kill: block headers only, each body skipped. */
export async function tapeEndsCutOff(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(8);
    const readAt = async (position: number, length: number): Promise<boolean> =>
      position + length <= size && (await handle.read(head, 0, length, position)).bytesRead === length;
    if (!(await readAt(0, 4)) || !(await readAt(MAGIC.length, 4))) return true;
    let position = MAGIC.length + 4 + head.readUInt32LE(0);
    while (position < size) {
      if (!(await readAt(position, 8))) return true;
      const [kind, count] = blockHead(head);
      position += 8 + (kind === RESPONSES ? count * TAPE_RESPONSE_BYTES : count);
    }
    return position > size;
  } finally {
    await handle.close();
  }
}

/** A block's kind and size, as ResultsTapeWriter wrote them (two u32 in the machine's byte order). `bytes`: 8, at an offset of 0. */
function blockHead(bytes: Buffer): [kind: number, size: number] {
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
  return [u32[0]!, u32[1]!];
}

function damaged(path: string, problem: string): DamagedFileError {
  return new DamagedFileError(path, `${shownPath(path)}: ${problem} (the file is damaged)`);
}

/** `.001` … `.999` as JSON writes them (no trailing zeros), '' for 0: a latency's fraction, looked up. */
const FRACTION = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * `String(us / 1000)` for a whole number of microseconds, from two small integers: V8 writes a small
 * integer from its number-string cache, where a fractional double takes the shortest-decimal algorithm.
 * Equal because a value with three decimals below 2^31 µs has no shorter decimal of the same double.
 */
export function microsText(us: number): string {
  if (!(us >= 0 && us < 2 ** 31 && Number.isInteger(us))) return String(us / 1000);
  return `${(us / 1000) | 0}${FRACTION[us % 1000]}`;
}

/**
 * The lines of a tape's blocks, equal to resultLine of the records they stand for, built from the
 * header's constant parts (no JSON.stringify per line: ids, statuses, error codes and cache statuses
 * need no escaping). Numbering runs across blocks, failures included.
 */
export class TapeLines {
  private n = 0;
  private readonly id: string;
  private readonly head: string;
  private readonly middle: string;

  constructor(private readonly header: TapeHeader) {
    this.id = `{"id":${JSON.stringify(`${header.persona}/`).slice(0, -1)}`;
    this.head = `","persona":${JSON.stringify(header.persona)},"location":${JSON.stringify(header.location)},"iteration":`;
    this.middle = `,"step":${JSON.stringify(header.step)},"method":${JSON.stringify(header.method)},"url":${JSON.stringify(header.url)},"status":`;
  }

  responses(block: TapeResponses, results: ResultLine[] | null): string {
    const { id, head, middle, header } = this;
    let text = '';
    for (let i = 0; i < block.count; i++) {
      const n = ++this.n;
      const status = block.status[i]!;
      const error = errorForStatus(status);
      const { us, latencyMs, startedAt } = blockTimes(block.latencyMs[i]!, block.endAt[i]!);
      const bytes = block.bytes[i]!;
      const cache = CACHE_STATUSES[block.cache[i]!] ?? 'unknown';
      text += `${id}${n}${head}${n}${middle}${status},"ok":${error === null},"error":${error === null ? 'null' : `"${error}"`},"latencyMs":${microsText(us)},"ttfbMs":null,"bytes":${bytes},"protocol":"http/1.1","cache":"${cache}","startedAt":${startedAt}}\n`;
      results?.push({
        id: `${header.persona}/${n}`, persona: header.persona, location: header.location, iteration: n, step: header.step, method: header.method, url: header.url,
        status, ok: error === null, error, latencyMs, ttfbMs: null, bytes, protocol: 'http/1.1', cache, startedAt,
      });
    }
    return text;
  }

  /** A failure's line (it carries its own id): counted in the numbering, parsed when asked. */
  failed(text: string, parse: boolean): ResultLine | null {
    this.n++;
    return parse ? (JSON.parse(text) as ResultLine) : null;
  }
}

/**
 * The tape that holds `<results.ndjson>`'s lines in its place (a bench that was killed, or one that is
 * running), or null: the path is not a run directory's results.ndjson, or there is no tape beside it.
 */
export async function tapeBeside(resultsPath: string): Promise<string | null> {
  const dir = dirname(resultsPath);
  if (basename(resultsPath) !== basename(runDirPaths(dir).results)) return null;
  const tape = runDirPaths(dir).resultsTape;
  return (await exists(tape)) ? tape : null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * results.ndjson from `<dir>`'s tape, written to a temp file and renamed over it, then the tape
 * removed: a kill at any point leaves the tape (and the reader reads it) or the whole results.ndjson.
 * Returns the lines written, or null when the directory has no tape.
 */
export async function materialiseResultsTape(dir: string): Promise<{ lines: number; truncatedTail: boolean } | null> {
  const paths = runDirPaths(dir);
  if (!(await exists(paths.resultsTape))) return null;
  const temp = tempPathFor(paths.results);
  const out = createWriteStream(temp, { flags: 'wx' });
  // A process that exits meanwhile (`troupe bench` on a second Ctrl-C) leaves the tape, not a half-written temp file beside it.
  const removeTemp = () => {
    try {
      unlinkSync(temp);
    } catch {
      // renamed already, or never made
    }
  };
  process.once('exit', removeTemp);
  const report: TapeReadReport = { truncatedTail: false };
  let lines = 0;
  try {
    await once(out, 'open');
    let pending = '';
    for await (const block of readTapeBlocks(paths.resultsTape, report, false)) {
      pending += block.text;
      lines += block.count;
      if (pending.length >= 1 << 20) {
        if (!out.write(pending)) await once(out, 'drain');
        pending = '';
      }
    }
    out.end(pending);
    await once(out, 'close');
    await rename(temp, paths.results);
  } catch (err) {
    out.destroy();
    await unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    process.off('exit', removeTemp);
  }
  await unlink(paths.resultsTape);
  return { lines, truncatedTail: report.truncatedTail };
}
