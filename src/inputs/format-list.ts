/**
 * `--format csv,pdf`: which files a command writes (`troupe report`, `trend`, `capacity`), one rule for
 * all of them. Names are case-insensitive, kept once each; an unknown name lists the valid ones (exit 2).
 */
import { UsageError } from '../errors.js';
import { printable } from '../util/printable.js';

export function parseFormatList(value: string, valid: readonly string[]): string[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--format: expected one or more of ${valid.join(', ')}, got "${printable(value)}"`);
  for (const name of names) {
    if (!valid.includes(name)) throw new UsageError(`--format: unknown format "${printable(name)}"; valid formats: ${valid.join(', ')}`);
  }
  return [...new Set(names)];
}
