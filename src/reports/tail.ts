import { open } from 'node:fs/promises';

/**
 * Whether results.ndjson ends in a cut-off line, read from the end of the file only, so that
 * requests.csv can be marked before the streaming pass that would find out at its end.
 */
export async function hasCutOffTail(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const chunks: Buffer[] = [];
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - 65536);
      const buf = Buffer.alloc(end - start);
      await handle.read(buf, 0, buf.length, start);
      if (end === size && buf[buf.length - 1] === 0x0a) return false;
      chunks.unshift(buf);
      const nl = buf.lastIndexOf(0x0a, end === size ? buf.length - 1 : undefined);
      if (nl >= 0) {
        chunks[0] = buf.subarray(nl + 1);
        break;
      }
      end = start;
    }
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return false;
    } catch {
      return true;
    }
  } finally {
    await handle.close();
  }
}
