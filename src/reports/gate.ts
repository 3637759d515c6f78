/**
 * The CI gate around a run: before it, thresholds parsed and scope-checked and the baseline read; after
 * it, the comparison and the CI files (compare.json/csv, summary.md, junit.xml). The CLI only prints.
 */
import type { ArtifactError } from '../errors.js';
import type { LoadedInputs } from '../inputs/types.js';
import { configThresholds, distinctThresholds, flagThresholds, scopeCatalog } from '../inputs/threshold-config.js';
import type { Threshold } from '../metrics/thresholds.js';
import { runDirPaths } from '../run-dir/layout.js';
import type { RunSummary } from '../run-dir/types.js';
import { shownPath } from '../run-dir/paths.js';
import { attemptArtifact } from './artifacts.js';
// compare (and the histograms under it), junit and markdown load when a baseline or a CI file is
// asked for: `troupe validate` prepares the gate without them.
import type { ComparableSummary, CompareOptions, Comparison } from './compare.js';

export interface Gate {
  thresholds: Threshold[];
  baseline: { summary: ComparableSummary; source: string } | null;
  compare: CompareOptions;
}

export interface GateRequest {
  /** `--threshold` expressions, after the config's. */
  thresholds: readonly string[];
  /** Absolute path of `--baseline`, if any. */
  baselinePath: string | null;
  maxRegression?: number;
}

/** Before the run: every threshold parsed and its scope checked, the baseline read. Throws exit-2 errors. */
export async function prepareGate(inputs: LoadedInputs, request: GateRequest): Promise<Gate> {
  const catalog = scopeCatalog(inputs.personas, inputs.locations);
  const { gate, source } = inputs.config;
  const thresholds = distinctThresholds([...configThresholds(gate, source, catalog), ...flagThresholds(request.thresholds, catalog)]);
  const baseline = request.baselinePath ? { summary: await (await import('./compare.js')).readSummary(request.baselinePath, '--baseline'), source: request.baselinePath } : null;
  const compare = { ...gate.compare, ...(request.maxRegression !== undefined ? { maxRegression: request.maxRegression } : {}) } as CompareOptions;
  return { thresholds, baseline, compare };
}

export interface GateOutcome {
  comparison: Comparison | null;
  failed: boolean;
  /** CI files that could not be written (the others were). */
  artifactsFailed: ArtifactError[];
}

/**
 * After the run, before the end-of-run outputs: compare with the baseline and write compare.json.
 * junit.xml and summary.md are outputs (src/sinks/registry.ts) that show this comparison.
 */
export async function finishGate(runDir: string, summary: RunSummary, gate: Gate): Promise<GateOutcome> {
  const compare = gate.baseline ? await import('./compare.js') : null;
  const comparison = gate.baseline && compare ? compare.compareSummaries(gate.baseline.summary, summary, gate.compare, { baseline: gate.baseline.source, current: runDir }) : null;
  const artifactsFailed: ArtifactError[] = [];
  if (comparison) await attemptArtifact(shownPath(runDirPaths(runDir).compare), artifactsFailed, () => compare!.writeComparison(runDir, comparison));
  return { comparison, failed: summary.thresholds?.passed === false || comparison?.passed === false, artifactsFailed };
}

/**
 * summary.md and junit.xml in the run directory as `outputs` asks, plus a JUnit file at `junitPath`.
 * Returns a warning for stderr when summary.md was cut to fit GITHUB_STEP_SUMMARY, and the files that
 * could not be written (each is tried).
 */
export async function writeCiFiles(runDir: string, summary: RunSummary, comparison: Comparison | null, outputs: readonly string[], junitPath: string | null): Promise<{ warning?: string; failed: ArtifactError[] }> {
  const [{ renderJunit, writeJunit }, { renderMarkdown, writeMarkdown }] = await Promise.all([import('./junit.js'), import('./markdown.js')]);
  const failed: ArtifactError[] = [];
  let warning: string | undefined;
  if (outputs.includes('markdown')) {
    const path = runDirPaths(runDir).markdown;
    warning = (await attemptArtifact(shownPath(path), failed, () => writeMarkdown(path, renderMarkdown(summary, comparison)))) ?? undefined;
  }
  const junit = renderJunit(summary, comparison);
  for (const path of [...(outputs.includes('junit') ? [runDirPaths(runDir).junit] : []), ...(junitPath ? [junitPath] : [])]) {
    await attemptArtifact(shownPath(path), failed, () => writeJunit(path, junit));
  }
  return { ...(warning ? { warning } : {}), failed };
}
