/**
 * The hot-path half of request templates: a template checked at load time (src/inputs/template.ts,
 * which owns the placeholder language) is compiled once into parts; rendering per request then only
 * concatenates. A JSON value that is exactly one placeholder keeps the source type (a number stays a
 * number); a placeholder inside a longer string is stringified.
 */
import { InputError } from '../errors.js';
import { EXACTLY_ONE, lookup, parsePlaceholder, PLACEHOLDER, type PlaceholderRef } from '../inputs/template.js';
import type { Location, Persona, RequestTemplate } from '../inputs/types.js';
import { multipartBody, type RenderedPart, type StreamedBody } from './multipart.js';
import { randomInt, randomString, randomUuid, visitValues, type VisitValues } from './visit-values.js';

export interface RenderContext {
  persona: Persona;
  location: Location;
  iteration: number;
  vars?: Record<string, unknown>;
  /** The run-level setup's captures (`{{setup.NAME}}`). */
  setup?: Readonly<Record<string, unknown>>;
  /** `{{vu}}`, `{{visit}}` and the `$` functions; without it they draw from seed 1 under an empty visit id. */
  visit?: VisitValues;
}

export interface RenderedRequest {
  method: string;
  /** Exactly one of path and url, as in the template. Values placed into them are URL-encoded, except one at the very start. */
  path?: string;
  url?: string;
  /** Name/value pairs in template order (a list value gives repeated names); null values are left out. */
  query: Array<[string, string]>;
  /**
   * Includes `content-type: application/json` for a json body and application/x-www-form-urlencoded
   * for a form unless the template set a content type; a multipart body always sets its own (with
   * its boundary) and its content-length.
   */
  headers: Record<string, string>;
  /** Text, or a multipart body streamed as it is sent. */
  body: string | StreamedBody | undefined;
  /** The body's content type: the template's Content-Type header, or application/json for `json`. */
  contentType?: string;
}

export interface CompiledTemplate {
  (ctx: RenderContext): RenderedRequest;
  /**
   * True when nothing in the template reads the context (no placeholder anywhere, no multipart body):
   * every render gives the same request, so a caller may render it once and send that every time.
   */
  readonly constant: boolean;
}

type Getter = (ctx: RenderContext) => unknown;
type Part = string | ((ctx: RenderContext) => string);

let noVisit: VisitValues | null = null;
const visitOf = (c: RenderContext): VisitValues => c.visit ?? (noVisit ??= visitValues(1, '', 0, Date.now));

function getterFor(expression: string): Getter {
  const ref = parsePlaceholder(expression);
  if (typeof ref === 'string') throw new InputError('E_TEMPLATE', { file: 'request template' }, `placeholder {{${expression}}}: ${ref}`);
  return getterOf(ref);
}

function getterOf(ref: PlaceholderRef): Getter {
  switch (ref.root) {
    case 'vu':
      return (c) => visitOf(c).vu;
    case 'visit':
      return (c) => visitOf(c).visit;
    case 'fn':
      switch (ref.fn) {
        case 'uuid':
          return (c) => randomUuid(visitOf(c).random);
        case 'now':
          return (c) => new Date(visitOf(c).wallNow()).toISOString();
        case 'timestamp':
          return (c) => Math.floor(visitOf(c).wallNow());
        case 'lbrace':
          return () => '{';
        case 'randomInt': {
          const { min, max } = ref;
          return (c) => randomInt(visitOf(c).random, min, max);
        }
        case 'randomString': {
          const { length } = ref;
          return (c) => randomString(visitOf(c).random, length);
        }
        case 'randomFrom': {
          const list = getterOf(ref.from);
          return (c) => {
            const items = list(c);
            // Checked at load for a persona param; a captured value is whatever the response held.
            if (!Array.isArray(items) || items.length === 0) return undefined;
            return items[Math.floor(visitOf(c).random() * items.length)];
          };
        }
      }
      break;
    case 'iteration':
      return (c) => c.iteration;
    case 'location':
      return ref.column === 'id' ? (c) => c.location.id : (c) => c.location.fields[ref.column];
    case 'vars':
      return (c) => lookup(c.vars, ref.path);
    case 'setup':
      return (c) => lookup(c.setup, ref.path);
    case 'persona':
      if (ref.field === 'params') {
        const [first, ...more] = ref.path;
        return more.length === 0 ? (c) => c.persona.params[first!] : (c) => lookup(c.persona.params, ref.path);
      }
      return (c) => c.persona[ref.field];
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Joins adjacent constant parts; a fully constant result is a plain string. */
function joinParts(parts: Part[]): Part {
  const merged: Part[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else merged.push(part);
  }
  if (merged.length === 0) return '';
  if (merged.length === 1) return merged[0]!;
  return (c) => {
    let out = '';
    for (const part of merged) out += typeof part === 'string' ? part : part(c);
    return out;
  };
}

function renderPart(part: Part, ctx: RenderContext): string {
  return typeof part === 'string' ? part : part(ctx);
}

/**
 * A string with placeholders, stringified. With `encode` (path and url), values are URL-encoded except
 * a placeholder at position 0: that one supplies the scheme and host or the leading path, so it goes in verbatim.
 */
function compileString(text: string, encode = false): Part {
  const parts: Part[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, match.index));
    const get = getterFor(match[1]!);
    parts.push(encode && match.index !== 0 ? (c) => encodeURIComponent(stringify(get(c))) : (c) => stringify(get(c)));
    last = match.index! + match[0].length;
  }
  parts.push(text.slice(last));
  return joinParts(parts);
}

