import { isAbsolute, relative } from 'node:path';

/**
 * A path as a message shows it: relative to the current directory when it lies under it (what the user
 * typed, or can paste), absolute otherwise.
 */
export function shownPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
