/**
 * The target's cache status per response, from an ordered list of named detectors. Each detector
 * reads one kind of evidence (a header family, the body) and answers a status, or `undefined` when its
 * evidence is absent or says nothing, so the next one is asked. The order is the registry's unless the
 * config names its own (`cache.detectors`); what grows (a new CDN's header) is one entry here.
 */
import type { CacheDetection } from '../inputs/types.js';
import { CACHE_DETECTOR_NAMES, type CacheDetectorName } from '../inputs/vocabulary.js';
import type { CacheStatus } from './records.js';

type HeaderValue = string | string[] | undefined;
export type ResponseHeaders = Record<string, HeaderValue>;

export interface CacheEvidence {
  /** Lower-case names; a repeated header is an array in arrival order. */
  headers: ResponseHeaders | undefined;
  /** The decoded body, when it was read. */
  bodyText: string | undefined;
  detection: CacheDetection;
}

export interface CacheDetector {
  readonly name: CacheDetectorName;
  /** What it reads, for `--help`-like listings and error messages. */
  readonly reads: string;
  /** The response headers (lower-case) it looks at, and no others: `troupe bench` compares only these between responses. */
  readonly headers: readonly string[];
  detect(evidence: CacheEvidence): CacheStatus | undefined;
}

/** Map a cache-status token (X-Cache, CF-Cache-Status, nginx's $upstream_cache_status, ...) to a status. */
export function statusFromToken(raw: string): CacheStatus {
  const token = raw.trim().toUpperCase();
  if (token === '') return 'unknown';
  // Layered caches report one value per layer ("MISS, HIT"): any layer that hit served the response.
  if (token.includes(',')) return anyLayer(token.split(',').map(statusFromToken));
  if (token.includes('HIT') || token === 'REVALIDATED') return 'hit';
  if (token.includes('STALE') || token === 'UPDATING') return 'stale';
  if (token.includes('MISS') || token === 'EXPIRED') return 'miss';
  if (token.includes('BYPASS') || token === 'DYNAMIC' || token === 'PASS' || token === 'NONE' || token === 'UNCACHEABLE') return 'bypass';
  return 'unknown';
}

/** One status for several layers (proxies in a row): a layer that served wins over one that forwarded. */
function anyLayer(parts: readonly CacheStatus[]): CacheStatus {
  for (const wanted of ['hit', 'stale', 'miss', 'bypass'] as const) if (parts.includes(wanted)) return wanted;
  return 'unknown';
}

/** All values of a header as one list: two `X-Cache` headers from two proxies are two layers. */
function allValues(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? (value.length === 0 ? undefined : value.join(', ')) : value;
}

function matchConfigured(value: string, hit: readonly string[], miss: readonly string[]): CacheStatus {
  const v = value.trim().toLowerCase();
  if (hit.some((h) => h.toLowerCase() === v)) return 'hit';
  if (miss.some((m) => m.toLowerCase() === v)) return 'miss';
  return 'unknown';
}

/** A detector of one token header such as X-Cache; `unknown` tokens let the next detector speak. */
function tokenHeader(name: CacheDetectorName, reads: string): CacheDetector {
  return {
    name,
    reads,
    headers: [name],
    detect: ({ headers }) => {
      const value = allValues(headers?.[name]);
      if (value === undefined) return undefined;
      const status = statusFromToken(value);
      return status === 'unknown' ? undefined : status;
    },
  };
}

/**
 * RFC 9211 `Cache-Status`: a list of caches, the one nearest the origin first, each `name; params`.
 * `hit` means that cache served the response (a negative `ttl` makes it stale); `fwd=bypass|method|
 * request` means it was not used; any other `fwd` (`uri-miss`, `vary-miss`, `miss`, `stale`, `partial`)
 * means it went upstream. The cache nearest the user that served decides, as for layered X-Cache.
 */
export function statusFromCacheStatusHeader(value: string): CacheStatus | undefined {
  const layers: CacheStatus[] = [];
  for (const member of splitOutsideQuotes(value, ',')) {
    const params = splitOutsideQuotes(member, ';').slice(1).map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p.trim().toLowerCase(), ''] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase()];
    });
    const param = new Map(params as [string, string][]);
    if (param.has('hit')) {
      const ttl = Number(param.get('ttl'));
      layers.push(param.has('ttl') && Number.isFinite(ttl) && ttl < 0 ? 'stale' : 'hit');
    } else if (param.has('fwd')) {
      layers.push(['bypass', 'method', 'request'].includes(param.get('fwd')!) ? 'bypass' : 'miss');
    }
  }
  if (layers.length === 0) return undefined;
  return anyLayer(layers);
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const DELTA_SECONDS = /^\d+$/;

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

