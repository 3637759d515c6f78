import type { CacheDetection } from '../fixtures/types.js';
import type { CacheStatus } from './records.js';

type HeaderValue = string | string[] | undefined;
export type ResponseHeaders = Record<string, HeaderValue>;

/** Headers that CDNs and proxies use to say whether a response came from their cache, most specific first. */
const STANDARD_HEADERS = ['x-cache', 'cf-cache-status', 'x-cache-status', 'x-proxy-cache'] as const;

/** Map a cache-status token (X-Cache, CF-Cache-Status, nginx's $upstream_cache_status, ...) to a status. */
export function statusFromToken(raw: string): CacheStatus {
  const token = raw.trim().toUpperCase();
  if (token === '') return 'unknown';
  // Layered caches report one value per layer ("MISS, HIT"): any layer that hit served the response.
  if (token.includes(',')) {
    const parts = token.split(',').map(statusFromToken);
    for (const wanted of ['hit', 'stale', 'miss', 'bypass'] as const) if (parts.includes(wanted)) return wanted;
    return 'unknown';
  }
  if (token.includes('HIT') || token === 'REVALIDATED') return 'hit';
  if (token.includes('STALE') || token === 'UPDATING') return 'stale';
  if (token.includes('MISS') || token === 'EXPIRED') return 'miss';
  if (token.includes('BYPASS') || token === 'DYNAMIC' || token === 'PASS' || token === 'NONE' || token === 'UNCACHEABLE') return 'bypass';
  return 'unknown';
}

function firstValue(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function matchConfigured(value: string, hit: readonly string[], miss: readonly string[]): CacheStatus {
  const v = value.trim().toLowerCase();
  if (hit.some((h) => h.toLowerCase() === v)) return 'hit';
  if (miss.some((m) => m.toLowerCase() === v)) return 'miss';
  return 'unknown';
}

/**
 * Cache status from response headers. A configured header wins; otherwise the standard headers in order;
 * then `Age` (a positive age means the response was stored somewhere). Nothing recognisable → unknown.
 */
export function cacheStatusFromHeaders(headers: ResponseHeaders, detection: CacheDetection): CacheStatus {
  if (detection.header) {
    const value = firstValue(headers[detection.header.name.toLowerCase()]);
    if (value !== undefined) return matchConfigured(value, detection.header.hit, detection.header.miss);
    return 'unknown';
  }
  for (const name of STANDARD_HEADERS) {
    const value = firstValue(headers[name]);
    if (value !== undefined) {
      const status = statusFromToken(value);
      if (status !== 'unknown') return status;
    }
  }
  const age = firstValue(headers['age']);
  if (age !== undefined && Number(age) > 0) return 'hit';
  return 'unknown';
}

/** Cache status from a JSON body at a configured dot path; booleans map true → hit, false → miss. */
export function cacheStatusFromJson(bodyText: string, detection: CacheDetection): CacheStatus {
  if (!detection.jsonPath) return 'unknown';
  let value: unknown;
  try {
    value = JSON.parse(bodyText);
  } catch {
    return 'unknown';
  }
  for (const key of detection.jsonPath.split('.')) {
    if (value === null || typeof value !== 'object') return 'unknown';
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'boolean') return value ? 'hit' : 'miss';
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    if (detection.jsonHit || detection.jsonMiss) return matchConfigured(text, detection.jsonHit ?? [], detection.jsonMiss ?? []);
    return statusFromToken(text);
  }
  return 'unknown';
}
