/** Judging a step's response against its `expect` list. Pure: a response in, results out. */
import type { ValidateFunction } from 'ajv';
import { compileBodySchema, describeSchemaError } from '../inputs/body-schema.js';
import type { Check } from '../inputs/journey.js';
import { valueAtJsonPath, type ResponseView } from './capture.js';
import type { CheckResult } from './records.js';
import { compileValue, type RenderContext } from './template.js';

export interface CheckInput {
  status: number | null;
  latencyMs: number;
  view: ResponseView;
  /** What `equals` values and `contains` text render with (placeholders); without it they are used as written. */
  render?: RenderContext;
  /** A failed check on such a header says `[redacted]` instead of the value it got. */
  isSensitiveHeader?: (name: string) => boolean;
}

/** What a check needs at judging time, built once per check (regular expressions, schemas, templates). */
interface Compiled {
  expected?: (ctx: RenderContext) => unknown;
  regex?: RegExp;
  validate?: ValidateFunction;
}

const compiledChecks = new WeakMap<Check, Compiled>();

function compiledFor(check: Check): Compiled {
  let c = compiledChecks.get(check);
  if (c) return c;
  c = {};
  if ((check.kind === 'json' || check.kind === 'header') && check.op === 'equals') c.expected = compileValue(check.equals);
  if (check.kind === 'contains') c.expected = compileValue(check.text);
  if ((check.kind === 'json' || check.kind === 'header') && check.pattern !== undefined) c.regex = new RegExp(check.pattern);
  if (check.kind === 'schema') {
    const validate = compileBodySchema(check.schema);
    // Refused at load already; a schema reaching here compiles.
    if (typeof validate === 'string') throw new Error(validate);
    c.validate = validate;
  }
  compiledChecks.set(check, c);
  return c;
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // YAML `equals: 42` against a JSON "42" is a common slip; compare scalars by their text too.
  if (a !== null && b !== null && typeof a !== 'object' && typeof b !== 'object') return String(a) === String(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const rendered = (c: Compiled, input: CheckInput, fallback: unknown): unknown => (c.expected && input.render ? c.expected(input.render) : fallback);

export function runCheck(check: Check, input: CheckInput): CheckResult {
  const fail = (message: string): CheckResult => ({ name: check.label, ok: false, message });
  const pass: CheckResult = { name: check.label, ok: true };
  switch (check.kind) {
    case 'status':
      return input.status !== null && statusAccepted(check, input.status) ? pass : fail(input.status === null ? 'no response' : `status ${input.status}`);
    case 'latency':
      return input.latencyMs < check.maxMs ? pass : fail(`took ${Math.round(input.latencyMs)} ms`);
    case 'contains': {
      if (input.view.bodyText === undefined) return fail('no body');
      const text = String(rendered(compiledFor(check), input, check.text));
      return input.view.bodyText.includes(text) ? pass : fail(text === check.text ? 'not in the body' : `${show(text)} not in the body`);
    }
    case 'header': {
      const values = input.view.headerValues(check.name);
      const secret = input.isSensitiveHeader?.(check.name) ?? false;
      const got = () => `got ${secret ? '[redacted]' : show(values.length === 1 ? values[0] : values)}`;
      switch (check.op) {
        case 'exists':
          return values.length > 0 ? pass : fail('missing');
        case 'absent':
          return values.length === 0 ? pass : fail(`present: ${secret ? '[redacted]' : show(values[0])}`);
        case 'equals': {
          if (values.length === 0) return fail('missing');
          const expected = String(rendered(compiledFor(check), input, check.equals));
          return values.some((v) => v === expected) ? pass : fail(got());
        }
        case 'matches': {
          if (values.length === 0) return fail('missing');
          const re = compiledFor(check).regex!;
          return values.some((v) => re.test(v)) ? pass : fail(got());
        }
      }
      break;
    }
    case 'schema': {
      const body = input.view.json();
      if (body === undefined) return fail('the body is not JSON');
      const validate = compiledFor(check).validate!;
      return validate(body) ? pass : fail(validate.errors?.[0] ? describeSchemaError(validate.errors[0]) : 'does not match');
    }
    case 'json': {
      const body = input.view.json();
      if (body === undefined) return fail('the body is not JSON');
      const at = valueAtJsonPath(body, check.path);
      switch (check.op) {
        case 'exists':
          return at.found ? pass : fail('missing');
        case 'absent':
          return at.found ? fail(`present: ${show(at.value)}`) : pass;
        case 'equals':
          if (!at.found) return fail('missing');
          return deepEqual(at.value, rendered(compiledFor(check), input, check.equals)) ? pass : fail(`got ${show(at.value)}`);
        case 'matches':
          if (!at.found) return fail('missing');
          return compiledFor(check).regex!.test(typeof at.value === 'string' ? at.value : show(at.value)) ? pass : fail(`got ${show(at.value)}`);
        case 'minCount': {
          if (!at.found) return fail('missing');
          const v = at.value;
          const count = Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : null;
          if (count === null) return fail(`not a list or map: ${show(v)}`);
          return count >= check.minCount! ? pass : fail(`${count} item(s)`);
        }
      }
    }
  }
  return fail('unknown check');
}

export function runChecks(checks: readonly Check[], input: CheckInput): CheckResult[] {
  return checks.map((check) => runCheck(check, input));
}

/**
 * Whether a status check accepts a status. Here, not beside the check's parser in inputs/journey.ts,
 * so that the engine (and every worker thread) runs checks without loading zod.
 */
export function statusAccepted(check: Extract<Check, { kind: 'status' }>, status: number): boolean {
  return check.ranges.some(([lo, hi]) => status >= lo && status <= hi);
}
