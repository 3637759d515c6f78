import { connect } from 'node:net';
import { TargetUnreachableError } from '../errors.js';

/**
 * Before creating a run directory, check that the target accepts TCP connections, so a wrong port or
 * host ends with exit 3 and a clear reason instead of a run of N identical errors.
 */
export async function checkReachable(target: string, timeoutMs: number): Promise<void> {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(new TargetUnreachableError(url.origin, reason));
    };
    socket.setTimeout(timeoutMs, () => fail(`no TCP connection within ${timeoutMs} ms`));
    socket.once('connect', () => {
      socket.end();
      socket.destroy();
      resolve();
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
