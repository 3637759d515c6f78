import type { RequestErrorCode } from './records.js';

/** Thrown by the sender itself when a response body passes maxResponseBytes. */
export class BodyTooLargeError extends Error {
  readonly code = 'TROUPE_BODY_TOO_LARGE';
  constructor(limit: number) {
    super(`response body exceeded maxResponseBytes (${limit} bytes)`);
  }
}

/** Thrown by the sender's own phase timers (undici's are coarse: about a second of granularity). */
export class PhaseTimeoutError extends Error {
  readonly code: 'TROUPE_TIMEOUT_HEADERS' | 'TROUPE_TIMEOUT_BODY';
  constructor(phase: 'headers' | 'body', ms: number) {
    super(phase === 'headers' ? `no response headers within ${ms} ms` : `the response body stalled for ${ms} ms`);
    this.code = phase === 'headers' ? 'TROUPE_TIMEOUT_HEADERS' : 'TROUPE_TIMEOUT_BODY';
  }
}

/** Thrown when the whole request (connect + headers + body) took longer than the total timeout. */
export class TotalTimeoutError extends Error {
  readonly code = 'TROUPE_TIMEOUT_TOTAL';
  constructor(ms: number) {
    super(`request exceeded the total timeout of ${ms} ms`);
  }
}

/** A request or redirect hop to a host outside `allowHosts`: nothing was sent to it. */
export class HostNotAllowedError extends Error {
  readonly code = 'TROUPE_HOST_NOT_ALLOWED';
  constructor(host: string, hop: number) {
    super(`${hop === 0 ? 'request' : `redirect hop ${hop}`} to ${host} refused: the host is not in allowHosts`);
  }
}

/** More redirects than `redirects.max` (a loop ends here too). */
export class TooManyRedirectsError extends Error {
  readonly code = 'TROUPE_TOO_MANY_REDIRECTS';
  constructor(max: number, loop: boolean) {
    super(`more than ${max} redirect${max === 1 ? '' : 's'}${loop ? ' (a loop: a URL came back)' : ''}`);
  }
}

/** The request was in flight when the grace period after an interrupt ran out. */
export class GraceAbortError extends Error {
  readonly code = 'TROUPE_ABORTED';
  constructor() {
    super('cut when the grace period after an interrupt ran out');
  }
}

const BY_CODE: Record<string, RequestErrorCode> = {
  ECONNREFUSED: 'conn_refused',
  ECONNRESET: 'conn_reset',
  EPIPE: 'conn_reset',
  UND_ERR_SOCKET: 'conn_reset',
  UND_ERR_CLOSED: 'conn_reset',
  UND_ERR_CONNECT_TIMEOUT: 'timeout_connect',
  ETIMEDOUT: 'timeout_connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout_headers',
  UND_ERR_BODY_TIMEOUT: 'timeout_body',
  TROUPE_TIMEOUT_HEADERS: 'timeout_headers',
  TROUPE_TIMEOUT_BODY: 'timeout_body',
  TROUPE_TIMEOUT_TOTAL: 'timeout_total',
  TROUPE_BODY_TOO_LARGE: 'body_too_large',
  TROUPE_HOST_NOT_ALLOWED: 'host_not_allowed',
  TROUPE_TOO_MANY_REDIRECTS: 'too_many_redirects',
  TROUPE_ABORTED: 'aborted',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'body_too_large',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EAI_FAIL: 'dns',
  UND_ERR_INFO: 'protocol',
  // A body that disagrees with its Content-Length (or two Content-Lengths), a header block past the
  // parser's limit: the response broke HTTP, whatever the socket did next.
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  UND_ERR_RESPONSE_STATUS_CODE: 'protocol',
  UND_ERR_INVALID_ARG: 'protocol',
};

const PROXY_REFUSED = /^Proxy response \(\d+\)/;

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** Map anything a request can throw to one stable code. Walks `cause` chains (undici and fetch wrap errors). */
export function classifyError(error: unknown): RequestErrorCode {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      // undici destroys the socket with "bad response" for an answer it cannot accept (a 1xx such as
      // 100 Continue where none was asked for, an unexpected upgrade): a protocol fault, not a reset.
      if (code === 'UND_ERR_SOCKET' && (current as { message?: unknown }).message === 'bad response') return 'protocol';
      // undici's ProxyAgent aborts the request when the proxy answers CONNECT with anything but 200
      // (407 for missing credentials, 403/502 for a refused target): the proxy's fault, not the target's.
      if (code === 'UND_ERR_ABORTED' && PROXY_REFUSED.test(String((current as { message?: unknown }).message))) return 'proxy';
      const known = BY_CODE[code];
      if (known) return known;
      if (TLS_CODE.test(code)) return 'tls';
      if (code.startsWith('HPE_')) return 'protocol';
    }
    const name = (current as { name?: unknown }).name;
    if (name === 'HTTPParserError') return 'protocol';
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}

export function errorForStatus(status: number): RequestErrorCode | null {
  if (status < 100 || status > 599) return 'protocol';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  return null;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error && cause.message && cause.message !== error.message ? ` (${cause.message})` : '';
    // troupe's own errors already say what happened; their internal code would only be noise.
    const prefix = typeof code === 'string' && !code.startsWith('TROUPE_') ? `${code}: ` : '';
    return `${prefix}${error.message}${causeText}`;
  }
  return String(error);
}
