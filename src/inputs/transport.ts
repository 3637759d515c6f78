/**
 * The config's transport keys: `http2`, `compression`, `tls` (a CA, a client certificate and key for
 * mTLS) and `proxy` (or HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment). TLS files are read
 * and checked here, at load, so that a wrong path or a key that does not match its certificate is
 * exit 2 before anything is sent. What is secret (the key, its passphrase, proxy credentials) stays
 * in the TransportMaterial, which is never written; the config keeps paths and redacted URLs.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, UsageError, quote } from '../errors.js';
import { fullProblem, strictObject } from './issues.js';
import type { ProxySettings, TransportConfig, TransportMaterial } from './types.js';
import { redactUserinfo } from './proxy.js';

export { proxyFor, redactUserinfo } from './proxy.js';

const path = z.string().trim().min(1);

/** `proxy:` as written: an http(s) URL, or `none` to ignore the proxy variables of the environment. */
const proxySchema = z.string().superRefine((value, ctx) => {
  if (value !== 'none' && proxyProblem(value) !== null) {
    ctx.addIssue({ code: 'custom', message: `got ${quote(redactUserinfo(value))}, expected ${proxyProblem(value)}`, params: fullProblem });
  }
});

/** Config-file keys (spread into the config schema). */
export const transportShape = {
  http2: z.boolean().optional(),
  compression: z.boolean().optional(),
  tls: strictObject({ ca: path.optional(), cert: path.optional(), key: path.optional(), passphrase: z.string().optional() })
    .superRefine((tls, ctx) => {
      if ((tls.cert === undefined) !== (tls.key === undefined)) {
        ctx.addIssue({ code: 'custom', message: `has ${tls.cert === undefined ? 'key' : 'cert'} without ${tls.cert === undefined ? 'cert' : 'key'}; a client certificate needs both cert and key`, params: fullProblem });
      }
    })
    .optional(),
  proxy: proxySchema.optional(),
};

type TransportFile = { [K in keyof typeof transportShape]?: z.output<(typeof transportShape)[K]> };

const PROXY_EXPECTED = 'an http:// or https:// proxy URL such as http://proxy.internal:3128, or none';

function proxyProblem(value: string): string | null {
  if (/[\x00-\x20\x7f]/.test(value)) return PROXY_EXPECTED;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? null : PROXY_EXPECTED;
  } catch {
    return PROXY_EXPECTED;
  }
}


export interface TransportContext {
  /** The config file as displayed, or null when there is none (flags only). */
  file: string | null;
  /** Folder that `tls` paths are relative to. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** Receives the proxy password, so that it is redacted in any text that would carry it. */
  secrets: Set<string>;
}

export async function loadTransport(file: TransportFile, ctx: TransportContext): Promise<{ config: TransportConfig; material: TransportMaterial }> {
  const tls = file.tls ? await readTls(file.tls, ctx) : null;
  const proxy = proxySettings(file.proxy, ctx);
  for (const url of [proxy?.http, proxy?.https]) {
    if (!url) continue;
    const { password } = new URL(url);
    if (password) ctx.secrets.add(decodeURIComponent(password)).add(password);
  }
  const shown = (url: string | null) => (url === null ? null : redactUserinfo(url));
  return {
    config: {
      http2: file.http2 ?? false,
      compression: file.compression ?? true,
      tls: tls ? tls.paths : null,
      proxy: proxy ? { ...proxy, http: shown(proxy.http), https: shown(proxy.https) } : null,
    },
    material: { tls: tls ? tls.material : null, proxy },
  };
}

async function readTls(tls: NonNullable<TransportFile['tls']>, ctx: TransportContext) {
  const where = (key: string) => ({ file: ctx.file ?? 'config', path: `tls.${key}` });
  const read = async (key: 'ca' | 'cert' | 'key'): Promise<{ path: string; text: string } | null> => {
    const written = tls[key];
    if (written === undefined) return null;
    const absolute = isAbsolute(written) ? written : resolve(ctx.baseDir, written);
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? 'error'})`;
      throw new InputError('E_CONFIG', where(key), `${quote(written)} ${why} (looked for ${absolute}); expected a PEM file`);
    }
    if (!text.includes('-----BEGIN ')) throw new InputError('E_CONFIG', where(key), `${quote(written)} is not PEM (no -----BEGIN line); expected a PEM ${key === 'key' ? 'private key' : 'certificate'}`);
    return { path: absolute, text };
  };
  const ca = await read('ca');
  const cert = await read('cert');
  const key = await read('key');
  const material = { ...(ca ? { ca: ca.text } : {}), ...(cert ? { cert: cert.text } : {}), ...(key ? { key: key.text } : {}), ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}) };
  try {
    // The same checks a connection would make, now: a key that does not match its certificate, a wrong passphrase.
    createSecureContext(material);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError('E_CONFIG', { file: ctx.file ?? 'config', path: 'tls' }, `the certificate, key or CA cannot be used (${reason}); expected PEM files where key matches cert`);
  }
  return { paths: { ca: ca?.path ?? null, cert: cert?.path ?? null, key: key?.path ?? null }, material };
}

/** `proxy:` wins; `none` turns the environment's proxy off; else HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower case first, as curl and undici read them). */
function proxySettings(configured: string | undefined, ctx: TransportContext): ProxySettings | null {
  if (configured === 'none') return null;
  if (configured !== undefined) return { http: configured, https: configured, noProxy: '', from: 'config' };
  const read = (name: string): string | null => {
    const value = ctx.env[name.toLowerCase()] ?? ctx.env[name];
    if (value === undefined || value.trim() === '') return null;
    const problem = proxyProblem(value.trim());
    if (problem) throw new UsageError(`environment variable ${name}: got ${quote(redactUserinfo(value))}, expected ${problem} (or proxy: none in the config to ignore it)`);
    return value.trim();
  };
  const http = read('HTTP_PROXY');
  const https = read('HTTPS_PROXY') ?? http;
  if (http === null && https === null) return null;
  return { http, https, noProxy: (ctx.env['no_proxy'] ?? ctx.env['NO_PROXY'] ?? '').trim(), from: 'env' };
}

