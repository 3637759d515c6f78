/**
 * multipart/form-data request bodies, streamed: field parts are small strings, file parts are read
 * from disk in 64 KiB chunks while the request is sent, so an upload never sits in memory whole. The
 * length is known up front (files are sized at load), so the request carries a Content-Length.
 * A body can be streamed again (a retry, a 307/308 redirect): each `stream()` reads the files anew.
 *
 * File chunks are read into a ring of three reused buffers, not a fresh buffer per read: fresh ones are
 * garbage that V8 collects only after tens of MB (external memory), so four 5 MB uploads raised RSS by
 * 20 MB although nothing was held. Reuse is safe because the sender (undici) asks for the next chunk
 * only once the socket accepted the last one without passing its high-water mark, or drained: a chunk
 * still queued counts in the socket's writableLength, and two queued 64 KiB chunks exceed any
 * high-water mark (16 KiB on Node 20, 64 KiB on Node 22), so a buffer comes round again only when
 * the writes that used it are done.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

/** A request body produced while it is sent. */
export interface StreamedBody {
  /** Bytes the body has, for Content-Length. */
  readonly length: number;
  /** A fresh pass over the body's bytes. */
  stream(): AsyncIterable<Uint8Array>;
  /** What identifies the content (fields and files, not the boundary): the harness cache's key. */
  readonly identity: string;
}

export type RenderedPart =
  | { name: string; value: string }
  | { name: string; file: string; size: number; filename: string; contentType: string };

/** Thrown while streaming when an upload file changed size after it was checked at load. */
export class UploadFileChangedError extends Error {
  readonly code = 'TROUPE_UPLOAD_FILE_CHANGED';
  constructor(file: string, expected: number, got: number) {
    super(`upload file ${file} changed during the run: ${got} bytes read, ${expected} expected (its size when the run started)`);
  }
}

// One random prefix per process and a counter: a boundary unique per request without a random draw each time.
const BOUNDARY_PREFIX = `----troupe${randomBytes(9).toString('hex')}`;
let boundaries = 0;

/** As browsers escape them (WHATWG multipart/form-data): quote, CR and LF percent-encoded. */
function escapeName(text: string): string {
  return text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

const CHUNK = 64 * 1024;
const RING = 3;

/** Exactly `size` bytes of the file, as views of a ring of reused buffers (see the top of this file). */
async function* readFile(path: string, size: number): AsyncGenerator<Buffer> {
  const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(Math.min(CHUNK, size)));
  const handle = await open(path, 'r');
  try {
    let position = 0;
    for (let turn = 0; position < size; turn++) {
      const buffer = ring[turn % RING]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) throw new UploadFileChangedError(path, size, position);
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

export function multipartBody(parts: readonly RenderedPart[]): { body: StreamedBody; contentType: string } {
  const boundary = `${BOUNDARY_PREFIX}${(boundaries++).toString(36)}`;
  const pieces: Array<Buffer | { file: string; size: number }> = [];
  const identity: string[] = [];
  for (const part of parts) {
    if ('value' in part) {
      pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(part.name)}"\r\n\r\n${part.value}\r\n`));
      identity.push(`${part.name}=${part.value}`);
    } else {
      pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(part.name)}"; filename="${escapeName(part.filename)}"\r\nContent-Type: ${part.contentType}\r\n\r\n`));
      pieces.push({ file: part.file, size: part.size });
      pieces.push(Buffer.from('\r\n'));
      identity.push(`${part.name}=@${part.file};${part.filename};${part.contentType}`);
    }
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  const length = pieces.reduce((sum, piece) => sum + (Buffer.isBuffer(piece) ? piece.length : piece.size), 0);
  const body: StreamedBody = {
    length,
    identity: `multipart\n${identity.join('\n')}`,
    async *stream() {
      for (const piece of pieces) {
        if (Buffer.isBuffer(piece)) {
          yield piece;
          continue;
        }
        if (piece.size === 0) continue;
        yield* readFile(piece.file, piece.size);
      }
    },
  };
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
