/**
 * Compressed response bodies (`compression`): troupe asks for gzip, deflate and br, and decodes what
 * comes back as it arrives — zlib streams, off the event loop — so that checks and captures read the
 * text and results can say how many bytes the wire carried and how many the body had.
 */
import zlib from 'node:zlib';

/** Sent when a request names no Accept-Encoding of its own. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

const KNOWN = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** Thrown when a body does not decode as its Content-Encoding says. */
export class DecodeError extends Error {
  readonly code = 'TROUPE_DECODE';
  constructor(encoding: string, cause: Error) {
    super(`the body does not decode as Content-Encoding ${encoding} says (${cause.message})`);
  }
}

/**
 * The codings to undo, in the order they were applied (Content-Encoding lists them so); null when the
 * response is not encoded, or uses a coding troupe does not decode (then the body is kept as it came).
 */
export function decodableEncodings(header: string | string[] | undefined): string[] | null {
  if (header === undefined) return null;
  const codings = (Array.isArray(header) ? header.join(',') : header).split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 || !codings.every((c) => KNOWN.has(c))) return null;
  return codings;
}

function decoderFor(coding: string, firstByte: number | undefined): zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress {
  // As fetch does: lenient about a missing trailer, and "deflate" that is raw deflate (no zlib header) too.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (coding === 'br') return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  if (coding === 'deflate') return firstByte !== undefined && (firstByte & 0x0f) !== 0x08 ? zlib.createInflateRaw(flush) : zlib.createInflate(flush);
  return zlib.createGunzip(flush);
}

/**
 * Decodes one body. `write` the wire chunks (false: pause until `onDrain`), then `end()`, which
 * resolves once the last decoded chunk went to `onData`. The chain is built on the first chunk: an
 * empty body (HEAD, 204, 304) decodes to nothing without a zlib error.
 */
export class BodyDecoder {
  private first: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress | null = null;
  private last: NodeJS.ReadableStream | null = null;
  private failure: Error | null = null;
  private readonly streams: Array<zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress> = [];

  constructor(
    private readonly codings: string[],
    private readonly onData: (chunk: Buffer) => void,
    private readonly onFail: (error: Error) => void,
  ) {}

  get started(): boolean {
    return this.first !== null;
  }

  write(chunk: Buffer, onDrain: () => void): boolean {
    if (this.failure) return true;
    if (!this.first) this.build(chunk[0]);
    const more = this.first!.write(chunk);
    if (!more) this.first!.once('drain', onDrain);
    return more;
  }

  end(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.first) return Promise.resolve();
    const last = this.last!;
    return new Promise((resolve, reject) => {
      last.once('end', () => (this.failure ? reject(this.failure) : resolve()));
      this.streams.forEach((s) => s.once('error', () => reject(this.failure)));
      this.first!.end();
    });
  }

  destroy(): void {
    for (const stream of this.streams) stream.destroy();
  }

  private build(firstByte: number | undefined): void {
    // Content-Encoding lists codings in the order applied: undo the last one first.
    const order = [...this.codings].reverse();
    order.forEach((coding, i) => {
      const stream = decoderFor(coding, i === 0 ? firstByte : undefined);
      stream.on('error', (err: Error) => {
        if (this.failure) return;
        this.failure = new DecodeError(coding, err);
        this.destroy();
        this.onFail(this.failure);
      });
      const before = this.streams[this.streams.length - 1];
      if (before) before.pipe(stream);
      this.streams.push(stream);
    });
    this.first = this.streams[0]!;
    this.last = this.streams[this.streams.length - 1]!;
    this.last.on('data', (chunk: Buffer) => {
      if (!this.failure) this.onData(chunk);
    });
  }
}
