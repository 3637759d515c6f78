/**
 * A realistic API for session, check and transport tests (issue 11), on 127.0.0.1 port 0: what an
 * ordinary service behind a CDN looks like to a user — a login that returns a token and sets a session
 * cookie, endpoints that need one or the other, a CDN-like cache, compressed bodies, a multipart upload
 * and a rate limit. It counts what it received so tests compare troupe's figures with the server's own.
 *
 *   POST /login          JSON or urlencoded {user, password}; password "secret" → 200 {token} and
 *                        Set-Cookie session=…; anything else → 401. Counts logins per user.
 *   POST /logout         Bearer token → 204 and the token and its session end. Counts logouts.
 *   GET  /api/me         Bearer token → 200 {user}; else 401.
 *   GET  /api/cart       session cookie only → 200 {user, items}; else 401.
 *   GET  /cdn/products/ID  X-Cache MISS then HIT per ID, Age in whole seconds, Cache-Control public;
 *                        `?private=1` → Cache-Control: private, no cache headers.
 *   GET  /compressed     a repetitive JSON body in br, gzip or identity as Accept-Encoding asks.
 *   POST /upload         multipart/form-data → 200 {fields, files: [{field, filename, size, sha256}]}.
 *   GET  /limited        more than `rateLimit` requests in `rateWindowMs` → 429 with Retry-After.
 * Every path takes `?delay=MS` (or the server's `delayMs`) before answering, to hold requests in flight.
 */

import { createHash } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { listen, sendJson, Teardown, type TestServer } from './servers.js';

export interface RealisticApiOptions {
  /** Delay before every answer, ms (default 0); `?delay=MS` overrides it per request. */
  delayMs?: number;
  /** /limited allows this many requests per window (default 5). */
  rateLimit?: number;
  rateWindowMs?: number;
}

export interface RealisticApiStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  /** Every change of the in-flight count, with its time (ms since the server started). */
  inFlightTimeline: Array<{ atMs: number; inFlight: number }>;
  logins: number;
  loginsByUser: Map<string, number>;
  failedLogins: number;
  logouts: number;
  /** Requests per path (without the query). */
  byPath: Map<string, number>;
  cdn: { hits: number; misses: number; bypass: number };
  /** Content-Encoding sent by /compressed, per encoding ("identity" when none). */
  encodings: Map<string, number>;
  uploads: Array<{ fields: Record<string, string>; files: Array<{ field: string; filename: string; size: number; sha256: string }> }>;
  limited: number;
  /** Request bodies received, per path, as text (bounded: the first 1,000 per path). */
  bodies: Map<string, string[]>;
}

export interface RealisticApi extends TestServer {
  readonly stats: RealisticApiStats;
}

const PASSWORD = 'secret';

