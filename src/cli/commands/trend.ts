/** `troupe trend <runs...>`: many runs of one test, each against its recent past; trend.csv, trend.pdf, trend.html (--format). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import type { ExitSetter } from '../main.js';
import { examples, percentOption, positiveInt } from '../options.js';

interface TrendFlags {
  out: string;
  format: string;
  window: number;
  maxRegression?: number;
  persona?: string;
  json?: boolean;
}

export function registerTrend(program: Command, setExit: ExitSetter): void {
  program
    .command('trend')
    .argument('<runs...>', 'run directories, summary.json files, or folders of run directories (e.g. reports/)')
    .description('Judge each run against the median of the runs before it (the nightly trend); write trend.csv, trend.pdf and trend.html. Exit 1 when the latest run regressed.')
    .option('-o, --out <dir>', 'folder for trend.csv, trend.pdf and trend.html', 'reports/trend')
    .option('-f, --format <formats>', 'comma-separated files to write: csv, pdf, html', 'csv,pdf,html')
    .option('--window <n>', 'how many earlier runs make the baseline (their median)', positiveInt, 7)
    .option('--max-regression <percent>', 'latency and throughput tolerance against the baseline (default 20%)', percentOption)
    .option('--persona <name>', 'the figures of one persona instead of the whole run')
    .option('--json', 'print every run with its baseline and regressions as one JSON document on stdout')
    .addHelpText('after', examples('troupe trend reports/', 'troupe trend nightly/*/ --window 14 --max-regression 15% --out reports/trend', 'troupe trend reports/ --format csv'))
    .action(async (paths: string[], flags: TrendFlags) => {
      const [{ TREND_DEFAULTS, describeRegression, trendOf }, { TREND_FORMATS, loadTrendRuns, writeTrendFiles }, { parseFormatList }] = await Promise.all([import('../../reports/trend.js'), import('../../reports/trend-files.js'), import('../../inputs/format-list.js')]);
      const formats = parseFormatList(flags.format, TREND_FORMATS);
      const cwd = process.cwd();
      const options = { ...TREND_DEFAULTS, window: flags.window, ...(flags.maxRegression !== undefined ? { maxRegression: flags.maxRegression } : {}) };
      const points = trendOf(await loadTrendRuns(paths.map((p) => resolve(cwd, p)), flags.persona !== undefined ? { persona: flags.persona } : {}), options);
      const files = await writeTrendFiles(resolve(cwd, flags.out), points, options, formats);
      const marked = points.filter((p) => p.regressions.length > 0);
      process.stderr.write(`troupe trend: ${points.length} runs, ${marked.length} regressed\n`);
      for (const p of marked) process.stderr.write(`  ✗ ${describeRegression(p)}\n`);
      for (const file of files) process.stderr.write(`${file}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ options, runs: points }, null, 2)}\n`);
      if (points.at(-1)!.regressions.length > 0) setExit(ExitCode.failed);
    });
}
