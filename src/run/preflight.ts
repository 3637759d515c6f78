import { connect } from 'node:net';
import { TargetUnreachableError } from '../errors.js';
import { proxyFor, redactUserinfo } from '../inputs/transport.js';
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
