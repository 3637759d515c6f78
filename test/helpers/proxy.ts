/**
 * A tiny HTTP proxy on 127.0.0.1 port 0 for transport tests: CONNECT tunnels (what undici's
 * ProxyAgent uses, for http:// and https:// targets alike) and absolute-URI forwarding (what curl
 * does for http://). It counts what passed through, and with `credentials` it answers 407 to a
 * request without the matching Proxy-Authorization. Loopback targets only: anything else is 403.
 */
import http from 'node:http';
import net from 'node:net';
import { Teardown, listen, type TestServer } from './servers.js';

export interface TestProxyOptions {
  /** `user:password` the proxy requires (Basic). */
  credentials?: string;
}

export interface TestProxyStats {
  /** CONNECT tunnels opened, by `host:port`. */
  tunnels: Map<string, number>;
  /** Requests forwarded by absolute URI. */
  forwarded: number;
  /** Requests refused with 407 (missing or wrong credentials). */
  refused: number;
  /** Proxy-Authorization values received (to check that credentials were sent, and how). */
  authorizations: string[];
}

export interface TestProxy extends TestServer {
  readonly stats: TestProxyStats;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const stats: TestProxyStats = { tunnels: new Map(), forwarded: 0, refused: 0, authorizations: [] };
  const teardown = new Teardown();
  const expected = options.credentials ? `Basic ${Buffer.from(options.credentials).toString('base64')}` : null;
  const authorized = (header: string | undefined): boolean => {
    if (header !== undefined) stats.authorizations.push(header);
    if (expected === null || header === expected) return true;
    stats.refused++;
    return false;
  };

  const server = http.createServer((req, res) => {
    if (!authorized(req.headers['proxy-authorization'])) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI expected');
      return;
    }
    if (!LOOPBACK.has(target.hostname)) {
      res.writeHead(403).end('loopback targets only');
      return;
    }
    stats.forwarded++;
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    teardown.sockets.add(client);
    client.once('close', () => teardown.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!authorized(req.headers['proxy-authorization'])) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = splitHostPort(req.url ?? '');
    if (!LOOPBACK.has(host)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    stats.tunnels.set(`${host}:${port}`, (stats.tunnels.get(`${host}:${port}`) ?? 0) + 1);
    const upstream = net.connect({ host: host.replace(/^\[|\]$/g, ''), port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    teardown.sockets.add(upstream);
    upstream.once('close', () => {
      teardown.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
  });
  teardown.track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, stats, close: () => teardown.close(server) };
}

function splitHostPort(authority: string): [string, string] {
  const at = authority.lastIndexOf(':');
  return at < 0 ? [authority, '443'] : [authority.slice(0, at), authority.slice(at + 1)];
}
