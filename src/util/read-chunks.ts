import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The read size for streaming a file: 1 MiB for big files (few reads), the file's own size for small
 * ones. Each read allocates a buffer of this size, so a fixed 1 MiB for a 200-byte persona file would
 * leave a megabyte of garbage per file read — memory a run does not need (and that an upload's memory
 * test sees).
 */
export function readChunkBytes(path: string): number {
  let size = 1 << 20;
  try {
    size = statSync(path).size;
  } catch {
    // The read that follows reports the missing or unreadable file.
  }
  return Math.min(1 << 20, Math.max(16 << 10, size));
}

/**
 * A file's bytes in chunks read into two buffers taken in turn, so a 100 MB file read end to end
 * allocates 2 MiB instead of a hundred 1 MiB chunks left for the GC to free (seen as tens of MB of
 * peak RSS while a large locations file is parsed and hashed). A chunk stays valid until the one
 * after the next is read: its consumer must copy what it keeps longer (csv-parse keeps at most a
 * tail of the latest chunk, and concatenates it into a new buffer with the next).
 */
export async function* readChunks(path: string): AsyncGenerator<Buffer> {
  const size = readChunkBytes(path);
  const handle = await open(path, 'r');
  try {
    const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
    for (let turn = 0; ; turn ^= 1) {
      const buffer = buffers[turn]!;
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
