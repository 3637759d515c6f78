/**
 * `cache.stats: {url, hits, misses}`: the target's own cache counters, read before and after the run.
 * The server-side hit rate over the run is the delta (after − before); it is reported next to the hit
 * rate troupe observed from response headers, with the difference, so a cache that lies in its headers
 * (or a second client warming it) shows up.
 */
import type { Dispatcher } from 'undici';
import { undici } from './transport.js';
import type { CacheStatsEndpoint } from '../inputs/load.js';
import { valueAtJsonPath } from './capture.js';

export interface CacheCounters {
  hits: number;
  misses: number;
}

export function cacheStatsUrl(baseUrl: string, endpoint: CacheStatsEndpoint): string {
  return /^https?:\/\//i.test(endpoint.url) ? endpoint.url : `${baseUrl.replace(/\/+$/, '')}${endpoint.url}`;
}

/** The counters, or an error text (never throws: a missing stats endpoint must not fail the run). */
export async function readCacheCounters(
  dispatcher: Dispatcher,
  url: string,
  endpoint: CacheStatsEndpoint,
  timeoutMs: number,
): Promise<CacheCounters | { error: string }> {
  try {
    const response = await undici().request(url, { dispatcher, method: 'GET', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { error: `GET ${url} answered ${response.statusCode}` };
    const body: unknown = JSON.parse(text);
    const read = (path: string): number | string => {
      const at = valueAtJsonPath(body, path);
      const n = typeof at.value === 'string' ? Number(at.value) : at.value;
      return typeof n === 'number' && Number.isFinite(n) ? n : `no number at ${path} (got ${JSON.stringify(at.value) ?? 'nothing'})`;
    };
    const hits = read(endpoint.hits);
    const misses = read(endpoint.misses);
    if (typeof hits === 'string') return { error: hits };
    if (typeof misses === 'string') return { error: misses };
    return { hits, misses };
  } catch (err) {
    return { error: `GET ${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const ratio = (hit: number, total: number): number | null => (total === 0 ? null : Math.round((hit / total) * 1e6) / 1e6);

/** Server-side figures over the run next to the observed hit rate; `difference` = server − observed. */
export function compareCacheRates(server: CacheCounters, observed: CacheCounters): { hitRate: number | null; observedHitRate: number | null; difference: number | null } {
  const hitRate = ratio(server.hits, server.hits + server.misses);
  const observedHitRate = ratio(observed.hits, observed.hits + observed.misses);
  return { hitRate, observedHitRate, difference: hitRate === null || observedHitRate === null ? null : Math.round((hitRate - observedHitRate) * 1e6) / 1e6 };
}
