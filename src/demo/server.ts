/**
 * The embedded demo target: a small "analysis API" with an LRU+TTL cache, `X-Cache` headers, a
 * cache stats endpoint and injectable latency and faults. node:http only, so `npx troupe run`
 * works out of the box and the tests have a real server to drive.
 *
 *   POST /api/v1/analyze   {address, radius_miles} → analysis JSON, X-Cache: HIT | MISS
 *   GET  /api/cache/stats  {hits, misses, hit_rate_percent, size, max_size, ttl_seconds}
 *   POST /api/cache/clear  {cleared} (also resets the hit and miss counters)
 *   GET  /health           {status: "ok"}
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError, quote } from '../errors.js';
import type { DemoOptions } from '../inputs/types.js';
import { buildAnalysis } from './analysis.js';
import { LruTtlCache } from './cache.js';

export const DEFAULT_DEMO_OPTIONS: DemoOptions = Object.freeze({
  missLatencyMs: 40,
  cacheSize: 1000,
  ttlSeconds: 300,
  errorRate: 0,
  slowRate: 0,
  slowMs: 1000,
});

export interface DemoServerOptions extends Partial<DemoOptions> {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Decides injected faults; default Math.random. Called once per fault kind that has a rate > 0. */
  random?: () => number;
  /** Clock for cache TTLs and `generated_at`, epoch ms; default Date.now. */
  now?: () => number;
}

export interface DemoCacheCounters {
  hits: number;
  misses: number;
  size: number;
}

export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): DemoCacheCounters;
}

export const ANALYZE_PATH = '/api/v1/analyze';
export const CACHE_STATS_PATH = '/api/cache/stats';
export const CACHE_CLEAR_PATH = '/api/cache/clear';
export const HEALTH_PATH = '/health';

/** Analyze requests are a few hundred bytes; anything this large is a client bug. */
const MAX_BODY_BYTES = 64 * 1024;
const MAX_ADDRESS_LENGTH = 500;
const MAX_RADIUS_MILES = 100;

export function resolveDemoOptions(options: Partial<DemoOptions> = {}): DemoOptions {
  const resolved: DemoOptions = { ...DEFAULT_DEMO_OPTIONS };
  for (const key of Object.keys(DEFAULT_DEMO_OPTIONS) as (keyof DemoOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  const nonNegative = (name: keyof DemoOptions): void => {
    const value = resolved[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`demo option ${name} must be a number >= 0, got ${quote(value)}`);
    }
  };
  const rate = (name: 'errorRate' | 'slowRate'): void => {
    const value = resolved[name];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new UsageError(`demo option ${name} must be a number from 0 to 1, got ${quote(value)}`);
    }
  };
  nonNegative('missLatencyMs');
  nonNegative('ttlSeconds');
  nonNegative('slowMs');
  rate('errorRate');
  rate('slowRate');
  if (!Number.isInteger(resolved.cacheSize) || resolved.cacheSize < 0) {
    throw new UsageError(`demo option cacheSize must be an integer >= 0, got ${quote(resolved.cacheSize)}`);
  }
  return resolved;
}

type Reply = (status: number, body: Buffer | string, cache?: 'HIT' | 'MISS') => void;

function replier(res: http.ServerResponse): Reply {
  return (status, body, cache) => {
    if (res.destroyed) return;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    };
    if (cache !== undefined) headers['x-cache'] = cache;
    res.writeHead(status, headers);
    res.end(body);
  };
}

function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}

type AnalyzeInput = { address: string; radius: number } | { error: string };

function parseAnalyzeInput(text: string): AnalyzeInput {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'request body is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'request body must be a JSON object with address and radius_miles' };
  }
  const { address, radius_miles: radius } = body as Record<string, unknown>;
  if (typeof address !== 'string' || address.trim() === '') {
    return { error: `address must be a non-empty string, got ${quote(address)}` };
  }
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { error: `address must be at most ${MAX_ADDRESS_LENGTH} characters` };
  }
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius <= 0 || radius > MAX_RADIUS_MILES) {
    return { error: `radius_miles must be a number > 0 and <= ${MAX_RADIUS_MILES}, got ${quote(radius)}` };
  }
  return { address: address.trim().toLowerCase(), radius };
}

/** Collects a small request body; answers 413 itself when it is too large. */
function readBody(req: http.IncomingMessage, reply: Reply, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      chunks.length = 0;
      reply(413, errorBody(`request body must be at most ${MAX_BODY_BYTES} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (tooLarge) return;
    done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
  });
}

function formatUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const settings = resolveDemoOptions(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`demo option port must be an integer from 0 to 65535, got ${quote(port)}`);
  }
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const cache = new LruTtlCache<Buffer>(settings.cacheSize, settings.ttlSeconds * 1000, now);
  let hits = 0;
  let misses = 0;

  // Pending simulated work, so close() does not wait for (or fire after) a timer.
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void): void => {
    if (ms <= 0) {
      run();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const analyze = (text: string, reply: Reply): void => {
    const input = parseAnalyzeInput(text);
    if ('error' in input) {
      reply(400, errorBody(input.error));
      return;
    }
    // Faults are decided before the cache is consulted, so an injected 500 is neither hit nor miss.
    if (settings.errorRate > 0 && random() < settings.errorRate) {
      reply(500, errorBody('injected failure'));
      return;
    }
    const extraMs = settings.slowRate > 0 && random() < settings.slowRate ? settings.slowMs : 0;
    const key = `${input.address}|${input.radius}`;
    // A request is a hit iff a fresh entry existed when it arrived: concurrent misses each count.
    const cached = cache.get(key);
    if (cached !== undefined) {
      hits += 1;
      later(extraMs, () => reply(200, cached, 'HIT'));
      return;
    }
    misses += 1;
    later(settings.missLatencyMs + extraMs, () => {
      const body = Buffer.from(JSON.stringify(buildAnalysis(input.address, input.radius, now())));
      cache.set(key, body);
      reply(200, body, 'MISS');
    });
  };

  const cacheStats = (): string => {
    cache.pruneExpired();
    const total = hits + misses;
    return JSON.stringify({
      hits,
      misses,
      hit_rate_percent: total === 0 ? 0 : Math.round((hits / total) * 10_000) / 100,
      size: cache.size,
      max_size: settings.cacheSize,
      ttl_seconds: settings.ttlSeconds,
    });
  };

  const methodNotAllowed = (res: http.ServerResponse, reply: Reply, allow: string): void => {
    res.setHeader('allow', allow);
    reply(405, errorBody(`method must be ${allow}`));
  };

  const server = http.createServer((req, res) => {
    const reply = replier(res);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    switch (path) {
      case ANALYZE_PATH:
        if (req.method !== 'POST') return methodNotAllowed(res, reply, 'POST');
        return readBody(req, reply, (text) => analyze(text, reply));
      case CACHE_STATS_PATH:
        if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, reply, 'GET');
        return reply(200, cacheStats());
      case CACHE_CLEAR_PATH: {
        if (req.method !== 'POST') return methodNotAllowed(res, reply, 'POST');
        const cleared = cache.clear();
        hits = 0;
        misses = 0;
        req.resume();
        return reply(200, JSON.stringify({ cleared }));
      }
      case HEALTH_PATH:
        return reply(200, '{"status":"ok"}');
      default:
        req.resume();
        return reply(404, errorBody(`no route for ${req.method ?? 'GET'} ${path}`));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: formatUrl(host, bound),
    port: bound,
    stats: () => {
      cache.pruneExpired();
      return { hits, misses, size: cache.size };
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive and in-progress connections would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
