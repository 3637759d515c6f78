import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import type { ExitSetter } from '../main.js';
import { examples } from '../options.js';

interface ReportFlags {
  format: string;
}

export function registerReport(program: Command, setExit: ExitSetter): void {
  program
    .command('report')
    .argument('<run-dir>', 'a run directory (reports/<run-id>)')
    .description('Rebuild the reports (CSV set, PDF, HTML) of a run directory from its files alone; the target is not contacted.')
    .addHelpText('after', examples('troupe report reports/demo-20261123-101700', 'troupe report reports/demo-20261123-101700 --format pdf'))
    .option('-f, --format <formats>', 'comma-separated formats: csv, pdf, html', 'csv,pdf')
    .action(async (runDir: string, flags: ReportFlags) => {
      // Loaded here, not at the top, so that `troupe --help` does not load the report code.
      const { buildReports, parseFormats } = await import('../../reports/build.js');
      const dir = resolve(process.cwd(), runDir);
      const result = await buildReports(dir, parseFormats(flags.format));
      for (const note of result.notes) process.stderr.write(`troupe: ${note}\n`);
      for (const file of result.files) process.stdout.write(`${file}\n`);
      for (const err of result.failed) process.stderr.write(`troupe: ${err.message}\n`);
      if (result.failed.length) setExit(ExitCode.artifactFailed);
    });
}
