/**
 * Checking a run.json or summary.json against its schema and format version, for readers. The version
 * is checked first: a newer major may have changed any key, so its shape says nothing; its version does.
 */
import type { z } from 'zod';
import { DamagedFileError, FormatVersionError } from '../errors.js';
import { shownPath } from './paths.js';
import { FORMAT_MAJOR, formatVersionSchema } from './schemas.js';

export const damaged = (path: string, why: string): DamagedFileError =>
  new DamagedFileError(path, `${shownPath(path)}: ${why} (the file is damaged or not written by troupe)`);

/** Refuses (E_RUN_DIR_FORMAT, exit 2) a file whose formatVersion has a newer major than this troupe's; absent reads as 1.0.0. */
export function checkFormatVersion(path: string, value: Record<string, unknown>): void {
  const version = value.formatVersion;
  if (version === undefined) return;
  if (!formatVersionSchema.safeParse(version).success) throw damaged(path, `formatVersion ${JSON.stringify(version)} is not a version like "1.0.0"`);
  const major = Number((version as string).split('.')[0]);
  if (major > FORMAT_MAJOR) {
    throw new FormatVersionError(path, version as string, `${shownPath(path)}: format version ${version as string} is newer than this troupe reads (${FORMAT_MAJOR}.x); upgrade troupe`);
  }
}

/** `key.path: message` for the first few issues. */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  return shown.join('; ') + (error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '');
}

/**
 * The file's object, checked: its version, then its schema. The object itself is returned, not zod's
 * copy: zod rebuilds records by assignment, which would drop a `__proto__` key (a persona may be called that).
 */
export function checkedFile<S extends z.ZodType>(path: string, schema: S, value: Record<string, unknown>): z.output<S> {
  checkFormatVersion(path, value);
  // jitless: one file per parse; generating zod's fast path costs more than it saves (see inputs/issues.ts).
  const result = schema.safeParse(value, { jitless: true });
  if (!result.success) throw damaged(path, `does not match its schema (${describeIssues(result.error)})`);
  return value as z.output<S>;
}
