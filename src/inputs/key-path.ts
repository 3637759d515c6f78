/**
 * Key paths as messages print them (`personas[2].headers.Accept`). Apart from issues.ts, which turns
 * zod issues into messages, so that the engine's template renderer can name a key path without
 * loading zod (every worker thread imports the renderer).
 */
export type KeyPath = ReadonlyArray<PropertyKey>;

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `['personas', 2, 'headers', 'Accept']` → `personas[2].headers.Accept`. */
export function formatKeyPath(segments: KeyPath, prefix = ''): string {
  let text = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) text += text === '' ? key : `.${key}`;
      else text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}

/** Joins two already formatted key paths. */
export function joinKeyPath(prefix: string, rest: string): string {
  if (prefix === '') return rest;
  if (rest === '' || rest.startsWith('[')) return prefix + rest;
  return `${prefix}.${rest}`;
}

