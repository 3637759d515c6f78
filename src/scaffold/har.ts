/**
 * A browser HAR export (DevTools → Network → "Save all as HAR") turned into a journey: its requests
 * in order, as steps. Credentials never reach what is written: credential headers, secret-looking
 * query parameters and body fields become `${env:NAME}` placeholders, URL user info is dropped, and
 * the recorded values are not kept anywhere. Headers the client sets itself (hop-by-hop, browser
 * state, `sec-*`) are dropped so they do not pin the replay to one browser session.
 */
import { InputError } from '../errors.js';
import { SENSITIVE_HEADERS } from '../redact.js';

export interface EnvVar {
  name: string;
  /** What it replaces, e.g. `Cookie header (3 requests)`: never the value. */
  usedFor: string;
}

export interface RecordedJourney {
  /** Origin of the first request: the target its paths are relative to. */
  origin: string;
  steps: Array<Record<string, unknown>>;
  /** host[:port] of requests to other origins, kept as absolute `url:`s. */
  otherHosts: string[];
  envVars: EnvVar[];
  /** What was skipped or changed, for the user; no values. */
  notes: string[];
}

const DROPPED_HEADERS = new Set([
  'host', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'accept-encoding', 'upgrade-insecure-requests', 'priority', 'dnt', 'pragma', 'cache-control', 'referer', 'purpose',
  'if-none-match', 'if-modified-since', 'x-client-data',
]);
const CREDENTIAL_WORD = /(^|[-_])(token|secret|password|passwd|api-?key|apikey|auth|session|csrf|xsrf|signature)([-_]|$)/i;
const SECRET_FIELD = /^(access[_-]?token|refresh[_-]?token|id[_-]?token|token|api[_-]?key|apikey|key|secret|client[_-]?secret|password|passwd|pwd|auth|signature|sig|session|otp)$/i;
const SCHEME_FIRST = new Set(['authorization', 'proxy-authorization']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A recorded literal that happens to contain `${env:` must stay literal text. */
const literal = (text: string) => text.split('${env:').join('$${env:');
const envName = (prefix: string, key: string) => `TROUPE_${prefix}${key.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`;

function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADERS.includes(lower) || CREDENTIAL_WORD.test(lower);
}

class EnvVars {
  private readonly uses = new Map<string, { what: string; count: number }>();
  ref(name: string, what: string): string {
    const use = this.uses.get(name) ?? { what, count: 0 };
    use.count += 1;
    this.uses.set(name, use);
    return `\${env:${name}}`;
  }
  list(): EnvVar[] {
    return [...this.uses].map(([name, { what, count }]) => ({ name, usedFor: `${what} (${count} request${count === 1 ? '' : 's'})` }));
  }
}

function stepName(method: string, path: string, taken: Set<string>): string {
  const base = `${method}-${path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 50).replace(/-$/, '') || 'step';
  let name = base === method.toLowerCase() ? `${base}-root` : base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/** Secret-looking fields of a JSON body replaced, deeply; everything else kept (as literal text). */
function scrubJson(value: unknown, vars: EnvVars): unknown {
  if (typeof value === 'string') return literal(value);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, vars));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && (typeof v === 'string' || typeof v === 'number') ? vars.ref(envName('BODY_', key), `body field ${key}`) : scrubJson(v, vars);
  }
  return out;
}

/** `a=1&password=x` with secret fields as placeholders (not re-encoded: the env value is sent as is). */
function scrubForm(pairs: Array<[string, string]>, vars: EnvVars): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_FIELD.test(k) ? vars.ref(envName('BODY_', k), `form field ${k}`) : literal(encodeURIComponent(v))}`).join('&');
}

