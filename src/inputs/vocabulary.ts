/**
 * The words a config may use that name things the engine produces: cache statuses, request error
 * codes and cache detector names. They are defined here, at the bottom of the import graph, so the
 * inputs can validate a config against them; the engine implements them (its detector registry is
 * typed by these names, so the two cannot drift).
 */

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
  | 'too_many_redirects'
  | 'host_not_allowed'
  /** The proxy refused or failed the tunnel (its status, e.g. 407, in the message). */
  | 'proxy'
  /** Cut by the grace period after an interrupt. Never written to results.ndjson (a resume re-runs it). */
  | 'aborted'
  | 'unknown';

/** The cache detectors, in their default order (see src/engine/cache-status.ts). */
export const CACHE_DETECTOR_NAMES = ['cache-status', 'x-cache', 'cf-cache-status', 'x-cache-status', 'x-proxy-cache', 'x-varnish', 'json', 'age', 'no-store'] as const;
export type CacheDetectorName = (typeof CACHE_DETECTOR_NAMES)[number];
