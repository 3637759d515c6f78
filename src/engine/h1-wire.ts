/**
 * The bytes of HTTP/1.1 for the lean client (h1-client.ts): the request head as one string, the
 * response parser (Node's own llhttp binding, the one node:http uses, so malformed responses fail with
 * the same llhttp reasons undici's copy of llhttp gives), response headers in undici's object form,
 * and errors carrying undici's codes so that classify-error.ts maps both clients alike.
 */
import { createRequire } from 'node:module';
import { maxHeaderSize } from 'node:http';

/** The parts of node:_http_common's HTTPParser this client uses (not in @types/node). */
export interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(chunk: Buffer): number | LlhttpError;
  finish(): number | LlhttpError | undefined;
  close(): void;
  [callback: number]: unknown;
}

export interface LlhttpError extends Error {
  code?: string;
  reason?: string;
}

interface LlhttpParserClass {
  new (): LlhttpParser;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

export const HTTPParser = (createRequire(import.meta.url)('_http_common') as { HTTPParser: LlhttpParserClass }).HTTPParser;

/** undici's header block limit (it uses node:http's too). */
export const MAX_HEADER_SIZE = maxHeaderSize;

/**
 * An error worded as undici's: its `code` and `name` are what classify-error.ts reads, so both clients
 * map to the same troupe error codes.
 */
function undiciError(code: string, name: string, defaultMessage = '') {
  return class extends Error {
    readonly code = code;
    override readonly name = name;
    constructor(message = defaultMessage) {
      super(message);
    }
  };
}

/** undici's SocketError: `other side closed`, `bad response` (an unasked 100 Continue), `closed`. */
export const H1SocketError = undiciError('UND_ERR_SOCKET', 'SocketError');
/** undici's word for two Content-Lengths, or one beside Transfer-Encoding. */
export const H1ContentLengthError = undiciError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ResponseContentLengthMismatchError', 'Response body length does not match content-length header');
export const H1HeadersOverflowError = undiciError('UND_ERR_HEADERS_OVERFLOW', 'HeadersOverflowError', 'Headers Overflow Error');
export const H1ConnectTimeoutError = undiciError('UND_ERR_CONNECT_TIMEOUT', 'ConnectTimeoutError');
export const H1InvalidArgumentError = undiciError('UND_ERR_INVALID_ARG', 'InvalidArgumentError');
export const H1DestroyedError = undiciError('UND_ERR_DESTROYED', 'ClientDestroyedError', 'The client is destroyed');
export const H1AbortedError = undiciError('UND_ERR_ABORTED', 'RequestAbortedError', 'Request aborted');

/**
 * The response broke HTTP/1.1, worded as undici's HTTPParserError (which carries no code: the name
 * is what classify-error.ts reads). llhttp's own code is kept apart.
 */
export class H1ParserError extends Error {
  override readonly name = 'HTTPParserError';
  constructor(readonly llhttpCode: string, reason: string) {
    super(`Response does not match the HTTP/1.1 protocol (${reason})`);
  }
}

export function parserError(error: LlhttpError): Error {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new H1HeadersOverflowError();
  if (error.code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || (error.code === 'HPE_INVALID_TRANSFER_ENCODING' && /Content-Length/.test(error.reason ?? ''))) return new H1ContentLengthError();
  return new H1ParserError(error.code ?? 'HPE_UNKNOWN', error.reason ?? error.message);
}

// undici's own checks (lib/core/util.js): a header name is a token, a value has no CR, LF or NUL.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Methods whose body undici announces with a Content-Length even when it is empty. */
const NO_EMPTY_LENGTH = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT']);

export type HeaderInput = Record<string, string | string[] | undefined> | string[] | null | undefined;

/**
 * `METHOD path HTTP/1.1`, the caller's headers, then Host (unless given), `connection: keep-alive`
 * (unless a Connection header was given) and the body's Content-Length, as undici writes them. Throws
 * H1InvalidArgumentError for a header undici would refuse.
 */
export function requestHead(method: string, path: string, host: string, headers: HeaderInput, bodyLength: number): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasConnection = false;
  const add = (name: string, value: string): void => {
    if (!TOKEN.test(name)) throw new H1InvalidArgumentError('invalid header key');
    if (BAD_VALUE.test(value)) throw new H1InvalidArgumentError(`invalid ${name} header`);
    const n = name.length;
    if (n === 4 && name.toLowerCase() === 'host') hasHost = true;
    else if (n === 10 && name.toLowerCase() === 'connection') hasConnection = true;
    // The body's real length is what goes on the wire (a redirect hop may carry a stale one).
    else if (n === 14 && name.toLowerCase() === 'content-length') return;
    else if ((n === 6 && name.toLowerCase() === 'expect') || (n === 17 && name.toLowerCase() === 'transfer-encoding') || (n === 7 && name.toLowerCase() === 'upgrade')) {
      throw new H1InvalidArgumentError(`invalid ${name.toLowerCase()} header`);
    }
    head += `${name}: ${value}\r\n`;
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
  } else if (headers) {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'string') add(name, value);
      else for (const one of value) add(name, one);
    }
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  if (!hasConnection) head += 'connection: keep-alive\r\n';
  if (bodyLength > 0 || !NO_EMPTY_LENGTH.has(method)) head += `content-length: ${bodyLength}\r\n`;
  return `${head}\r\n`;
}

export type ResponseHeaderObject = Record<string, string | string[]>;

/**
 * llhttp's flat `[name, value, …]` list as undici hands headers to a handler: lower-case names, a
 * repeated name as an array in arrival order (Set-Cookie, two X-Cache headers), `__proto__` as data.
 */
export function headerObject(raw: string[]): ResponseHeaderObject {
  const out: ResponseHeaderObject = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerName(raw[i]!);
    const value = raw[i + 1]!;
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    if (seen === undefined) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    } else if (typeof seen === 'string') out[name] = [seen, value];
    else seen.push(value);
  }
  return out;
}

// A server sends the same few names on every response: lower-cased once, not once per response.
const LOWER = new Map<string, string>();
function lowerName(name: string): string {
  let lower = LOWER.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    // Bounded: a server that invents names cannot grow it without end.
    if (LOWER.size < 512) LOWER.set(name, lower);
  }
  return lower;
}

/** `Keep-Alive: timeout=5` → 5000 ms; null when there is no timeout in it. */
export function keepAliveHintMs(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string') return null;
  const match = /timeout=(\d+)/i.exec(value);
  return match ? Number(match[1]) * 1000 : null;
}
