/** `troupe capacity <url-or-config>`: a sweep of load levels and the knee; heavy modules load in the action. */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { parsePercent } from '../../inputs/threshold-parse.js';
import { runIdFor } from '../../run-dir/create.js';
import type { ExitSetter } from '../main.js';
import { positiveInt } from '../options.js';
import { addHttpOptions, checkUrl, parseHeaders, type HttpFlags } from './bench.js';
import { durationOption, examples, positiveNumber } from '../options.js';
import { inputEnvFrom } from './run.js';

interface CapacityFlags extends HttpFlags {
  connections?: string;
  rates?: string;
  from?: number;
  to?: number;
  factor: number;
  /** ms */
  stepDuration: number;
  /** ms */
  maxP95?: number;
  maxErrorRate?: string;
  minGain: string;
  fixedConnections: number;
  out?: string;
  format: string;
  envFile?: string;
}

const DEFAULT_LEVELS = '1,5,10,25,50,100';

export function registerCapacity(program: Command, setExit: ExitSetter): void {
  addHttpOptions(
    program
      .command('capacity')
      .argument('<url-or-config>', 'an http(s) URL (driven by autocannon) or a troupe config file (driven by troupe\'s engine)')
      .description('Sweep load levels (concurrency or arrival rate), measure throughput, p50/p95/p99 and errors at each, and find the knee.')
      .addHelpText('after', examples('troupe capacity http://127.0.0.1:8080/health --connections 1,10,50,100 --step-duration 10s --max-p95 200ms', 'troupe capacity troupe.config.yaml --rates 50,100,200,400'))
      .option('--connections <list>', `concurrency levels, e.g. ${DEFAULT_LEVELS} (default)`)
      .option('--rates <list>', 'arrival-rate levels in req/s instead, e.g. 50,100,200,400')
      .option('--from <n>', 'first level of a geometric sweep (with --to and --factor)', positiveNumber)
      .option('--to <n>', 'last level of a geometric sweep', positiveNumber)
      .option('--factor <x>', 'growth factor of a geometric sweep', positiveNumber, 2)
      .addOption(durationOption('--step-duration <duration>', 'how long each level runs, e.g. 10s', { defaultMs: 10_000 }))
      .addOption(durationOption('--max-p95 <duration>', 'the knee is before the first level whose p95 is above this, e.g. 200ms'))
      .option('--max-error-rate <percent>', 'the knee is before the first level whose error rate is above this, e.g. 1%')
      .option('--min-gain <percent>', 'the knee is before the first level that adds less throughput than this', '5%')
      .option('--fixed-connections <n>', 'with --rates against a URL: autocannon connections', positiveInt, 100),
  )
    .option('-o, --out <dir>', 'folder for capacity.csv, capacity.json, capacity.pdf (and levels/ for a config)')
    .option('-f, --format <formats>', 'comma-separated files to write: csv, json, pdf', 'csv,json,pdf')
    .option('--env-file <file>', 'with a config: NAME=value lines for ${env:NAME} (default: .env in the current directory, when present)')
    .action(async (targetArg: string, flags: CapacityFlags) => {
      const { sweep, measureUrl, measureConfig } = await import('../../bench/sweep.js');
      const [{ CAPACITY_FORMATS, geometricLevels, parseLevelList, renderCapacityTable }, { parseFormatList }] = await Promise.all([import('../../bench/capacity.js'), import('../../inputs/format-list.js')]);
      // Before any level runs: a typo in --format must not cost the sweep.
      const formats = parseFormatList(flags.format, CAPACITY_FORMATS);
      if (flags.connections && flags.rates) throw new UsageError('--connections and --rates: give one of them');
      const kind = flags.rates ? 'rate' : 'connections';
      const levels =
        flags.from !== undefined || flags.to !== undefined
          ? geometricLevels(flags.from ?? 1, flags.to ?? NaN, flags.factor)
          : parseLevelList(flags.rates ?? flags.connections ?? DEFAULT_LEVELS, kind === 'rate' ? '--rates' : '--connections');
      const maxP95Ms = flags.maxP95;
      const maxErrorRate = flags.maxErrorRate === undefined ? undefined : parsePercent(flags.maxErrorRate);
      if (maxErrorRate === null) throw new UsageError(`--max-error-rate: expected a percentage such as 1%, got "${flags.maxErrorRate}"`);
      const minGain = parsePercent(flags.minGain);
      if (minGain === null) throw new UsageError(`--min-gain: expected a percentage such as 5%, got "${flags.minGain}"`);
      const cwd = process.cwd();
      const outDir = resolve(cwd, flags.out ?? join('reports', runIdFor('capacity', new Date())));
      const stepMs = flags.stepDuration;
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        let target = targetArg;
        let measure;
        if (/^https?:\/\//i.test(targetArg)) {
          target = checkUrl(targetArg);
          measure = measureUrl(
            { url: target, connections: flags.fixedConnections, durationS: stepMs / 1000, method: flags.method, headers: parseHeaders(flags.header), ...(flags.body !== undefined ? { body: flags.body } : {}), pipelining: flags.pipelining, timeoutS: flags.timeout / 1000 },
            kind,
            stepMs,
            controller.signal,
          );
        } else {
          const [{ loadInputs }, { detectTerminal }] = await Promise.all([import('../../inputs/config.js'), import('../../sinks/terminal.js')]);
          const inputs = await loadInputs({ cwd, configPath: resolve(cwd, targetArg), overrides: {}, env: await inputEnvFrom(flags, cwd) });
          measure = measureConfig(inputs, kind, stepMs, outDir, detectTerminal(process.stderr), controller.signal);
        }
        const result = await sweep({
          target,
          kind,
          levels,
          stepMs,
          rule: { ...(maxP95Ms !== undefined ? { maxP95Ms } : {}), ...(maxErrorRate !== undefined ? { maxErrorRate } : {}), minGain },
          measure,
          outDir,
          formats,
          log: (line) => process.stderr.write(`troupe capacity: ${line}\n`),
          signal: controller.signal,
        });
        process.stdout.write(renderCapacityTable(kind, result.levels, result.knee));
        for (const file of result.files) process.stderr.write(`${file}\n`);
        if (result.interrupted) setExit(ExitCode.interrupted);
        else if (result.knee.verdict === 'refused') setExit(ExitCode.failed);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
