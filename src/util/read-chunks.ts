import { statSync } from 'node:fs';

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
