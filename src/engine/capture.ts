/** Reading values out of a response: JSON paths, headers and regular expressions, for captures and checks. */
import type { Capture } from '../inputs/journey.js';
import type { ResponseHeaders } from './cache-status.js';

/** The parsed body, parsed at most once per response. */
export class ResponseView {
  private parsed: { value: unknown } | null | undefined;

  constructor(
    readonly bodyText: string | undefined,
    readonly headers: ResponseHeaders | null,
  ) {}

  /** The JSON body, or undefined when there is none or it is not JSON. */
  json(): unknown {
    if (this.parsed === undefined) {
      try {
        this.parsed = this.bodyText === undefined ? null : { value: JSON.parse(this.bodyText) };
      } catch {
        this.parsed = null;
      }
    }
    return this.parsed?.value;
  }

  header(name: string): string | undefined {
    const value = this.headers?.[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Every value of a header (Set-Cookie comes as several); empty when it is absent. */
  headerValues(name: string): string[] {
    const value = this.headers?.[name.toLowerCase()];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }
}

/** `data.items[0].id`, `$.token`, `items.0.id`: dot keys and [index] segments. */
export function splitJsonPath(path: string): string[] {
  const trimmed = path.trim().replace(/^\$\.?/, '');
  const segments: string[] = [];
  for (const part of trimmed.split('.')) {
    if (part === '') continue;
    const re = /([^[\]]+)|\[(\d+|"[^"]*"|'[^']*')\]/g;
    for (const match of part.matchAll(re)) segments.push(match[1] ?? match[2]!.replace(/^["']|["']$/g, ''));
  }
  return segments;
}

/** The value at `path`, or undefined; `{found}` tells a present `null` from a missing key. */
export function valueAtJsonPath(root: unknown, path: string): { found: boolean; value: unknown } {
  let value = root;
  for (const key of splitJsonPath(path)) {
    if (Array.isArray(value)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= value.length) return { found: false, value: undefined };
      value = value[index];
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: value !== undefined, value };
}

/** One capture's value, or undefined when the response does not have it. */
export function captureValue(capture: Capture, view: ResponseView): unknown {
  const source = capture.source;
  if ('json' in source) {
    const at = valueAtJsonPath(view.json(), source.json);
    return at.found ? at.value : undefined;
  }
  if ('header' in source) return view.header(source.header);
  if (view.bodyText === undefined) return undefined;
  const match = new RegExp(source.regex).exec(view.bodyText);
  return match ? match[source.group] : undefined;
}
