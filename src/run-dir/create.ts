/** Creating a run directory: its id, the folder and its personas/ folder. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RunDirError } from '../errors.js';
import { slugify } from '../inputs/slug.js';
import { runDirPaths } from './layout.js';

export interface RunDirectory {
  id: string;
  path: string;
}

/** Run ids sort by time and say what ran: `<name>-<yyyymmdd>-<hhmmss>` (UTC), `-2`, `-3`… on a clash. */
export function runIdFor(name: string, at: Date): string {
  const iso = at.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${slugify(name) || 'run'}-${stamp}`;
}

/** Create a fresh run directory (never reuse one: mkdir without `recursive` fails if it exists). */
export async function createRunDirectory(outDir: string, name: string, at: Date): Promise<RunDirectory> {
  await mkdir(outDir, { recursive: true });
  const base = runIdFor(name, at);
  for (let n = 1; n < 1000; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const path = join(outDir, id);
    try {
      await mkdir(path);
      await mkdir(runDirPaths(path).personas);
      return { id, path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunDirError(`cannot create run directory ${path}: ${(err as Error).message}`);
    }
  }
  throw new RunDirError(`cannot create a run directory for ${base} in ${outDir}: too many runs with that name this second`);
}
