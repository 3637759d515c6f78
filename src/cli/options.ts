import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../fixtures/duration.js';
import { ORDERS, type Order } from '../fixtures/types.js';
import { parsePercent } from '../metrics/threshold-parse.js';

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

/** A duration above 0, in ms. */
export function loadDuration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || ms === 0) throw new InvalidArgumentError(`expected a duration above 0 such as 30s, 2m or 500ms, got "${value}"`);
  return ms;
}

/** A duration of 0 or more, in ms. */
export function graceDuration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError(`expected a duration such as 10s, 500ms or 0, got "${value}"`);
  return ms;
}

/** A duration above 0, in seconds; a plain number means seconds. */
export function durationSeconds(value: string): number {
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(value) ? `${value}s` : value);
  if (ms === null || ms <= 0) throw new InvalidArgumentError(`expected a duration above 0 such as 10s, 2m or 500ms (a plain number means seconds), got "${value}"`);
  return ms / 1000;
}

/** For repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
