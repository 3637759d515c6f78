/**
 * A throwaway PKI for TLS tests, made with openssl at test time (EC keys: milliseconds, not seconds):
 * a CA, a server certificate for 127.0.0.1 signed by it, and a client certificate signed by it. The
 * files stay in `dir` (the caller's temp folder) so configs can name them by path.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** Paths of the PEM files. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Contents, for servers. */
  pem: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** Null when openssl is not installed (the caller skips with a reason). */
export function makeTestPki(dir: string): TestPki | null {
  try {
    const key = (name: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir);
    key('ca.key');
    openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=troupe test CA', '-out', 'ca.pem'], dir);
    const signed = (name: string, subject: string, ext: string) => {
      key(`${name}.key`);
      openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
      writeFileSync(join(dir, `${name}.ext`), ext);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
    };
    signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    signed('client', '/CN=troupe-client', 'extendedKeyUsage=clientAuth\n');
  } catch {
    return null;
  }
  const at = (name: string) => join(dir, name);
  const read = (name: string) => readFileSync(at(name), 'utf8');
  return {
    dir,
    caCert: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    pem: { ca: read('ca.pem'), serverCert: read('server.pem'), serverKey: read('server.key'), clientCert: read('client.pem'), clientKey: read('client.key') },
  };
}