/** A getter for a value that is exactly one placeholder, else null. */
function singlePlaceholder(value: unknown): Getter | null {
  if (typeof value !== 'string') return null;
  const match = EXACTLY_ONE.exec(value);
  return match ? getterFor(match[1]!) : null;
}

/** A JSON value compiled straight to its serialized text; constant subtrees are serialized once. */
function compileJson(value: unknown): Part[] {
  if (typeof value === 'string') {
    const single = singlePlaceholder(value);
    if (single) return [(c) => JSON.stringify(single(c) ?? null)];
    const text = compileString(value);
    return [typeof text === 'string' ? JSON.stringify(text) : (c) => JSON.stringify(text(c))];
  }
  if (Array.isArray(value)) {
    const parts: Part[] = ['['];
    value.forEach((item, i) => parts.push(...(i > 0 ? [','] : []), ...compileJson(item ?? null)));
    return [...parts, ']'];
  }
  if (value !== null && typeof value === 'object') {
    const parts: Part[] = ['{'];
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      parts.push(`${first ? '' : ','}${JSON.stringify(key)}:`, ...compileJson(item));
      first = false;
    }
    return [...parts, '}'];
  }
  return [JSON.stringify(value ?? null)];
}

/**
 * A value from the inputs (an `expect` value, a capture default): a string that is exactly one
 * placeholder keeps the value's type, other strings are rendered as text, lists and maps item by item.
 * A value without placeholders is returned as it is, with no work per call.
 */
export function compileValue(value: unknown): (ctx: RenderContext) => unknown {
  if (!hasPlaceholder(value)) return () => value;
  if (typeof value === 'string') {
    const single = singlePlaceholder(value);
    if (single) return single;
    const text = compileString(value);
    return (c) => renderPart(text, c);
  }
  if (Array.isArray(value)) {
    const items = value.map(compileValue);
    return (c) => items.map((item) => item(c));
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, compileValue(v)] as const);
  return (c) => Object.fromEntries(entries.map(([k, v]) => [k, v(c)]));
}

function hasPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasPlaceholder);
  return false;
}

type QueryEntry = (ctx: RenderContext, out: Array<[string, string]>) => void;

function compileQueryValue(name: string, value: unknown): QueryEntry {
  if (Array.isArray(value)) {
    const items = value.map((item) => compileQueryValue(name, item));
    return (c, out) => {
      for (const item of items) item(c, out);
    };
  }
  const single = singlePlaceholder(value);
  if (single) {
    return (c, out) => {
      const v = single(c);
      if (Array.isArray(v)) for (const item of v) out.push([name, stringify(item)]);
      else if (v !== undefined && v !== null) out.push([name, stringify(v)]);
    };
  }
  if (value === null || value === undefined) return () => {};
  if (typeof value === 'string') {
    const text = compileString(value);
    return (c, out) => out.push([name, renderPart(text, c)]);
  }
  const constant = stringify(value);
  return (_c, out) => out.push([name, constant]);
}

