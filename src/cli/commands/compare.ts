/**
 * `troupe compare <baseline> <current>`, and the CI-gate half of `troupe run` (thresholds from flags,
 * --baseline, --json, --junit): flags in, typed options out, one call into metrics/ and reports/.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode, mostImportantExit, type ArtifactError } from '../../errors.js';
import type { LoadedInputs } from '../../inputs/types.js';
import { COMPARE_METRICS, type CompareMetric } from '../../inputs/compare-metrics.js';
import { renderVerdictLines } from '../../metrics/threshold-format.js';
import type { CompareOptions, Comparison } from '../../reports/compare.js';
import type { Gate, GateOutcome } from '../../reports/gate.js';
import { runDirPaths } from '../../run-dir/layout.js';
import type { RunSummary } from '../../run-dir/types.js';
import { shownPath } from '../../run-dir/paths.js';
import { attemptArtifact } from '../../reports/artifacts.js';
import { detectTerminal, paint } from '../../sinks/terminal.js';
import type { ExitSetter } from '../main.js';
import { collect, examples, percentOption } from '../options.js';

// The gate's modules (zod schemas, comparison, JUnit, Markdown) load on first use: `troupe --help` skips them.
const gateModules = async () => {
  const [config, compare, junit, markdown] = await Promise.all([
    import('../../inputs/threshold-config.js'),
    import('../../reports/compare.js'),
    import('../../reports/junit.js'),
    import('../../reports/markdown.js'),
  ]);
  return { ...config, ...compare, ...junit, ...markdown };
};

function toleranceOption(value: string, previous: Partial<Record<CompareMetric, number>> = {}): Partial<Record<CompareMetric, number>> {
  const [metric, amount] = value.split('=');
  if (!(COMPARE_METRICS as readonly string[]).includes(metric ?? '') || amount === undefined) {
    throw new InvalidArgumentError(`expected METRIC=PERCENT with METRIC one of ${COMPARE_METRICS.join(', ')}, got "${value}"`);
  }
  return { ...previous, [metric!]: percentOption(amount) };
}

function minSamplesOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return n;
}

/** The gate flags of `troupe run`. */
export interface GateFlags {
  threshold?: string[];
  json?: boolean;
  junit?: string;
  baseline?: string;
  maxRegression?: number;
}

export function addGateOptions(command: Command): Command {
  return command
    .option('--threshold <expr>', 'fail (exit 1) unless this holds, e.g. "p95 < 2s" or "persona:sarah error_rate < 1%" (repeatable)', collect)
    .option('--json', 'print the summary with its verdict as one JSON document on stdout')
    .option('--junit <file>', 'write a JUnit XML file: one testcase per threshold and regression check')
    .option('--baseline <run-dir|summary.json>', 'compare with an earlier run; a regression beyond the tolerance fails (exit 1)')
    .option('--max-regression <percent>', 'tolerance for latency and throughput against --baseline (default 10%)', percentOption);
}

/** Before the run: the gate's thresholds and baseline from the config and flags (exit 2 on bad ones). */
export async function prepareGate(inputs: LoadedInputs, flags: GateFlags, cwd: string): Promise<Gate> {
  const { prepareGate: prepare } = await import('../../reports/gate.js');
  return prepare(inputs, { thresholds: flags.threshold ?? [], baselinePath: flags.baseline ? resolve(cwd, flags.baseline) : null, maxRegression: flags.maxRegression });
}

/** After the run, before the end-of-run outputs: the comparison with --baseline and compare.json (reports/gate.ts). */
export async function judgeGate(runDir: string, summary: RunSummary, gate: Gate): Promise<GateOutcome> {
  const { finishGate } = await import('../../reports/gate.js');
  return finishGate(runDir, summary, gate);
}

/** The gate's verdict on stderr and, with --json, the summary (with its comparison) on stdout. */
export async function printGate(summary: RunSummary, outcome: GateOutcome, flags: GateFlags): Promise<void> {
  const { renderComparisonTable } = await import('../../reports/compare.js');
  const { comparison } = outcome;
  const c = paint(detectTerminal(process.stderr));
  if (summary.thresholds) process.stderr.write(`\n${renderVerdictLines(summary.thresholds, c)}`);
  if (comparison) process.stderr.write(`\n${renderComparisonTable(comparison, c)}`);
  if (flags.json) process.stdout.write(`${JSON.stringify(comparison ? { ...summary, comparison } : summary, null, 2)}\n`);
}

