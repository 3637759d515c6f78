/** Writes a small troupe project (config, personas, locations) into a temp folder for CLI tests. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './cli.js';

export interface ProjectFiles {
  /** troupe.config.yaml text. */
  config: string;
  /** personas/<file> → text. */
  personas: Record<string, string>;
  /** locations.csv text. */
  locations: string;
}

export async function writeProject(files: ProjectFiles): Promise<string> {
  const dir = await tempDir('troupe-proj-');
  await mkdir(join(dir, 'personas'));
  await writeFile(join(dir, 'troupe.config.yaml'), files.config);
  for (const [name, text] of Object.entries(files.personas)) await writeFile(join(dir, 'personas', name), text);
  await writeFile(join(dir, 'locations.csv'), files.locations);
  return dir;
}

/** `id,route` CSV with `n` rows `l1..ln`, each row's route from `route(i)`. */
export function locationsCsv(n: number, route: (i: number) => string = () => '/ok'): string {
  const rows = Array.from({ length: n }, (_, i) => `l${i + 1},${route(i + 1)}`);
  return `id,route\n${rows.join('\n')}\n`;
}
