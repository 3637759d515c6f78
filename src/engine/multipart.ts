/**
 * multipart/form-data request bodies, streamed: field parts are small strings, file parts are read
 * from disk in 64 KiB chunks while the request is sent, so an upload never sits in memory whole. The
 * length is known up front (files are sized at load), so the request carries a Content-Length.
 * A body can be streamed again (a retry, a 307/308 redirect): each `stream()` reads the files anew.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';

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
        let read = 0;
        for await (const chunk of createReadStream(piece.file, { start: 0, end: piece.size - 1, highWaterMark: 64 * 1024 })) {
          read += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (read !== piece.size) throw new UploadFileChangedError(piece.file, piece.size, read);
      }
    },
  };
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
