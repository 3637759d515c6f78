import { InvalidArgumentError } from 'commander';
import type { Order } from '../fixtures/types.js';

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
  if (value === 'persona' || value === 'interleaved' || value === 'shuffled') return value;
  throw new InvalidArgumentError(`expected persona, interleaved or shuffled, got "${value}"`);
}
