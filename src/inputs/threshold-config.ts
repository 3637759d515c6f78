/**
 * The CI gate's config keys (`thresholds`, `outputs`, `compare`) and the checks that turn threshold
 * expressions into Thresholds whose scopes exist, before anything is sent. Errors are exit 2 and
 * point at the expression's column.
 */
import { LocationTable } from './location-table.js';
import { z } from 'zod';
import { InputError, UsageError } from '../errors.js';
import { durationField, intAtLeast, strictObject } from './issues.js';
import { PERCENT_HINT } from './json-hints.js';
import type { GateConfig } from './types.js';
import { parsePercent, parseThreshold, ThresholdSyntaxError, type Threshold } from './threshold-parse.js';
import { resolveThresholdScopes, type ScopeCatalog } from './threshold-scopes.js';

import { COMPARE_METRICS, type CompareMetric } from './compare-metrics.js';

export { COMPARE_METRICS, type CompareMetric };

export const GATE_DEFAULTS: GateConfig = {
  thresholds: [],
  outputs: ['markdown'],
  compare: { maxRegression: 0.1, tolerances: {}, minSamples: 30, minLatencyDeltaMs: 1 },
};

const PERCENT_EXPECTED = 'a percentage such as 10% (or a fraction such as 0.1)';
const percent = z.unknown().transform((v, ctx) => parsePercent(v) ?? (ctx.addIssue({ code: 'custom', message: PERCENT_EXPECTED }), z.NEVER)).meta(PERCENT_HINT);

/** Spread into the config file's schema. */
export const gateConfigShape = {
  thresholds: z.array(z.string().min(1)).optional(),
  // Names are checked against the output registry (src/sinks/registry.ts) before the run, naming `outputs[i]`.
  outputs: z.array(z.string().min(1)).optional(),
  compare: strictObject({
    maxRegression: percent.optional(),
    tolerances: strictObject(Object.fromEntries(COMPARE_METRICS.map((m) => [m, percent.optional()])) as Record<CompareMetric, z.ZodOptional<typeof percent>>).optional(),
    minSamples: intAtLeast(0).optional(),
    minLatencyDelta: durationField(false).optional(),
  }).optional(),
};

type GateFile = { [K in keyof typeof gateConfigShape]?: z.output<(typeof gateConfigShape)[K]> };

export function buildGateConfig(file: GateFile): GateConfig {
  const c = file.compare ?? {};
  const d = GATE_DEFAULTS.compare;
  const tolerances: Record<string, number> = {};
  for (const [metric, value] of Object.entries(c.tolerances ?? {})) if (value !== undefined) tolerances[metric] = value as number;
  return {
    thresholds: file.thresholds ?? [],
    outputs: file.outputs ? [...new Set(file.outputs)] : GATE_DEFAULTS.outputs,
    compare: { maxRegression: c.maxRegression ?? d.maxRegression, tolerances, minSamples: c.minSamples ?? d.minSamples, minLatencyDeltaMs: c.minLatencyDelta ?? d.minLatencyDeltaMs },
  };
}

/**
 * Scope names a run will have, from its personas and locations: a persona's steps are its journey's
 * step names, or `request` for a persona that makes one request per visit.
 */
export function scopeCatalog(
  personas: ReadonlyArray<{ name: string; slug: string; journey?: ReadonlyArray<{ name: string }> }>,
  locations: LocationTable | ReadonlyArray<{ id: string }>,
): ScopeCatalog {
  const steps = new Set(personas.flatMap((p) => (p.journey?.length ? p.journey.map((s) => s.name) : ['request'])));
  return { personas: personas.map(({ name, slug }) => ({ name, slug })), locations: locations instanceof LocationTable ? locations.idList() : locations.map((l) => l.id), steps: [...steps] };
}

function parseChecked(expression: string, catalog: ScopeCatalog, onError: (err: ThresholdSyntaxError) => never): Threshold {
  try {
    return resolveThresholdScopes([parseThreshold(expression)], catalog)[0]!;
  } catch (err) {
    if (err instanceof ThresholdSyntaxError) onError(err);
    throw err;
  }
}

/** The config's thresholds, parsed and scope-checked; an error names the file and `thresholds[i]`. */
export function configThresholds(gate: GateConfig, source: string | null, catalog: ScopeCatalog): Threshold[] {
  return gate.thresholds.map((expression, i) =>
    parseChecked(expression, catalog, (err) => {
      throw new InputError('E_CONFIG', { file: source ?? 'the config', path: `thresholds[${i}]` }, `invalid threshold: ${err.message}`);
    }),
  );
}

function usageError(where: string, expression: string): (err: ThresholdSyntaxError) => never {
  return (err) => {
    throw new UsageError(`${where} ${JSON.stringify(expression)}: ${err.message}`);
  };
}

/** `--threshold` flags, parsed and scope-checked; an error quotes the flag. */
export function flagThresholds(expressions: readonly string[], catalog: ScopeCatalog): Threshold[] {
  return expressions.map((expression) => parseChecked(expression, catalog, usageError('--threshold', expression)));
}

/**
 * The thresholds without repeats, first kept: the same check from the config and a --threshold flag
 * (`p95 < 500ms` and `p95<0.5s` alike) is judged and shown once, not twice.
 */
export function distinctThresholds(thresholds: readonly Threshold[]): Threshold[] {
  const seen = new Set<string>();
  return thresholds.filter((t) => {
    const key = JSON.stringify([t.scope.kind, t.scope.kind === 'global' ? null : t.scope.value, t.metric, t.operator, t.limit]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Threshold expressions parsed without a scope check, for commands with no personas and locations to
 * check against (merge, bench); an error names `where` and quotes the expression.
 */
export function parseFlagThresholds(expressions: readonly string[], where = '--threshold'): Threshold[] {
  return expressions.map((expression) => {
    try {
      return parseThreshold(expression);
    } catch (err) {
      if (err instanceof ThresholdSyntaxError) usageError(where, expression)(err);
      throw err;
    }
  });
}
