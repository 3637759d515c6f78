/**
 * Threshold scopes checked against what a run will have (personas, locations, steps) before it
 * starts: part of reading the inputs, so a typo in `persona:sarha p95 < 1s` is exit 2, not a failed run.
 */
import { slugify } from './slug.js';
import { ThresholdSyntaxError, type Threshold } from './threshold-parse.js';

export interface PersonaRef {
  name: string;
  slug: string;
}

export type PersonaMatch = { name: string } | { ambiguous: string[] } | null;

/**
 * A persona by its name (any case), its slug, or the leading words of its slug when only one persona
 * starts that way: `sarah` finds `Sarah the site selector`.
 */
export function matchPersona(ref: string, personas: readonly PersonaRef[]): PersonaMatch {
  const exact = personas.find((p) => p.name === ref || p.slug === ref) ?? personas.find((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (exact) return { name: exact.name };
  const stem = slugify(ref, '');
  if (stem === '') return null;
  const bySlug = personas.filter((p) => p.slug === stem || p.slug.startsWith(`${stem}-`));
  if (bySlug.length === 1) return { name: bySlug[0]!.name };
  if (bySlug.length > 1) return { ambiguous: bySlug.map((p) => p.name) };
  return null;
}

/** What a run will have, known before it starts: scope names a threshold may refer to. */
export interface ScopeCatalog {
  personas: readonly PersonaRef[];
  /** A list, or a view of a location table's ids (no string per row made). */
  locations: Pick<readonly string[], 'length' | 'includes' | 'slice'>;
  steps: readonly string[];
}

const listed = (names: Pick<readonly string[], 'length' | 'slice'>): string => {
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
};

/**
 * Checks that every scoped threshold names a persona, location or step the run has, before the run
 * starts. Throws a ThresholdSyntaxError pointing at the scope's name; persona refs are replaced by
 * the full name, so evaluation is unambiguous.
 */
export function resolveThresholdScopes(thresholds: readonly Threshold[], catalog: ScopeCatalog): Threshold[] {
  return thresholds.map((t) => {
    const scope = t.scope;
    if (scope.kind === 'global' || scope.kind === 'cache') return t;
    const fail = (why: string): never => {
      throw new ThresholdSyntaxError(t.expression, scope.column, why);
    };
    if (scope.kind === 'persona') {
      const match = matchPersona(scope.value, catalog.personas);
      if (match === null) fail(`unknown persona ${JSON.stringify(scope.value)}; the personas are ${listed(catalog.personas.map((p) => p.name))} (a name, a slug or its first words)`);
      if ('ambiguous' in match!) fail(`persona ${JSON.stringify(scope.value)} matches ${listed(match.ambiguous)}; write more of the name`);
      return { ...t, scope: { ...scope, value: (match as { name: string }).name } };
    }
    const known = scope.kind === 'step' ? catalog.steps : catalog.locations;
    if (!known.includes(scope.value)) fail(`unknown ${scope.kind} ${JSON.stringify(scope.value)}; the ${scope.kind}s are ${listed(known)}`);
    return t;
  });
}
