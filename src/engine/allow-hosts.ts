/**
 * `allowHosts`: the hosts a run may send requests to, checked before every request and every redirect
 * hop. An entry is `host` (any port), `host:port`, `*.example.com` (any subdomain) or an IPv6 address
 * (`::1`, `[::1]:8080`). Host names compare case-insensitively.
 */

interface Entry {
  host: string;
  /** null: any port. */
  port: number | null;
  wildcard: boolean;
}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

function stripBrackets(host: string): string {
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

export class HostAllowList {
  private readonly entries: Entry[];

  /** Throws on an entry that does not parse (the config schema checks them first, with a file and key path). */
  constructor(readonly source: readonly string[]) {
    this.entries = source.map((text) => {
      const entry = parseHostEntry(text);
      if (!entry) throw new Error(`allowHosts: got ${JSON.stringify(text)}, expected host, host:port or *.domain`);
      return entry;
    });
  }

  /** The same list plus the origin of `url` (the target is always allowed). */
  withOrigin(url: string): HostAllowList {
    const u = new URL(url);
    return new HostAllowList([...this.source, `${u.hostname}:${u.port || DEFAULT_PORT[u.protocol]}`]);
  }

  allows(url: URL): boolean {
    const host = stripBrackets(url.hostname);
    const port = url.port ? Number(url.port) : DEFAULT_PORT[url.protocol];
    return this.entries.some((e) => {
      if (e.port !== null && e.port !== port) return false;
      return e.wildcard ? host.endsWith(`.${e.host}`) : host === e.host;
    });
  }
}