export async function startRealisticApi(options: RealisticApiOptions = {}): Promise<RealisticApi> {
  const teardown = new Teardown();
  const started = performance.now();
  const stats: RealisticApiStats = {
    requests: 0, inFlight: 0, maxInFlight: 0, inFlightTimeline: [], logins: 0, loginsByUser: new Map(), failedLogins: 0,
    logouts: 0, byPath: new Map(), cdn: { hits: 0, misses: 0, bypass: 0 }, encodings: new Map(), uploads: [], limited: 0, bodies: new Map(),
  };
  const tokens = new Map<string, string>(); // token → user
  const sessions = new Map<string, string>(); // session id → user
  const tokenSession = new Map<string, string>();
  const cdnCache = new Map<string, number>(); // product id → time cached (ms)
  const window = { start: 0, count: 0 };
  const rateLimit = options.rateLimit ?? 5;
  const rateWindowMs = options.rateWindowMs ?? 1000;
  let sequence = 0;

  const track = (delta: number): void => {
    stats.inFlight += delta;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    stats.inFlightTimeline.push({ atMs: performance.now() - started, inFlight: stats.inFlight });
  };
  const bearerUser = (req: http.IncomingMessage): string | undefined => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match ? tokens.get(match[1]!) : undefined;
  };
  const cookieUser = (req: http.IncomingMessage): string | undefined => {
    const match = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '');
    return match ? sessions.get(match[1]!) : undefined;
  };

  const answer = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void> => {
    const path = url.pathname;
    if (req.method === 'POST' && path === '/login') {
      const type = req.headers['content-type'] ?? '';
      let fields: Record<string, unknown> = {};
      try {
        fields = type.includes('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
          : (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>);
      } catch {
        return sendJson(res, 400, { error: 'body is not JSON' });
      }
      const user = typeof fields.user === 'string' ? fields.user : '';
      if (!user || fields.password !== PASSWORD) {
        stats.failedLogins++;
        return sendJson(res, 401, { error: 'bad credentials' });
      }
      sequence++;
      const token = `tok-${sequence}`;
      const sid = `sid-${sequence}`;
      tokens.set(token, user);
      sessions.set(sid, user);
      tokenSession.set(token, sid);
      stats.logins++;
      stats.loginsByUser.set(user, (stats.loginsByUser.get(user) ?? 0) + 1);
      return sendJson(res, 200, { token, user }, { 'set-cookie': `session=${sid}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (req.method === 'POST' && path === '/logout') {
      const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      if (!match || !tokens.has(match[1]!)) return sendJson(res, 401, { error: 'not logged in' });
      tokens.delete(match[1]!);
      sessions.delete(tokenSession.get(match[1]!) ?? '');
      stats.logouts++;
      res.writeHead(204).end();
      return;
    }
    if (path === '/api/me') {
      const user = bearerUser(req);
      return user ? sendJson(res, 200, { user }) : sendJson(res, 401, { error: 'token required' });
    }
    if (path === '/api/cart') {
      const user = cookieUser(req);
      return user ? sendJson(res, 200, { user, items: [{ sku: 'A-1', quantity: 2 }] }) : sendJson(res, 401, { error: 'session cookie required' });
    }
    const product = /^\/cdn\/products\/([^/]+)$/.exec(path);
    if (product) {
      const id = product[1]!;
      if (url.searchParams.get('private') === '1') {
        stats.cdn.bypass++;
        return sendJson(res, 200, { id }, { 'cache-control': 'private, max-age=0' });
      }
      const cachedAt = cdnCache.get(id);
      if (cachedAt === undefined) {
        cdnCache.set(id, performance.now());
        stats.cdn.misses++;
        return sendJson(res, 200, { id }, { 'x-cache': 'MISS', age: '0', 'cache-control': 'public, max-age=60' });
      }
      stats.cdn.hits++;
      const age = Math.floor((performance.now() - cachedAt) / 1000);
      return sendJson(res, 200, { id }, { 'x-cache': 'HIT', age: String(age), 'cache-control': 'public, max-age=60' });
    }
    if (path === '/compressed') {
      const text = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', 'c'] })) });
      const accepted = String(req.headers['accept-encoding'] ?? '');
      const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : 'identity';
      const payload = encoding === 'br' ? zlib.brotliCompressSync(text) : encoding === 'gzip' ? zlib.gzipSync(text) : Buffer.from(text);
      stats.encodings.set(encoding, (stats.encodings.get(encoding) ?? 0) + 1);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': payload.length,
        vary: 'Accept-Encoding',
        ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
      });
      res.end(payload);
      return;
    }
    if (req.method === 'POST' && path === '/upload') {
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(body), { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData();
      } catch {
        return sendJson(res, 400, { error: 'not multipart/form-data' });
      }
      const upload: RealisticApiStats['uploads'][number] = { fields: {}, files: [] };
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') upload.fields[field] = value;
        else {
          const bytes = Buffer.from(await value.arrayBuffer());
          upload.files.push({ field, filename: value.name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
        }
      }
      stats.uploads.push(upload);
      return sendJson(res, 200, upload);
    }
    if (path === '/limited') {
      const now = performance.now();
      if (now - window.start >= rateWindowMs) Object.assign(window, { start: now, count: 0 });
      window.count++;
      if (window.count > rateLimit) {
        stats.limited++;
        const retryAfter = Math.max(1, Math.ceil((window.start + rateWindowMs - now) / 1000));
        return sendJson(res, 429, { error: 'rate limited' }, { 'retry-after': String(retryAfter) });
      }
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
  };

  const server = http.createServer((req, res) => {
    stats.requests++;
    track(+1);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      track(-1);
    };
    res.once('finish', finish);
    res.once('close', finish);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    stats.byPath.set(url.pathname, (stats.byPath.get(url.pathname) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0 && !String(req.headers['content-type'] ?? '').startsWith('multipart/')) {
        const list = stats.bodies.get(url.pathname) ?? [];
        if (list.length < 1000) list.push(body.toString('utf8'));
        stats.bodies.set(url.pathname, list);
      }
      const delay = Number(url.searchParams.get('delay') ?? options.delayMs ?? 0);
      const go = (): void => {
        answer(req, res, url, body).catch(() => {
          if (!res.headersSent) sendJson(res, 500, { error: 'test server failed' });
        });
      };
      if (delay > 0) teardown.timeout(delay, go);
      else go();
    });
  });
  teardown.track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, stats, close: () => teardown.close(server) };
}
