/**
 * Per persona × location figures of a run directory, rebuilt from results.ndjson (summary.json no longer
 * carries them; an older one that does is used as it is). One pass over the file, into the compact
 * table of src/metrics/persona-locations.ts (~0.2 KiB a pair with a few requests).
 */
import type { ResultRecord } from '../engine/records.js';
import type { ScopeStats } from '../metrics/aggregate.js';
import { countsInFigures } from '../metrics/journey-metrics.js';
import { PersonaLocationScopes } from '../metrics/persona-locations.js';
import { runDirPaths } from './layout.js';
import { readResults } from './results.js';

export async function personaLocationsFromResults(dir: string): Promise<PersonaLocationScopes> {
  const pairs = new PersonaLocationScopes();
  for await (const line of readResults(runDirPaths(dir).results, { missingIsEmpty: true })) {
    if (countsInFigures(line)) pairs.add(line as ResultRecord);
  }
  return pairs;
}

/** (persona, location, numbers) rows, sorted by persona then location. */
export type PersonaLocations = () => AsyncIterable<[string, string, ScopeStats]>;

export function personaLocationsOf(dir: string): PersonaLocations {
  return async function* () {
    yield* (await personaLocationsFromResults(dir)).rows();
  };
}
