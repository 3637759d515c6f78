/** A JSON Schema draft 2020-12 validator (ajv) for tests that check written files against troupe's schemas. */
import * as ajvModule from 'ajv/dist/2020.js';

type Ajv = import('ajv/dist/2020.js').default;
// ajv is CommonJS: under NodeNext its class is the default export of the namespace, or the namespace's default's default.
const Ajv2020 = ((ajvModule as unknown as { default: { default?: new (o: object) => Ajv } & (new (o: object) => Ajv) }).default.default ??
  (ajvModule as unknown as { default: new (o: object) => Ajv }).default) as new (o: object) => Ajv;

/** A validate function: null when `data` is valid, else ajv's errors as readable text. */
export function schemaValidator(schema: object): (data: unknown) => string | null {
  // code.optimize off: ajv's code-generation passes cost half of compiling summary.json's schema
  // (~0.45 of ~0.95 CPU-s, once per test process) and change nothing that is accepted or refused.
  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { optimize: false } });
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? null : ajv.errorsText(validate.errors, { separator: '\n' }));
}