interface CompareFlags {
  maxRegression?: number;
  tolerance?: Partial<Record<CompareMetric, number>>;
  minSamples?: number;
  out?: string;
  json?: boolean;
  junit?: string;
}

export function registerCompare(program: Command, setExit: ExitSetter): void {
  program
    .command('compare')
    .description('Compare two runs (run directories or summary.json files); exit 1 when the current one regressed.')
    .addHelpText('after', examples('troupe compare reports/base-20261123-101500 reports/demo-20261123-101700 --max-regression 20% --out compare'))
    .argument('<baseline>', 'the earlier run: a run directory or its summary.json')
    .argument('<current>', 'the run to judge: a run directory or its summary.json')
    .option('--max-regression <percent>', 'tolerance for p50/p95/p99 and throughput (default 10%)', percentOption)
    .option('--tolerance <metric=percent>', 'per-metric tolerance, e.g. p99=25% or error_rate=0.5% (rates in percentage points; repeatable)', toleranceOption)
    .option('--min-samples <n>', 'scopes with fewer requests are shown but not judged (default 30)', minSamplesOption)
    .option('-o, --out <dir>', 'write compare.json, compare.csv and compare.md into this folder')
    .option('--json', 'print the comparison as one JSON document on stdout (the table goes to stderr)')
    .option('--junit <file>', 'write a JUnit XML file with one testcase per regression check')
    .action(async (baselineArg: string, currentArg: string, flags: CompareFlags) => {
      const cwd = process.cwd();
      const { readSummary, COMPARE_DEFAULTS, compareSummaries, renderComparisonMarkdown, writeComparison, writeMarkdown, writeJunit, renderJunit, renderComparisonTable } = await gateModules();
      const [baseline, current] = await Promise.all([readSummary(resolve(cwd, baselineArg), 'baseline'), readSummary(resolve(cwd, currentArg), 'current')]);
      const defaults = COMPARE_DEFAULTS;
      const options: CompareOptions = {
        maxRegression: flags.maxRegression ?? defaults.maxRegression,
        tolerances: flags.tolerance ?? {},
        minSamples: flags.minSamples ?? defaults.minSamples,
        minLatencyDeltaMs: defaults.minLatencyDeltaMs,
      };
      const comparison: Comparison = compareSummaries(baseline, current, options, { baseline: baselineArg, current: currentArg });
      const markdown = renderComparisonMarkdown(comparison);
      // Each output is tried; one that cannot be written is named and the command exits 4 (1 wins).
      const failed: ArtifactError[] = [];
      const out = flags.out ? resolve(cwd, flags.out) : null;
      if (out) {
        await attemptArtifact(shownPath(runDirPaths(out).compare), failed, async () => {
          await mkdir(out, { recursive: true });
          await writeComparison(out, comparison);
        });
      }
      const markdownPath = out ? runDirPaths(out).compareMarkdown : null;
      const warning = await attemptArtifact(markdownPath ? shownPath(markdownPath) : 'GITHUB_STEP_SUMMARY', failed, () => writeMarkdown(markdownPath, markdown));
      if (warning) process.stderr.write(`troupe: ${warning}\n`);
      if (flags.junit) {
        const junitPath = resolve(cwd, flags.junit);
        await attemptArtifact(shownPath(junitPath), failed, () => writeJunit(junitPath, renderJunit({ runId: current.runId ?? currentArg, name: current.name ?? 'compare', startedAt: current.startedAt ?? new Date().toISOString(), durationMs: 0 }, comparison)));
      }
      for (const err of failed) process.stderr.write(`troupe: ${err.message}\n`);
      const table = renderComparisonTable(comparison, paint(detectTerminal(flags.json ? process.stderr : process.stdout)));
      if (flags.json) {
        process.stderr.write(table);
        process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
      } else process.stdout.write(table);
      setExit(mostImportantExit(comparison.passed ? ExitCode.ok : ExitCode.failed, failed.length ? ExitCode.artifactFailed : ExitCode.ok));
    });
}
