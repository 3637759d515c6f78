/** Looking for a secret in what troupe wrote: every encoded form of it, in every file and PDF stream. */
import { inflateSync } from 'node:zlib';

/** Every form the sentinel could take in a file: raw, hex (PDF text strings), UTF-16BE hex, base64. */
export function forms(secret: string): Array<[string, Buffer]> {
  const hex = Buffer.from(secret).toString('hex');
  const utf16 = Buffer.from(secret, 'utf16le').swap16().toString('hex');
  return [
    ['raw', Buffer.from(secret)],
    ['hex', Buffer.from(hex)],
    ['HEX', Buffer.from(hex.toUpperCase())],
    ['utf16 hex', Buffer.from(utf16)],
    ['base64', Buffer.from(Buffer.from(secret).toString('base64').slice(0, 20))],
  ];
}

/** The bytes of a file plus, for a PDF, every Flate stream inflated. */
export function searchable(name: string, bytes: Buffer): Buffer[] {
  const out = [bytes];
  if (!name.endsWith('.pdf')) return out;
  const text = bytes.toString('latin1');
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    try {
      out.push(inflateSync(bytes.subarray(start, end)));
    } catch {
      // not a Flate stream
    }
  }
  return out;
}
