/**
 * TLS test servers on 127.0.0.1 port 0 (node:http2's secure server, which answers HTTP/1.1 too when
 * `allowHTTP1`), with certificates from tls-certs.ts. They count what they saw: requests per
 * protocol (`h2` or `http/1.1`, from the request's httpVersion) and, when a client certificate is
 * required, the subject CN of each client that presented one.
 *
 *   GET /hello        200 {"protocol": "h2" | "http/1.1"}
 *   GET /compressed   a repetitive JSON body, gzip or br as Accept-Encoding asks (else identity)
 *   anything else     404
 */
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';
import { Teardown, listen, type TestServer } from './servers.js';
import type { TestPki } from './tls-certs.js';

export interface Http2ApiOptions {
  /** Also answer HTTP/1.1 (ALPN picks). Default false: h2 only. */
  allowHTTP1?: boolean;
  /** Refuse the TLS handshake of a client without a certificate signed by the test CA (mTLS). */
  requireClientCert?: boolean;
}

export interface Http2ApiStats {
  requests: number;
  byProtocol: Map<string, number>;
  /** Subject CN of each request's client certificate (mTLS), in order. */
  clients: string[];
  /** TLS handshakes that failed (a client without a certificate, a client that does not trust us). */
  tlsErrors: number;
}

export interface Http2Api extends TestServer {
  readonly stats: Http2ApiStats;
}

export async function startHttp2Api(pki: TestPki, options: Http2ApiOptions = {}): Promise<Http2Api> {
  const stats: Http2ApiStats = { requests: 0, byProtocol: new Map(), clients: [], tlsErrors: 0 };
  const teardown = new Teardown();
  const server = http2.createSecureServer({
    key: pki.pem.serverKey,
    cert: pki.pem.serverCert,
    allowHTTP1: options.allowHTTP1 ?? false,
    ...(options.requireClientCert ? { ca: pki.pem.ca, requestCert: true, rejectUnauthorized: true } : {}),
  });
  server.on('tlsClientError', () => stats.tlsErrors++);
  server.on('secureConnection', (socket: TLSSocket) => {
    teardown.sockets.add(socket);
    socket.once('close', () => teardown.sockets.delete(socket));
  });
  server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    stats.requests++;
    const protocol = req.httpVersion === '2.0' ? 'h2' : 'http/1.1';
    stats.byProtocol.set(protocol, (stats.byProtocol.get(protocol) ?? 0) + 1);
    if (options.requireClientCert) {
      const peer = (req.socket as TLSSocket).getPeerCertificate?.();
      stats.clients.push(peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : '');
    }
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url, 'https://127.0.0.1').pathname;
      if (path === '/hello') {
        const text = JSON.stringify({ protocol });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
        return;
      }
      if (path === '/compressed') {
        const text = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) });
        const accepted = String(req.headers['accept-encoding'] ?? '');
        const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : 'identity';
        const payload = encoding === 'br' ? zlib.brotliCompressSync(text) : encoding === 'gzip' ? zlib.gzipSync(text) : Buffer.from(text);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length, ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }) }).end(payload);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    });
  });
  // An h2 session outlives its requests: close them all at teardown, or close() waits for them.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    stats,
    close: () => {
      for (const session of sessions) session.destroy();
      return teardown.close(server);
    },
  };
}