export function journeyFromHar(text: string, file: string): RecordedJourney {
  const fail = (path: string, problem: string): never => {
    throw new InputError('E_FIXTURE', { file, ...(path ? { path } : {}) }, problem);
  };
  let har: unknown;
  try {
    har = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // The parser's message quotes the text around the error, which may be a cookie: not shown.
    return fail('', 'not valid JSON; expected a HAR export (browser DevTools → Network → "Save all as HAR")');
  }
  const entries = isObject(har) && isObject(har.log) ? har.log.entries : undefined;
  if (!Array.isArray(entries)) return fail('log.entries', `${isObject(har) && isObject(har.log) ? 'missing required key' : 'missing log'}, expected a HAR export with a list of requests at log.entries`);
  if (entries.length === 0) return fail('log.entries', 'no requests recorded; expected at least one entry');

  const vars = new EnvVars();
  const taken = new Set<string>();
  const steps: Array<Record<string, unknown>> = [];
  const otherHosts = new Set<string>();
  const skipped = { scheme: 0, preflight: 0 };
  let origin: string | null = null;
  let userinfo = false;

  entries.forEach((entry, i) => {
    const at = `log.entries[${i}].request`;
    const request = isObject(entry) ? entry.request : undefined;
    if (!isObject(request)) return fail(at, 'missing required key, expected the recorded request {method, url, headers}');
    if (typeof request.url !== 'string' || request.url === '') return fail(`${at}.url`, 'missing required key, expected the absolute URL of the request');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return fail(`${at}.url`, 'not an absolute URL; expected one such as https://app.example.com/api/items');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      skipped.scheme += 1;
      return;
    }
    if (typeof request.method !== 'string' || !/^[A-Za-z]+$/.test(request.method)) return fail(`${at}.method`, 'expected an HTTP method such as GET or POST');
    const method = request.method.toUpperCase();
    const rawHeaders = request.headers ?? [];
    if (!Array.isArray(rawHeaders)) return fail(`${at}.headers`, 'expected a list of {name, value}');
    const recorded: Array<[string, string]> = [];
    rawHeaders.forEach((h, j) => {
      if (!isObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') return fail(`${at}.headers[${j}]`, 'expected {name: string, value: string}');
      recorded.push([h.name, h.value]);
    });
    // The browser sends CORS preflights by itself; a replay from a script needs none.
    if (method === 'OPTIONS' && recorded.some(([n]) => n.toLowerCase() === 'access-control-request-method')) {
      skipped.preflight += 1;
      return;
    }
    if (url.username || url.password) userinfo = true;
    url.username = '';
    url.password = '';
    origin ??= url.origin;

    const headers: Record<string, string> = {};
    for (const [name, value] of recorded) {
      const lower = name.toLowerCase();
      if (lower.startsWith(':') || lower.startsWith('sec-') || DROPPED_HEADERS.has(lower)) continue;
      if (isCredentialHeader(lower)) {
        const ref = vars.ref(envName('', name), `${name} header`);
        const scheme = SCHEME_FIRST.has(lower) ? /^([A-Za-z][\w-]*)\s+\S/.exec(value)?.[1] : undefined;
        headers[name] = scheme ? `${scheme} ${ref}` : ref;
      } else headers[name] = literal(value);
    }

    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const v = SECRET_FIELD.test(key) ? vars.ref(envName('QUERY_', key), `query parameter ${key}`) : literal(value);
      const previous = query[key];
      query[key] = previous === undefined ? v : [...(Array.isArray(previous) ? previous : [previous]), v];
    }

    const step: Record<string, unknown> = { name: stepName(method, url.pathname, taken) };
    const req: Record<string, unknown> = { method };
    if (url.origin === origin) req.path = literal(url.pathname);
    else {
      otherHosts.add(url.host);
      req.url = literal(`${url.origin}${url.pathname}`);
    }
    if (Object.keys(query).length > 0) req.query = query;
    const post = isObject(request.postData) ? request.postData : null;
    if (post) Object.assign(req, bodyOf(post, headers, vars));
    if (Object.keys(headers).length > 0) req.headers = headers;
    step.request = req;
    const status = isObject(entry) && isObject(entry.response) ? entry.response.status : undefined;
    if (typeof status === 'number' && status >= 200 && status < 300) step.expect = [{ status }];
    steps.push(step);
  });

  if (steps.length === 0 || origin === null) return fail('log.entries', 'no http(s) requests to replay (only other schemes or CORS preflights)');
  const notes: string[] = [];
  if (skipped.scheme) notes.push(`skipped ${skipped.scheme} request(s) that are not http(s) (websocket, data:, extensions)`);
  if (skipped.preflight) notes.push(`skipped ${skipped.preflight} CORS preflight request(s): the browser sends those by itself`);
  if (userinfo) notes.push('dropped user:password from recorded URLs; send credentials in a header with ${env:NAME}');
  if (otherHosts.size) notes.push(`${otherHosts.size} other host(s) kept as absolute url: and listed in allowHosts: ${[...otherHosts].join(', ')}; delete the steps you do not want to load`);
  return { origin, steps, otherHosts: [...otherHosts], envVars: vars.list(), notes };
}

function bodyOf(post: Json, headers: Record<string, string>, vars: EnvVars): Record<string, unknown> {
  const mime = typeof post.mimeType === 'string' ? post.mimeType : '';
  const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (!hasContentType && mime) headers['Content-Type'] = mime;
  const text = typeof post.text === 'string' ? post.text : undefined;
  if (text !== undefined && /[/+]json\b/i.test(mime)) {
    try {
      return { json: scrubJson(JSON.parse(text), vars) };
    } catch {
      // Labelled JSON but not JSON: sent as recorded text.
    }
  }
  const form = /application\/x-www-form-urlencoded/i.test(mime);
  if (form && text !== undefined) return { body: scrubForm([...new URLSearchParams(text)], vars) };
  if (text === undefined && Array.isArray(post.params)) {
    const pairs = post.params.filter(isObject).map((p): [string, string] => [String(p.name ?? ''), String(p.value ?? '')]);
    return { body: scrubForm(pairs, vars) };
  }
  return text === undefined || text === '' ? {} : { body: literal(text) };
}