type PartRenderer = (ctx: RenderContext) => RenderedPart;

/** `multipart:` compiled: field values and filenames are templates; files were sized at load. */
function compileMultipart(parts: NonNullable<RequestTemplate['multipart']>): Array<PartRenderer> {
  return Object.entries(parts).map(([name, value]): PartRenderer => {
    if (typeof value !== 'object' || value === null) {
      const text = compileString(String(value));
      return (c) => ({ name, value: renderPart(text, c) });
    }
    if (value.size === undefined) throw new InputError('E_TEMPLATE', { file: 'request template' }, `multipart.${name}: the file ${value.file} was not checked at load`);
    const filename = compileString(value.filename ?? value.file.split(/[\\/]/).pop()!);
    const fixed = { name, file: value.file, size: value.size, contentType: value.contentType ?? 'application/octet-stream' };
    return (c) => ({ ...fixed, filename: renderPart(filename, c) });
  });
}

/** Compiles once; the returned function renders one request and does no parsing. */
export function compileTemplate(template: RequestTemplate): CompiledTemplate {
  const method = compileString(template.method);
  const path = template.path !== undefined ? compileString(template.path, true) : undefined;
  const url = template.url !== undefined ? compileString(template.url, true) : undefined;
  const query = Object.entries(template.query ?? {}).map(([name, value]) => compileQueryValue(name, value));
  const headers = Object.entries(template.headers ?? {}).map(([name, value]) => [name, compileString(value)] as const);
  const configuredType = headers.find(([name]) => name.toLowerCase() === 'content-type');
  const body = template.json !== undefined ? joinParts(compileJson(template.json)) : template.body !== undefined ? compileString(template.body) : undefined;
  const form = template.form !== undefined ? Object.entries(template.form).map(([name, value]) => compileQueryValue(name, value)) : null;
  const multipart = template.multipart !== undefined ? compileMultipart(template.multipart) : null;
  const addJsonType = template.json !== undefined && !configuredType;
  const addFormType = form !== null && !configuredType;

  const render = (ctx: RenderContext): RenderedRequest => {
    const renderedHeaders: Record<string, string> = {};
    for (const [name, value] of headers) renderedHeaders[name] = renderPart(value, ctx);
    if (addJsonType) renderedHeaders['content-type'] = 'application/json';
    if (addFormType) renderedHeaders['content-type'] = 'application/x-www-form-urlencoded';
    const pairs: Array<[string, string]> = [];
    for (const entry of query) entry(ctx, pairs);
    let rendered: RenderedRequest['body'] = body === undefined ? undefined : renderPart(body, ctx);
    if (form) {
      const fields: Array<[string, string]> = [];
      for (const entry of form) entry(ctx, fields);
      rendered = new URLSearchParams(fields).toString();
    } else if (multipart) {
      const built = multipartBody(multipart.map((part) => part(ctx)));
      // The boundary is the body's own: a content type written in the template cannot know it.
      if (configuredType) delete renderedHeaders[configuredType[0]];
      renderedHeaders['content-type'] = built.contentType;
      renderedHeaders['content-length'] = String(built.body.length);
      rendered = built.body;
    }
    const out: RenderedRequest = {
      method: renderPart(method, ctx),
      query: pairs,
      headers: renderedHeaders,
      body: rendered,
    };
    if (path !== undefined) out.path = renderPart(path, ctx);
    if (url !== undefined) out.url = renderPart(url, ctx);
    const contentType = multipart ? renderedHeaders['content-type'] : configuredType ? renderedHeaders[configuredType[0]] : addJsonType ? 'application/json' : addFormType ? 'application/x-www-form-urlencoded' : undefined;
    if (contentType !== undefined) out.contentType = contentType;
    return out;
  };
  const { multipart: streamed, ...rest } = template;
  return Object.assign(render, { constant: streamed === undefined && !hasPlaceholder(rest) });
}

const compiled = new WeakMap<RequestTemplate, CompiledTemplate>();

/** Renders with a per-template compiled cache; prefer holding `compileTemplate`'s function in hot loops. */
export function renderTemplate(template: RequestTemplate, ctx: RenderContext): RenderedRequest {
  let render = compiled.get(template);
  if (!render) {
    render = compileTemplate(template);
    compiled.set(template, render);
  }
  return render(ctx);
}
