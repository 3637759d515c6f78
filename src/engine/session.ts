/**
 * One session: what a virtual user keeps for its life (or an open-model arrival for its visit, or a
 * pooled session for as long as the pool lives) — the values its setup captured, an RFC 6265 cookie
 * jar (tough-cookie), and the persona it plays. Cookie values and values captured from credential
 * headers are the session's secrets: masked in every record its requests produce.
 */
import { createRequire } from 'node:module';
import type { CookieJar } from 'tough-cookie';
import type { Location, Persona } from '../inputs/types.js';
import { REDACTED } from '../redact.js';
import type { CookieHandler } from './http.js';
import type { StepContext } from './journey.js';
import type { ResultRecord } from './records.js';

/** Shorter values are not masked: a cookie `1` or `yes` is no secret, and masking it would garble every text. */
const MIN_SECRET_LENGTH = 4;

/** Setup and teardown run outside any visit: they get this location (templates there may not name one). */
export const NO_LOCATION: Location = Object.freeze({ id: '', row: 0, fields: Object.freeze({}) as Location['fields'] });

/** The run-level setup and teardown play no persona: this one stands in (templates there may not name it). */
export const RUN_PERSONA: Persona = Object.freeze({ name: '', slug: 'run', weight: 1, headers: {}, params: {}, source: 'config' });

// tough-cookie (~12 MB resident, ~150 ms to load) is required on the first Set-Cookie of the run, not
// with the engine: most runs never get a cookie. Its CommonJS build loads synchronously, as the jar is
// made in the middle of a response.
const require = createRequire(import.meta.url);
let jarClass: (new () => CookieJar) | null = null;
const newJar = (): CookieJar => new (jarClass ??= (require('tough-cookie') as typeof import('tough-cookie')).CookieJar)();

/** A jar created on the first Set-Cookie: a session that never gets a cookie costs nothing per request. */
class SessionCookies implements CookieHandler {
  private jar: CookieJar | null = null;

  constructor(private readonly onValue: (value: string) => void) {}

  get holdsCookies(): boolean {
    return this.jar !== null;
  }

  cookieHeader(url: string): string | undefined {
    if (this.jar === null) return undefined;
    return this.jar.getCookieStringSync(url) || undefined;
  }

  storeSetCookie(url: string, values: string | string[]): void {
    this.jar ??= newJar();
    for (const value of Array.isArray(values) ? values : [values]) {
      // A cookie the jar refuses (bad domain, malformed) is dropped, as a browser drops it.
      const cookie = this.jar.setCookieSync(value, url, { ignoreError: true });
      if (cookie?.value) this.onValue(cookie.value);
    }
  }
}

export class Session {
  /** The setup's captures: `{{vars.NAME}}` in every visit and the teardown. */
  readonly vars: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly cookies: SessionCookies;
  /** `ready` after a setup that passed (or none); `failed` after its last attempt failed. */
  state: 'new' | 'ready' | 'failed' = 'new';
  /** A session that ran a visit gets its teardown. */
  visited = false;
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(
    readonly persona: Persona,
    /** 1-based VU; 0: none (an open-model session). */
    readonly vu: number,
    private readonly setupVars: Readonly<Record<string, unknown>> | undefined,
    sharedSecrets: readonly string[] = [],
  ) {
    this.cookies = new SessionCookies(this.addSecret);
    for (const secret of sharedSecrets) this.addSecret(secret);
  }

  readonly addSecret = (value: string): void => {
    if (value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = null;
  };

  readonly mask = (text: string): string => {
    if (this.secrets.size === 0 || text === '') return text;
    // Longest first, so that a secret holding another is replaced whole; URL-encoded forms too.
    this.pattern ??= new RegExp(
      [...new Set([...this.secrets].flatMap((s) => [s, encodeURIComponent(s)]))].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
      'g',
    );
    return text.replace(this.pattern, REDACTED);
  };

  /** The secrets found so far (the run-level session hands its own to every VU's). */
  secretValues(): string[] {
    return [...this.secrets];
  }

  /**
   * What steps run in. `into` receives the captures: a setup's own object (kept if it passes), or for a
   * visit a copy of the session's values, so that a visit's captures end with the visit.
   */
  context(into: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, this.vars), phase = false): StepContext {
    return {
      vars: into,
      cookies: this.cookies,
      mask: this.mask,
      addSecret: this.addSecret,
      ownResponses: phase ? () => true : this.ownResponses,
      ...(this.setupVars ? { setup: this.setupVars } : {}),
    };
  }

  private readonly ownResponses = (): boolean => this.cookies.holdsCookies;

  /** Made at the first visit of a session whose journey captures nothing (see visitContext). */
  private sharedVisit: StepContext | null = null;

  /**
   * A visit's context. A journey that captures nothing never writes its vars, so its visits can share
   * one context (and one copy of the setup's values, taken at the first visit, after the setup):
   * two objects fewer per request.
   */
  visitContext(): StepContext {
    if (this.sharedVisit) return this.sharedVisit;
    if (capturesAnything(this.persona)) return this.context();
    return (this.sharedVisit = this.context());
  }
}

function capturesAnything(persona: Persona): boolean {
  const journey = persona.journey;
  if (!journey) return false;
  for (const step of journey) if (step.capture.length > 0) return true;
  return false;
}

/** A session's secrets out of what a record carries (cookie values in a URL, a message, a check's message). */
export function maskRecord(record: ResultRecord, mask: (text: string) => string): void {
  record.url = mask(record.url);
  if (record.message !== undefined) record.message = mask(record.message);
  if (record.checks) for (const check of record.checks) if (check.message !== undefined) check.message = mask(check.message);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
