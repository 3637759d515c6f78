/**
 * The run's one dispatcher. Plain `http:` without a proxy or HTTP/2: troupe's lean HTTP/1.1 client
 * (h1-client.ts), which hands everything it does not serve (https, streamed bodies, undici's own
 * `request()`) to an undici Agent made on first use. Otherwise a pooled keep-alive undici Agent, with HTTP/2 offered by ALPN
 * (`http2`), the config's CA and client certificate on every TLS connection (`tls`), and a proxy
 * (`proxy:` or HTTPS_PROXY / HTTP_PROXY / NO_PROXY) through undici's EnvHttpProxyAgent, which tunnels
 * with CONNECT and sends the proxy URL's credentials as Proxy-Authorization.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { ProxySettings, Timeouts, TransportMaterial } from '../inputs/types.js';
import { LeanDispatcher } from './h1-client.js';

export interface DispatcherOptions {
  /** Skip certificate verification (target and proxy). */
  insecure?: boolean;
  /** Offer h2 by ALPN on TLS connections. */
  http2?: boolean;
  /** PEM contents: ca replaces the trusted roots for the target; cert and key are the client certificate. */
  tls?: TransportMaterial['tls'];
  /** Real proxy URLs (with credentials); null or absent: direct connections. */
  proxy?: ProxySettings | null;
  /** Serve plain http: with the lean client when nothing above rules it out. Default true; false: undici only. */
  lean?: boolean;
}

const require = createRequire(import.meta.url);
let undiciModule: typeof Undici | null = null;
/**
 * undici, loaded on first use: it costs ~140 ms of start-up, and a plain http: run never needs it
 * (the lean client serves it), nor does `troupe validate`.
 */
export function undici(): typeof Undici {
  return (undiciModule ??= require('undici') as typeof Undici);
}

const KEEP_ALIVE_MS = 10_000;
const KEEP_ALIVE_MAX_MS = 60_000;

/**
 * Connection count grows to the concurrency bound and no further, because no more requests than that
 * are ever in flight. TLS certificates are verified unless `insecure` is set.
 */
export function createDispatcher(timeouts: Timeouts, options: DispatcherOptions = {}): Dispatcher {
  const tls = { ...(options.tls ?? {}), rejectUnauthorized: !options.insecure };
  const allowH2 = options.http2 ?? false;
  const failures = new TlsFailures();
  const agentOptions = {
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    allowH2,
    connect: { timeout: timeouts.connectMs, ...tls },
    factory: recordingFactory(failures, allowH2),
  };
  const proxy = options.proxy;
  if (!proxy && !allowH2 && options.lean !== false) {
    const lean = new LeanDispatcher({
      connectTimeoutMs: timeouts.connectMs,
      keepAliveMs: KEEP_ALIVE_MS,
      keepAliveMaxMs: KEEP_ALIVE_MAX_MS,
      fallback: () => new (undici().Agent)(agentOptions as never),
    });
    // The fallback's TLS failures are looked up by the dispatcher the sender holds.
    tlsFailureLogs.set(lean, failures);
    return lean;
  }
  const dispatcher: Dispatcher = proxy
    ? new (undici().EnvHttpProxyAgent)({
      ...agentOptions,
      // Explicit values, never undici's own read of process.env: the settings were resolved at load.
      httpProxy: proxy.http ?? '',
      httpsProxy: proxy.https ?? '',
      noProxy: proxy.noProxy,
      // Inside the tunnel: the target's TLS (and ALPN). To the proxy itself: the system's trusted roots.
      requestTls: { ...tls, timeout: timeouts.connectMs, allowH2 } as never,
      proxyTls: { rejectUnauthorized: !options.insecure, timeout: timeouts.connectMs } as never,
    } as never)
    : new (undici().Agent)(agentOptions as never);
  tlsFailureLogs.set(dispatcher, failures);
  return dispatcher;
}

/**
 * The TLS error behind a request that undici reports as "other side closed": with TLS 1.3 a server
 * that wants a client certificate accepts the handshake and then sends an alert, which undici's own
 * socket error replaces. The connection's TLS error is kept per socket (by its ports) for a moment so
 * that the request's outcome can say what really happened. Null when there is none.
 */
export function tlsFailureBehind(dispatcher: Dispatcher, error: unknown): Error | null {
  const socket = (error as { socket?: { localPort?: number; remotePort?: number } } | null)?.socket;
  if (!socket || socket.localPort === undefined) return null;
  const failure = tlsFailureLogs.get(dispatcher)?.take(`${socket.localPort}:${socket.remotePort}`);
  return failure ? new TlsAlertError(failure) : null;
}

/** A TLS error as a short sentence (OpenSSL's text names source files), with the fix when there is one. */
class TlsAlertError extends Error {
  readonly code: string;
  constructor(cause: NodeJS.ErrnoException) {
    const code = cause.code ?? 'ERR_TLS';
    const alert = /:([^:]*alert[^:]*):/.exec(cause.message)?.[1]?.trim();
    const wantsCert = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA/.test(code);
    super(wantsCert
      ? `the server refused the connection: ${alert ?? code} (it asks for a client certificate it trusts; set tls.cert and tls.key in the config)`
      : `the server ended the TLS connection: ${alert ?? cause.message}`);
    this.code = code;
  }
}

const tlsFailureLogs = new WeakMap<Dispatcher, TlsFailures>();
const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_)/;

class TlsFailures {
  private readonly byPorts = new Map<string, Error>();

  record(key: string, error: Error): void {
    // Bounded: entries are taken by the request they belong to, or dropped with the oldest.
    if (this.byPorts.size >= 1000) this.byPorts.delete(this.byPorts.keys().next().value!);
    this.byPorts.set(key, error);
  }

  take(key: string): Error | null {
    const error = this.byPorts.get(key) ?? null;
    this.byPorts.delete(key);
    return error;
  }
}

type Connector = Undici.buildConnector.connector;

/** Pools whose connections note their TLS errors; the connect step is undici's own (or the proxy's tunnel). */
function recordingFactory(failures: TlsFailures, allowH2: boolean) {
  return (origin: string | URL, opts: Record<string, unknown>): Dispatcher => {
    const given = opts.connect;
    const connect: Connector = typeof given === 'function' ? (given as Connector) : undici().buildConnector({ allowH2, ...(given as object) } as Undici.buildConnector.BuildOptions);
    const recording: Connector = (connectOptions, callback) =>
      connect(connectOptions, (err, socket) => {
        if (socket) {
          socket.on('error', (error: NodeJS.ErrnoException) => {
            if (typeof error.code === 'string' && TLS_ERROR.test(error.code) && socket.localPort !== undefined) failures.record(`${socket.localPort}:${socket.remotePort}`, error);
          });
        }
        (callback as (err: Error | null, socket: unknown) => void)(err, socket);
      });
    return new (undici().Pool)(origin, { ...opts, connect: recording } as Undici.Pool.Options);
  };
}
