/**
 * What a visit's templates draw on besides the persona, the location and captures: its VU, its id, the
 * clock, and a random stream of its own. The stream is derived from (run seed, visit id), not drawn from
 * one shared sequence: with concurrency the order visits start in is not deterministic, so a shared
 * sequence would hand the same visit different values from run to run.
 */
import { streamFor } from '../util/random.js';

export interface VisitValues {
  /** The virtual user running the visit; 0 when there is none (the open model). */
  readonly vu: number;
  /** The visit's work item id, e.g. `sarah/chi-loop/1`. */
  readonly visit: string;
  /** Uniform in [0, 1), from the visit's own seeded stream. */
  random(): number;
  /** Epoch ms now. */
  wallNow(): number;
}

/** The stream is made on first use: a visit whose templates draw nothing pays nothing. */
export function visitValues(seed: number, visit: string, vu: number, wallNow: () => number): VisitValues {
  let stream: (() => number) | null = null;
  return {
    vu,
    visit,
    random: () => (stream ??= streamFor(seed, visit))(),
    wallNow,
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** An RFC 9562 version 4 UUID from the stream (not from crypto: it must repeat with the seed). */
export function randomUuid(random: () => number): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    let byte = Math.floor(random() * 256);
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    if (i === 8) byte = (byte & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[byte >> 4]! + HEX[byte & 15]!;
  }
  return out;
}

/** A whole number from min to max, both included. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomString(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(random() * ALPHANUMERIC.length)]!;
  return out;
}
