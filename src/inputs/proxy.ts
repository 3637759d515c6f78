/**
 * Which proxy a request goes through, and a proxy URL fit to print. Apart from transport.ts (the zod
 * schema of `proxy:`/`tls:`) so that the pre-flight and the engine use them without loading zod.
 */
import type { ProxySettings } from './types.js';

/** A proxy URL for artifacts and messages: user and password replaced, as Redactor.url does. */
export function redactUserinfo(value: string): string {
  try {
    const url = new URL(value);
    if (!url.username && !url.password) return value;
    if (url.username) url.username = 'redacted';
    if (url.password) url.password = 'redacted';
    return url.toString();
  } catch {
    return value.replace(/\/\/[^/@]*@/, '//redacted@');
  }
}

/** The proxy a request to `target` goes through under these settings (NO_PROXY matched as undici matches it), or null. */
export function proxyFor(target: URL, settings: ProxySettings | null): string | null {
  if (!settings) return null;
  const proxy = target.protocol === 'https:' ? settings.https : settings.http;
  if (proxy === null || settings.noProxy === '*') return null;
  const host = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  for (const entry of settings.noProxy.split(/[,\s]/)) {
    if (entry === '') continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const name = (parsed ? parsed[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (parsed && Number(parsed[2]) !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return null;
  }
  return proxy;
}
