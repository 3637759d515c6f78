import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { cacheStatusFromHeaders } from '../engine/cache-status.js';
import type { Clock } from '../engine/clock.js';
import { createDispatcher, sendRequest } from '../engine/http.js';
import type { Timeouts } from '../inputs/types.js';
import { TargetUnreachableError } from '../errors.js';
import { proxyFor, redactUserinfo } from '../inputs/proxy.js';
import type { ProxySettings } from '../inputs/types.js';

/**
 * Before creating a run directory, check that the target accepts TCP connections, so a wrong port or
 * host ends with exit 3 and a clear reason instead of a run of N identical errors. Through a proxy
 * the target may be out of direct reach: then the proxy is what must answer.
 */
export async function checkReachable(target: string, timeoutMs: number, proxy: ProxySettings | null = null): Promise<void> {
  const origin = new URL(target).origin;
  const via = proxyFor(new URL(target), proxy);
  const why = await tcpProblem(new URL(via ?? target), timeoutMs);
  if (why === null) return;
  throw new TargetUnreachableError(origin, via === null ? why : `its proxy ${redactUserinfo(via)} does not answer: ${why}`);
}

/** Why a TCP connection to the URL's host and port failed, or null when it succeeded. */
function tcpProblem(url: URL, timeoutMs: number): Promise<string | null> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => fail(`no TCP connection within ${timeoutMs} ms`));
    socket.once('connect', () => {
      socket.end();
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED' ? 'connection refused (is the server running on that port?)'
        : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `host ${host} does not resolve`
        : `${err.code ?? 'error'}: ${err.message}`;
      fail(why);
    });
  });
}

/** Warm-up requests, and how many at once: the first compiles the parser and the send path, the rest run it warm (~30 ms of CPU). */
export const WARM_UP = { requests: 16, concurrent: 2 } as const;

const WARM_BODY = JSON.stringify({ warm: true, items: Array.from({ length: 16 }, (_, i) => ({ id: i, name: `item ${i}` })) });

/**
 * Warms the client before the first measured request: undici's HTTP parser (compiled on first use), the
 * send path and cache classification get their first, slow runs on requests to a throwaway server on
 * 127.0.0.1, not recorded and never seen by the target (its logs, counters and rate limits stay as they
 * were). The connection to the target is not pre-opened: a fresh connection's handshake is part of what
 * the target's clients pay, and opening one would take a request the target sees. Each worker thread
 * warms its own (each has its own JIT).
 */
export async function warmClient(timeouts: Timeouts, clock: Pick<Clock, 'now' | 'timeout'>): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'HIT', age: '3', 'cache-control': 'max-age=60' });
      res.end(WARM_BODY);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const dispatcher = createDispatcher(timeouts);
  try {
    const url = `http://127.0.0.1:${port}/warm-up`;
    let left: number = WARM_UP.requests;
    const worker = async () => {
      while (left > 0) {
        const n = left--;
        const post = n % 3 === 0;
        const outcome = await sendRequest(dispatcher, { method: post ? 'POST' : 'GET', url: `${url}?n=${n}`, headers: { accept: 'application/json' }, ...(post ? { body: WARM_BODY } : {}) }, { timeouts, maxResponseBytes: 1 << 20, keepBody: n % 2 === 0, clock });
        if (outcome.headers) cacheStatusFromHeaders(outcome.headers, {});
      }
    };
    await Promise.all(Array.from({ length: WARM_UP.concurrent }, worker));
  } finally {
    await dispatcher.close().catch(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
