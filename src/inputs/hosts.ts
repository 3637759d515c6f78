/**
 * `allowHosts` entries: `host` (any port), `host:port`, `*.example.com` (any subdomain) or an IPv6
 * address (`::1`, `[::1]:8080`). Parsed here so the config is checked when it is read; the engine's
 * HostAllowList matches URLs against them.
 */

export interface Entry {
  host: string;
  /** null: any port. */
  port: number | null;
  wildcard: boolean;
}

export const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function stripBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

/** Parses one entry; null when it is not a host, host:port or *.domain. */
export function parseHostEntry(text: string): Entry | null {
  const raw = text.trim().toLowerCase();
  if (raw === '' || /[/?#@\s]/.test(raw)) return null;
  const wildcard = raw.startsWith('*.');
  const body = wildcard ? raw.slice(2) : raw;
  // A bare IPv6 address has more than one colon and no brackets: it cannot carry a port.
  if (!body.startsWith('[') && (body.match(/:/g) ?? []).length > 1) return wildcard ? null : { host: body, port: null, wildcard };
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(body);
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { host: stripBrackets(match[1]!), port, wildcard };
}

