/**
 * The run's one dispatcher: a pooled keep-alive undici Agent, with HTTP/2 offered by ALPN
 * (`http2`), the config's CA and client certificate on every TLS connection (`tls`), and a proxy
 * (`proxy:` or HTTPS_PROXY / HTTP_PROXY / NO_PROXY) through undici's EnvHttpProxyAgent, which tunnels
 * with CONNECT and sends the proxy URL's credentials as Proxy-Authorization.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { ProxySettings, Timeouts, TransportMaterial } from '../inputs/types.js';

export interface DispatcherOptions {
  /** Skip certificate verification (target and proxy). */
  insecure?: boolean;
  /** Offer h2 by ALPN on TLS connections. */
  http2?: boolean;
  /** PEM contents: ca replaces the trusted roots for the target; cert and key are the client certificate. */
  tls?: TransportMaterial['tls'];
  /** Real proxy URLs (with credentials); null or absent: direct connections. */
  proxy?: ProxySettings | null;
}

/**
 * Connection count grows to the concurrency bound and no further, because no more requests than that
 * are ever in flight. TLS certificates are verified unless `insecure` is set.
 */
export function createDispatcher(timeouts: Timeouts, options: DispatcherOptions = {}): Dispatcher {
  const tls = { ...(options.tls ?? {}), rejectUnauthorized: !options.insecure };
  const allowH2 = options.http2 ?? false;
  const agentOptions = {
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    allowH2,
    connect: { timeout: timeouts.connectMs, ...tls },
  };
  const proxy = options.proxy;
  if (!proxy) return new Agent(agentOptions);
  return new EnvHttpProxyAgent({
    ...agentOptions,
    // Explicit values, never undici's own read of process.env: the settings were resolved at load.
    httpProxy: proxy.http ?? '',
    httpsProxy: proxy.https ?? '',
    noProxy: proxy.noProxy,
    // Inside the tunnel: the target's TLS (and ALPN). To the proxy itself: the system's trusted roots.
    requestTls: { ...tls, timeout: timeouts.connectMs, allowH2 } as never,
    proxyTls: { rejectUnauthorized: !options.insecure, timeout: timeouts.connectMs } as never,
  });
}
