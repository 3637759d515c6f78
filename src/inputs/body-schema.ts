/**
 * `expect: [{ schema: {...} }]`: a JSON Schema the response body must satisfy, judged by ajv (draft-07 by
 * default; draft 2019-09 and 2020-12 when the schema's `$schema` says so). A schema is compiled once per
 * thread and reused for every response; a schema ajv refuses (an unknown keyword or format, a bad type)
 * is an input error at load. Schemas travel to worker threads as plain data and compile there again.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';

type AjvLike = { compile(schema: object): ValidateFunction };
type AjvClass = new (options: object) => AjvLike;

// ajv is CommonJS, costs ~90 ms to load and ~10 MB of resident memory: required (synchronously, as the loader is) only when a
// config has a schema check, and only the draft it names. Its class is the export or its default.
const require = createRequire(import.meta.url);
const classOf = (id: string): AjvClass => {
  const m = require(id) as AjvClass & { default?: AjvClass };
  return m.default ?? m;
};

const DRAFTS: ReadonlyArray<{ match: RegExp; make: () => AjvLike }> = [
  { match: /2020-12/, make: () => new (classOf('ajv/dist/2020.js'))({ strict: true }) },
  { match: /2019-09/, make: () => new (classOf('ajv/dist/2019.js'))({ strict: true }) },
  { match: /draft-07|^$/, make: () => new (classOf('ajv'))({ strict: true }) },
];

const instances = new Map<RegExp, AjvLike>();
const compiled = new Map<string, ValidateFunction>();

/** The validate function, or a description of what is wrong with the schema. */
export function compileBodySchema(schema: unknown): ValidateFunction | string {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'a JSON Schema as a map, e.g. {type: object, required: [token]}';
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known;
  const declared = (schema as { $schema?: unknown }).$schema;
  const draft = DRAFTS.find((d) => d.match.test(typeof declared === 'string' ? declared : ''));
  if (!draft) return `$schema ${JSON.stringify(declared)} is not supported; expected draft-07 (the default), 2019-09 or 2020-12`;
  let ajv = instances.get(draft.match);
  if (!ajv) instances.set(draft.match, (ajv = draft.make()));
  try {
    const validate = ajv.compile(schema);
    compiled.set(key, validate);
    return validate;
  } catch (err) {
    return `a valid JSON Schema (${(err as Error).message})`;
  }
}

/** The first error as `POINTER: problem`, the pointer naming where in the body (`(root)` for the body itself). */
export function describeSchemaError(error: ErrorObject): string {
  const at = (pointer: string) => pointer || '(root)';
  const child = (key: unknown) => `${error.instancePath}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${child(params.missingProperty)}: is missing (required)`;
  if (error.keyword === 'additionalProperties') return `${child(params.additionalProperty)}: is not allowed (additionalProperties: false)`;
  return `${at(error.instancePath)}: ${error.message ?? error.keyword}`;
}
