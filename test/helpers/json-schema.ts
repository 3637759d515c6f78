/** A JSON Schema draft 2020-12 validator (ajv) for tests that check written files against troupe's schemas. */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ajvModule from 'ajv/dist/2020.js';
import * as standaloneModule from 'ajv/dist/standalone/index.js';

type Ajv = import('ajv/dist/2020.js').default;
type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
// ajv is CommonJS: under NodeNext its exports are the namespace's default, or the default's default.
const cjs = <T>(m: unknown): T => ((m as { default: { default?: T } }).default.default ?? (m as { default: T }).default);
const Ajv2020 = cjs<new (o: object) => Ajv>(ajvModule);
const standaloneCode = cjs<(ajv: Ajv, validate: unknown) => string>(standaloneModule);
const requireHere = createRequire(import.meta.url);
const AJV_VERSION = (requireHere('ajv/package.json') as { version: string }).version;

// code.optimize off: ajv's code-generation passes cost half of compiling summary.json's schema and
// change nothing that is accepted or refused.
const options = { allErrors: true, strict: false, code: { optimize: false, source: true } };
let formatter: Ajv | undefined;

/** A validate function: null when `data` is valid, else ajv's errors as readable text. */
export function schemaValidator(schema: object): (data: unknown) => string | null {
  const validate = compiled(schema);
  return (data) => {
    if (validate(data)) return null;
    formatter ??= new Ajv2020(options);
    return formatter.errorsText(validate.errors as never, { separator: '\n' });
  };
}

/**
 * ajv's compiled code for `schema`, kept in the temp folder by the schema's hash: compiling summary.json's
 * and run.json's schemas took ~0.85 CPU-s in each test process that checks a run directory, and
 * `npm test` points TMPDIR at the suite's own scratch folder, so one process compiles and the others
 * load the code (written to a temp name and renamed, so no process reads half of it).
 */
function compiled(schema: object): Validate {
  const text = JSON.stringify(schema);
  const file = join(tmpdir(), `troupe-ajv-${AJV_VERSION}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.cjs`);
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch {
    const ajv = new Ajv2020(options);
    code = standaloneCode(ajv, ajv.compile(schema));
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  // The standalone module requires ajv's runtime helpers: resolved from here, not from the temp folder.
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', code)(requireHere, module, module.exports);
  return module.exports as Validate;
}
