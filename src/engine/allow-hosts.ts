/**
 * `allowHosts`: the hosts a run may send requests to, checked before every request and every redirect
 * hop. An entry is `host` (any port), `host:port`, `*.example.com` (any subdomain) or an IPv6 address
 * (`::1`, `[::1]:8080`). Host names compare case-insensitively.
 */

import { DEFAULT_PORT, parseHostEntry, stripBrackets, type Entry } from '../inputs/hosts.js';

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
