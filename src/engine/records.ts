/** Typed records the engine emits. Sinks and metrics consume these; the engine knows nothing of files or terminals. */

export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass' | 'unknown';
export const CACHE_STATUSES: readonly CacheStatus[] = ['hit', 'miss', 'stale', 'bypass', 'unknown'];

/**
 * Stable error codes of a failed request (documented in the README). `null` on success.
 * http_4xx / http_5xx are responses that arrived but count as errors.
 */
export type RequestErrorCode =
  | 'conn_refused'
  | 'conn_reset'
  | 'timeout_connect'
  | 'timeout_headers'
  | 'timeout_body'
  | 'timeout_total'
  | 'body_too_large'
  | 'http_4xx'
  | 'http_5xx'
  | 'dns'
  | 'tls'
  | 'protocol'
  | 'template'
  | 'unknown';

export interface ResultRecord {
  type: 'result';
  /** Work item id `persona/location/iteration`. */
  id: string;
  persona: string;
  location: string;
  iteration: number;
  step: string;
  method: string;
  /** The URL with secrets redacted. */
  url: string;
  status: number | null;
  ok: boolean;
  error: RequestErrorCode | null;
  /** Short human explanation for an error (secrets redacted); absent on success. */
  message?: string;
  /** Sent → last body byte, ms. */
  latencyMs: number;
  /** Sent → response headers, ms; null when no response arrived. */
  ttfbMs: number | null;
  bytes: number;
  cache: CacheStatus;
  /** Epoch ms when the request was sent. */
  startedAt: number;
}

export interface PersonaStartRecord {
  type: 'persona-start';
  persona: string;
  planned: number;
  at: number;
}

export interface PersonaEndRecord {
  type: 'persona-end';
  persona: string;
  at: number;
}

export type EngineRecord = ResultRecord | PersonaStartRecord | PersonaEndRecord;
