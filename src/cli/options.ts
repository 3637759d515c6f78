import { InvalidArgumentError, Option } from 'commander';
import { DURATION_EXPECTED, durationProblem, formatDuration, isBareNumber, parseDuration } from '../inputs/duration.js';
import { ORDERS, type Order } from '../inputs/types.js';
import { parsePercent } from '../inputs/threshold-parse.js';

/** Option parsers: the message names the option and quotes the value (commander prefixes the option name). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

export function order(value: string): Order {
  if ((ORDERS as readonly string[]).includes(value)) return value as Order;
  throw new InvalidArgumentError(`expected ${ORDERS.slice(0, -1).join(', ')} or ${ORDERS.at(-1)}, got "${value}"`);
}

function aboveZero(value: string, expected: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected ${expected}, got "${value}"`);
  return n;
}

export const positiveNumber = (value: string): number => aboveZero(value, 'a number above 0');

/** Open-model arrivals per second. */
export const positiveRate = (value: string): number => aboveZero(value, 'arrivals per second above 0, such as 50 or 0.5');

/** A fraction from 0 to 1, such as an error rate. */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a fraction from 0 to 1 such as 0.05, got "${value}"`);
  return n;
}

export function percentOption(value: string): number {
  const fraction = parsePercent(value);
  if (fraction === null) throw new InvalidArgumentError(`expected a percentage such as 10%, got "${value}"`);
  return fraction;
}

/**
 * A duration flag, by the one rule of src/inputs/duration.ts (a unit is required; a bare number
 * gets the fix), in ms. The default is shown in its own unit (`--grace` shows `10s`, not 10000).
 */
export function durationOption(flags: string, description: string, opts: { allowZero?: boolean; defaultMs?: number } = {}): Option {
  const option = new Option(flags, description).argParser((value: string) => {
    const ms = parseDuration(value);
    if (ms === null || (ms === 0 && !opts.allowZero)) {
      throw new InvalidArgumentError(isBareNumber(value) ? durationProblem(value) : `expected ${DURATION_EXPECTED}${opts.allowZero ? ' (or 0)' : ', above 0'}, got "${value}"`);
    }
    return ms;
  });
  return opts.defaultMs === undefined ? option : option.default(opts.defaultMs, formatDuration(opts.defaultMs));
}

/** The `Examples:` block of a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

/** For repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
