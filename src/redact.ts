/**
 * Secrets never reach disk or logs. One Redactor is built per run from the `${env:...}` values that
 * were resolved and the config's `redact:` list, and every artifact writer passes text through it.
 */

export const REDACTED = '[redacted]';

/** Headers whose values are always redacted (lower case). */
export const SENSITIVE_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
];

/** Query parameters whose values are redacted in URLs written to artifacts. */
const SENSITIVE_QUERY = /^(access[_-]?token|token|api[_-]?key|key|secret|password|passwd|pwd|auth|signature|sig|session)$/i;

export class Redactor {
  private readonly sensitiveHeaders: Set<string>;
  private readonly pattern: RegExp | null;

  constructor(secrets: readonly string[] = [], extraHeaders: readonly string[] = []) {
    this.sensitiveHeaders = new Set([...SENSITIVE_HEADERS, ...extraHeaders.map((h) => h.toLowerCase())]);
    // Longest first so a secret that contains another is replaced whole. Empty values are skipped:
    // replacing "" would garble every string.
    const distinct = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
    this.pattern = distinct.length ? new RegExp(distinct.map(escapeRegExp).join('|'), 'g') : null;
  }

  isSensitiveHeader(name: string): boolean {
    return this.sensitiveHeaders.has(name.toLowerCase());
  }

  /** Replace every known secret value in free text. */
  text(value: string): string {
    if (!this.pattern || value.length === 0) return value;
    this.pattern.lastIndex = 0;
    return value.replace(this.pattern, REDACTED);
  }

  /** A URL for artifacts: user info and sensitive query values removed, then known secrets. */
  url(value: string): string {
    let text = value;
    if (text.includes('@') || text.includes('?')) {
      try {
        const url = new URL(text);
        if (url.password) url.password = 'redacted';
        if (url.username) url.username = 'redacted';
        for (const key of [...url.searchParams.keys()]) {
          if (SENSITIVE_QUERY.test(key)) url.searchParams.set(key, REDACTED);
        }
        text = url.toString();
      } catch {
        // Not an absolute URL: fall through to secret replacement.
      }
    }
    return this.text(text);
  }

  /**
   * Deep copy of a JSON-like value with sensitive header values and secrets redacted. Any object key
   * that names a sensitive header is redacted wherever it appears (headers maps at any depth).
   */
  deep<T>(value: T): T {
    return this.deepAny(value) as T;
  }

  private deepAny(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.deepAny(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        out[key] = this.isSensitiveHeader(key) && (typeof v === 'string' || typeof v === 'number') ? REDACTED : this.deepAny(v);
      }
      return out;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
