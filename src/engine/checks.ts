/** Judging a step's response against its `expect` list. Pure: a response in, results out. */
import type { Check } from '../inputs/journey.js';
import { valueAtJsonPath, type ResponseView } from './capture.js';
import type { CheckResult } from './records.js';

export interface CheckInput {
  status: number | null;
  latencyMs: number;
  view: ResponseView;
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

export function runCheck(check: Check, input: CheckInput): CheckResult {
  const fail = (message: string): CheckResult => ({ name: check.label, ok: false, message });
  const pass: CheckResult = { name: check.label, ok: true };
  switch (check.kind) {
    case 'status':
      return input.status !== null && check.codes.includes(input.status) ? pass : fail(input.status === null ? 'no response' : `status ${input.status}`);
    case 'latency':
      return input.latencyMs < check.maxMs ? pass : fail(`took ${Math.round(input.latencyMs)} ms`);
    case 'contains':
      if (input.view.bodyText === undefined) return fail('no body');
      return input.view.bodyText.includes(check.text) ? pass : fail('not in the body');
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
          return deepEqual(at.value, check.equals) ? pass : fail(`got ${show(at.value)}`);
        case 'matches':
          if (!at.found) return fail('missing');
          return new RegExp(check.pattern!).test(typeof at.value === 'string' ? at.value : show(at.value)) ? pass : fail(`got ${show(at.value)}`);
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
}

export function runChecks(checks: readonly Check[], input: CheckInput): CheckResult[] {
  return checks.map((check) => runCheck(check, input));
}
