/**
 * Small real servers for integration tests, on 127.0.0.1 port 0. Every server tracks its sockets
 * and timers so close() ends promptly even with hung or dripping responses.
 */

import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface CountingServer extends TestServer {
  /** Requests received whose response has not finished or been aborted. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Requests received. */
  readonly requests: number;
  /** Responses sent in full. */
  readonly answered: number;
}

export interface CountingServerOptions {
  delayMs: number;
  status?: number;
  /** A string is sent as is, anything else as JSON. Default `{"ok":true}`. */
  body?: unknown;
}

/** Bookkeeping shared by every server: sockets and timers to tear down on close. */
export class Teardown {
  readonly sockets = new Set<net.Socket>();
  readonly timers = new Set<NodeJS.Timeout>();

  track(server: net.Server): void {
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  timeout(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  interval(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setInterval(run, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  close(server: net.Server): Promise<void> {
    return new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      // Already-closed servers report an error we do not care about in teardown.
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
  }
}

export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Answers every request with `status` and `body` after `delayMs`, counting concurrency. */
export async function startCountingServer(options: CountingServerOptions): Promise<CountingServer> {
  const teardown = new Teardown();
  const status = options.status ?? 200;
  const isText = typeof options.body === 'string';
  const body = isText ? (options.body as string) : JSON.stringify(options.body ?? { ok: true });
  const contentType = isText ? 'text/plain; charset=utf-8' : 'application/json';
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  let answered = 0;

  const server = http.createServer((req, res) => {
    requests += 1;
    res.once('finish', () => (answered += 1));
    inFlight += 1;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    let done = false;
    // 'close' fires after a finished response and after a client abort alike.
    res.once('close', () => {
      if (done) return;
      done = true;
      inFlight -= 1;
    });
    req.resume();
    const timer = teardown.timeout(options.delayMs, () => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    res.once('close', () => teardown.cancel(timer));
  });
  teardown.track(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get requests() {
      return requests;
    },
    get answered() {
      return answered;
    },
    close: () => teardown.close(server),
  };
}

/**
 * Resolves once `server` has no request open (each one answered, or aborted by a client that went
 * away); fails after `timeoutMs`. After a client is killed, this is the moment its count is final.
 */
export async function waitForIdle(server: CountingServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.inFlight > 0) {
    if (Date.now() > deadline) throw new Error(`the server still had ${server.inFlight} request(s) open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const BIG_CHUNK_BYTES = 64 * 1024;
const MAX_BIG_BYTES = 1024 * 1024 * 1024;
const BIG_CHUNK = Buffer.alloc(BIG_CHUNK_BYTES, 0x78);

/** Streams `bytes` bytes in 64 KiB chunks, honouring backpressure. */
function streamBig(res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const size = Math.min(left, BIG_CHUNK_BYTES);
      left -= size;
      const ok = res.write(size === BIG_CHUNK_BYTES ? BIG_CHUNK : BIG_CHUNK.subarray(0, size));
      if (!ok) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/**
 * One route per fault (see the switch below). `/bad-status-line` writes raw bytes straight to the
 * request's socket from inside the http handler: no response has been started, so nothing of
 * node:http's own framing precedes them, and no second server is needed.
 */
export async function startFaultServer(): Promise<TestServer> {
  const teardown = new Teardown();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;

    if (path === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        sendJson(res, 200, {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      return;
    }
    req.resume();

    const statusMatch = /^\/status\/(\d{3})$/.exec(path);
    if (statusMatch) {
      const code = Number(statusMatch[1]);
      if (code < 200 || code > 599) return sendJson(res, 400, { error: `status must be 200..599, got ${code}` });
      if (code === 204 || code === 304) {
        res.writeHead(code);
        return res.end();
      }
      return sendJson(res, code, { status: code });
    }

    switch (path) {
      case '/ok':
        return sendJson(res, 200, { ok: true });
      case '/reset-before-headers':
        // A TCP RST, not a FIN: the client sees ECONNRESET with no response at all.
        req.socket.resetAndDestroy();
        return;
      case '/reset-mid-body':
        // Chunked, so the client cannot mistake the cut for the end of the body.
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.write('{"partial":"', () => req.socket.destroy());
        return;
      case '/hang':
        return; // never answered; teardown destroys the socket
      case '/slow-body': {
        // ?every=N: one byte every N ms (default 200).
        const every = Number(url.searchParams.get('every') ?? '200');
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.flushHeaders();
        const timer = teardown.interval(every > 0 ? every : 200, () => res.write('.'));
        res.once('close', () => teardown.cancel(timer));
        return;
      }
      case '/500':
        return sendJson(res, 500, { error: 'internal error' });
      case '/503':
        return sendJson(res, 503, { error: 'unavailable' });
      case '/429':
        return sendJson(res, 429, { error: 'too many requests' }, { 'retry-after': '1' });
      case '/bad-json':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 9 });
        return res.end('{not json');
      case '/big': {
        const bytes = Number(url.searchParams.get('bytes') ?? '0');
        if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BIG_BYTES) {
          return sendJson(res, 400, { error: `bytes must be an integer from 0 to ${MAX_BIG_BYTES}` });
        }
        return streamBig(res, bytes);
      }
      case '/redirect': {
        // ?to=URL (absolute or relative) &status=302
        const status = Number(url.searchParams.get('status') ?? '302');
        res.writeHead(status, { location: url.searchParams.get('to') ?? '/ok', 'content-length': 0 });
        return res.end();
      }
      case '/redirect-chain': {
        // ?n=3: three hops, then /ok.
        const n = Number(url.searchParams.get('n') ?? '1');
        res.writeHead(302, { location: n > 1 ? `/redirect-chain?n=${n - 1}` : '/ok', 'content-length': 0 });
        return res.end();
      }
      case '/redirect-loop':
        res.writeHead(302, { location: '/redirect-loop', 'content-length': 0 });
        return res.end();
      case '/bad-status-line':
        req.socket.end('HTTP/1.1 2x0 Not Even Close\r\nContent-Length: 0\r\n\r\n');
        return;
      default:
        return sendJson(res, 404, { error: `no fault route ${path}` });
    }
  });
  teardown.track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, close: () => teardown.close(server) };
}

/** A URL on 127.0.0.1 that refuses connections: a port that was just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * An HTTPS server with a self-signed certificate made at test time with openssl (null when openssl is
 * missing, so callers can skip). Answers every request 200 `{"ok":true}`.
 */
export async function startSelfSignedTlsServer(): Promise<TestServer | null> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'troupe-tls-'));
  let key: Buffer;
  let cert: Buffer;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const teardown = new Teardown();
  const server = https.createServer({ key, cert }, (req, res) => {
    req.resume();
    sendJson(res, 200, { ok: true });
  });
  teardown.track(server);
  server.on('secureConnection', (socket: net.Socket) => {
    teardown.sockets.add(socket);
    socket.once('close', () => teardown.sockets.delete(socket));
  });
  const port = await listen(server);
  return { url: `https://127.0.0.1:${port}`, port, close: () => teardown.close(server) };
}

/**
 * Answers that break HTTP/1.1, written as raw bytes on the socket (an http.Server would refuse to
 * send them): GET /<name> gets RAW_RESPONSES[name], then the socket is ended.
 */
export const RAW_RESPONSES: Record<string, string> = {
  'status-600': 'HTTP/1.1 600 Nope\r\nContent-Length: 0\r\n\r\n',
  'status-99': 'HTTP/1.1 99 Nope\r\nContent-Length: 0\r\n\r\n',
  'status-1000': 'HTTP/1.1 1000 Nope\r\nContent-Length: 0\r\n\r\n',
  'two-content-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
  'content-length-and-chunked': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'bad-content-length': 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n',
  'huge-header-block': `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(100_000)}\r\nContent-Length: 0\r\n\r\n`,
  'unasked-100-continue': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'not-http': 'garbage\r\n\r\n',
  'bad-chunk-size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n',
  'nul-in-header': 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n',
};

export async function startRawServer(): Promise<TestServer> {
  const teardown = new Teardown();
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      head += chunk;
      const name = /^GET \/([\w-]+)/.exec(head)?.[1];
      if (name !== undefined && head.includes('\r\n\r\n')) socket.end(RAW_RESPONSES[name] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
  });
  teardown.track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, close: () => teardown.close(server) };
}

/** The target's cache, shared by the servers given it: a sidecar per pod in front of one cache. */
export class KeyCache {
  readonly seen = new Map<string, number>();
}

export interface CacheCountingServer extends TestServer {
  /** What this server answered, by cache status, as its /api/cache/stats says. */
  readonly hits: number;
  readonly misses: number;
  /** Every request received, /api/cache/stats excluded. */
  readonly requests: number;
}

/**
 * A target with a cache whose answers do not depend on timing: the first request for a path is a MISS,
 * every later one a HIT (no eviction), so the hit and miss counts of a run depend only on which paths it
 * asks for, never on the order. `/flaky/...` answers its first request 503 (a retryable failure), later
 * ones 200. Every answer has the same body, so bytes depend only on the count. GET /api/cache/stats →
 * {hits, misses} of this server (several servers may share one KeyCache and count apart).
 */
export async function startCacheCountingServer(cache = new KeyCache(), delayMs = 1): Promise<CacheCountingServer> {
  const teardown = new Teardown();
  let hits = 0;
  let misses = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/api/cache/stats') return sendJson(res, 200, { hits, misses });
    requests++;
    const n = (cache.seen.get(path) ?? 0) + 1;
    cache.seen.set(path, n);
    const hit = n > 1;
    if (hit) hits++;
    else misses++;
    const status = path.startsWith('/flaky/') && n === 1 ? 503 : 200;
    teardown.timeout(delayMs, () => {
      if (!res.destroyed) sendJson(res, status, { ok: status === 200 }, { 'x-cache': hit ? 'HIT' : 'MISS' });
    });
  });
  teardown.track(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    get requests() {
      return requests;
    },
    close: () => teardown.close(server),
  };
}
