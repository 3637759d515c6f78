/**
 * Walks the members of a JSON object in a byte buffer without parsing their values, so that a large
 * summary.json can be parsed one member at a time (100,000 persona×location scopes parsed at once take
 * ~265 MB of heap; one persona's 1,000 at a time take a few MB). Works on any valid JSON: whitespace and
 * key order do not matter.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

export interface Member {
  key: string;
  /** Byte offsets of the member's value: buf.subarray(start, end) is valid JSON. */
  start: number;
  end: number;
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** The end (exclusive) of the string whose opening quote is at `i`. */
function stringEnd(buf: Uint8Array, i: number): number {
  for (let j = i + 1; j < buf.length; j++) {
    const b = buf[j]!;
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The end (exclusive) of the value starting at `i`. */
function valueEnd(buf: Uint8Array, i: number): number {
  const first = buf[i]!;
  if (first === QUOTE) return stringEnd(buf, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let j = i;
    while (j < buf.length && buf[j] !== COMMA && buf[j] !== CLOSE_BRACE && buf[j] !== CLOSE_BRACKET && !isSpace(buf[j]!)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < buf.length; j++) {
    const b = buf[j]!;
    if (b === QUOTE) j = stringEnd(buf, j) - 1;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
    else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      if (--depth === 0) return j + 1;
    }
  }
  throw new SyntaxError('unterminated object or array');
}

const skipSpace = (buf: Uint8Array, i: number) => {
  while (i < buf.length && isSpace(buf[i]!)) i++;
  return i;
};

/** Members of the object whose `{` is at or after `from` (after whitespace). Throws SyntaxError on malformed input. */
export function* objectMembers(buf: Buffer, from = 0): Generator<Member> {
  let i = skipSpace(buf, from);
  if (buf[i] !== OPEN_BRACE) throw new SyntaxError(`expected an object at byte ${i}`);
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACE) return;
  for (;;) {
    if (buf[i] !== QUOTE) throw new SyntaxError(`expected a key at byte ${i}`);
    const keyEnd = stringEnd(buf, i);
    const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
    i = skipSpace(buf, keyEnd);
    if (buf[i] !== COLON) throw new SyntaxError(`expected ':' at byte ${i}`);
    const start = skipSpace(buf, i + 1);
    const end = valueEnd(buf, start);
    yield { key, start, end };
    i = skipSpace(buf, end);
    if (buf[i] === COMMA) i = skipSpace(buf, i + 1);
    else if (buf[i] === CLOSE_BRACE) return;
    else throw new SyntaxError(`expected ',' or '}' at byte ${i}`);
  }
}

export const parseMember = <T>(buf: Buffer, m: Member): T => JSON.parse(buf.toString('utf8', m.start, m.end)) as T;
