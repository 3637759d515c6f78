import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode, mostImportantExit } from '../../errors.js';
import type { ExitSetter } from '../main.js';
import { collect, examples } from '../options.js';

interface MergeFlags {
  out: string;
  threshold?: string[];
  json?: boolean;
  junit?: string;
  /** --no-reports: skip csv/ and report.pdf, as `troupe run --no-reports`. */
  reports?: boolean;
}

export function registerMerge(program: Command, setExit: ExitSetter): void {
  program
    .command('merge')
    .description('Merge shard run directories (--shard i/n, --shards n) into one run directory: exact histograms, all results, thresholds and reports.')
    .addHelpText('after', examples('troupe merge results/shard-0/* results/shard-1/* results/shard-2/* results/shard-3/* --out results/merged'))
    .argument('<run-dir...>', 'the run directory of every shard, 1/n … n/n, in any order')
    .requiredOption('-o, --out <dir>', 'the merged run directory (created; must be new or empty)')
    .option('--threshold <expr>', 'judge this too, besides the thresholds the shards were run with (repeatable)', collect)
    .option('--json', 'print the merged summary with its verdict as one JSON document on stdout')
    .option('--junit <file>', 'write a JUnit XML file: one testcase per threshold')
    .option('--no-reports', 'skip csv/ and report.pdf (build them later with troupe report DIR)')
    .action(async (dirs: string[], flags: MergeFlags) => {
      // Loaded here so that `troupe --help` does not load the merge and report code.
      const [{ mergeRuns }, { parseFlagThresholds }, { buildReports }, { renderVerdictLines }, { writeCiFiles }, { detectTerminal, paint }, { renderRunTable }] =
        await Promise.all([
          import('../../run/merge.js'),
          import('../../inputs/threshold-config.js'),
          import('../../reports/build.js'),
          import('../../metrics/threshold-format.js'),
          import('../../reports/gate.js'),
          import('../../sinks/terminal.js'),
          import('../../reports/console.js'),
        ]);
      const cwd = process.cwd();
      const extra = parseFlagThresholds(flags.threshold ?? []);
      const result = await mergeRuns({
        dirs: dirs.map((d) => resolve(cwd, d)),
        out: resolve(cwd, flags.out),
        // The shards' own thresholds: their config's, and those they were judged by (flags included).
        thresholds: (shards) => {
          const expressions = new Set<string>();
          for (const s of shards) {
            const gate = s.manifest.config.gate;
            for (const e of gate?.thresholds ?? []) expressions.add(e);
            for (const r of s.summary.thresholds?.results ?? []) expressions.add(r.expression);
          }
          const seen = new Set(expressions);
          return [...parseFlagThresholds([...expressions], 'shard threshold'), ...extra.filter((t) => !seen.has(t.expression))];
        },
      });
      const c = paint(detectTerminal(process.stderr));
      for (const note of result.notes) process.stderr.write(`troupe: ${note}\n`);
      process.stderr.write(`merged ${dirs.length} shard(s): ${result.summary.global.requests} requests, ${result.lines} result lines\n\n`);
      process.stderr.write(renderRunTable(result.summary, c));
      const outputs = (await readOutputs(result.runDir)) ?? ['markdown'];
      const ci = await writeCiFiles(result.runDir, result.summary, null, outputs, flags.junit ? resolve(cwd, flags.junit) : null);
      if (ci.warning) process.stderr.write(`troupe: ${ci.warning}\n`);
      const built = flags.reports === false ? { notes: [], failed: [] } : await buildReports(result.runDir);
      for (const note of built.notes) process.stderr.write(`troupe: ${note}\n`);
      const artifactsFailed = [...ci.failed, ...built.failed];
      for (const err of artifactsFailed) process.stderr.write(`troupe: ${err.message}\n`);
      if (result.summary.thresholds) process.stderr.write(`\n${renderVerdictLines(result.summary.thresholds, c)}`);
      process.stderr.write(`\nrun directory: ${result.runDir}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
      setExit(mostImportantExit(result.summary.thresholds?.passed === false ? ExitCode.failed : ExitCode.ok, artifactsFailed.length ? ExitCode.artifactFailed : ExitCode.ok));
    });
}

/** The shards' `outputs:` (junit, markdown), from the merged run.json's config. */
async function readOutputs(runDir: string): Promise<string[] | null> {
  const { readManifest } = await import('../../run-dir/json-files.js');
  const manifest = await readManifest(runDir);
  return manifest?.config.gate?.outputs ?? null;
}