/** The detectors in their default order: the most specific evidence first, inference from Age last. */
export const CACHE_DETECTORS: readonly CacheDetector[] = [
  {
    name: 'cache-status',
    reads: 'Cache-Status (RFC 9211)',
    headers: ['cache-status'],
    detect: ({ headers }) => {
      const value = allValues(headers?.['cache-status']);
      return value === undefined ? undefined : statusFromCacheStatusHeader(value);
    },
  },
  tokenHeader('x-cache', 'X-Cache (CloudFront, Fastly, Akamai, Squid, Varnish setups)'),
  tokenHeader('cf-cache-status', 'CF-Cache-Status (Cloudflare)'),
  tokenHeader('x-cache-status', 'X-Cache-Status (nginx $upstream_cache_status)'),
  tokenHeader('x-proxy-cache', 'X-Proxy-Cache'),
  {
    // Varnish puts the request's id in X-Varnish, and on a hit also the id of the request that stored the object.
    name: 'x-varnish',
    reads: 'X-Varnish (one id: miss, two ids: hit)',
    headers: ['x-varnish'],
    detect: ({ headers }) => {
      const value = allValues(headers?.['x-varnish']);
      if (value === undefined) return undefined;
      const ids = value.trim().split(/\s+/).filter((id) => /^\d+$/.test(id));
      return ids.length === 2 ? 'hit' : ids.length === 1 ? 'miss' : undefined;
    },
  },
  {
    name: 'json',
    reads: 'a JSON body field (cache.jsonPath)',
    headers: [],
    detect: ({ bodyText, detection }) => {
      if (!detection.jsonPath || bodyText === undefined) return undefined;
      const status = cacheStatusFromJson(bodyText, detection);
      return status === 'unknown' ? undefined : status;
    },
  },
  {
    // Age is how long a response has been in a cache (RFC 9111 §5.1): a positive age is a stored copy, 0 one
    // fresh from the origin — a miss, when a cache is there to send the header at all. Only delta-seconds count.
    name: 'age',
    reads: 'Age (0: miss, above 0: hit)',
    headers: ['age'],
    detect: ({ headers }) => {
      const values = headers?.['age'];
      const value = Array.isArray(values) ? values[0] : values;
      if (value === undefined || !DELTA_SECONDS.test(value.trim())) return undefined;
      return Number(value.trim()) > 0 ? 'hit' : 'miss';
    },
  },
  {
    name: 'no-store',
    reads: 'Cache-Control: no-store or private on the response (bypass)',
    headers: ['cache-control'],
    detect: ({ headers }) => {
      const value = allValues(headers?.['cache-control']);
      return value !== undefined && /(^|[,\s])(no-store|private)([,\s=]|$)/i.test(value) ? 'bypass' : undefined;
    },
  },
];

export { CACHE_DETECTOR_NAMES };
/** Every header the default detectors read (lower-case): a response's status depends on these alone. */
export const CACHE_HEADER_NAMES: ReadonlySet<string> = new Set(CACHE_DETECTORS.flatMap((d) => d.headers));
const BY_NAME = new Map<string, CacheDetector>(CACHE_DETECTORS.map((d) => [d.name, d]));
// The config's vocabulary and this registry are one list: a name without a detector (or a detector the
// config cannot name) is a bug caught the first time this module loads, in every test.
if (CACHE_DETECTORS.map((d) => d.name).join() !== CACHE_DETECTOR_NAMES.join()) throw new Error('cache detectors and CACHE_DETECTOR_NAMES differ');

/** The detectors for a config: its own list (names checked when the config was read) or the default order. */
export function detectorsFor(detection: CacheDetection): readonly CacheDetector[] {
  if (!detection.detectors) return CACHE_DETECTORS;
  return detection.detectors.map((name) => BY_NAME.get(name)!).filter(Boolean);
}

/**
 * The cache status of one response. A configured header (`cache.header`) is the user's word: only it
 * (and a configured JSON field) is read; otherwise the detectors in order, the first that recognises its
 * evidence wins.
 */
export function classifyCache(evidence: CacheEvidence, detectors: readonly CacheDetector[] = detectorsFor(evidence.detection)): CacheStatus {
  const { detection, headers } = evidence;
  if (detection.header) {
    const { name, hit, miss } = detection.header;
    const value = allValues(headers?.[name.toLowerCase()]);
    const status = value === undefined ? 'unknown' : anyLayer(value.split(',').map((v) => matchConfigured(v, hit, miss)));
    return status === 'unknown' ? (BY_NAME.get('json')!.detect(evidence) ?? 'unknown') : status;
  }
  for (const detector of detectors) {
    const status = detector.detect(evidence);
    if (status !== undefined) return status;
  }
  return 'unknown';
}

/** Headers only (no body), as `troupe bench` sees a response. */
export function cacheStatusFromHeaders(headers: ResponseHeaders, detection: CacheDetection): CacheStatus {
  return classifyCache({ headers, bodyText: undefined, detection });
}
