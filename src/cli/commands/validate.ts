import type { Command } from 'commander';
import { resolve } from 'node:path';
import { TroupeError } from '../../errors.js';
import type { ExitSetter } from '../main.js';
import { examples } from '../options.js';
import { prepareGate } from './compare.js';
import { addRunOptions, inputEnvFrom, overridesFrom, shardFrom, type RunFlags } from './run.js';

export function registerValidate(program: Command, _setExit: ExitSetter): void {
  addRunOptions(program.command('validate'))
    .description('Check config, personas, locations and thresholds exactly as run would, without sending any request; print the plan size.')
    .addHelpText('after', `\nTakes every flag of troupe run, so a CI command line can be checked as written.\n${examples('troupe validate', 'troupe validate --config staging.yaml --threshold "p95 < 500ms" --json')}`)
    .action(async (flags: RunFlags) => {
      const cwd = process.cwd();
      // Loaded here so that `troupe --help` does not load the validators.
      const [{ loadInputs }, { describePlan, describePlanLine }] = await Promise.all([import('../../inputs/config.js'), import('../../run/describe-plan.js')]);
      try {
        const shard = shardFrom(flags);
        const inputs = await loadInputs({ cwd, configPath: flags.config ? resolve(cwd, flags.config) : undefined, overrides: overridesFrom(flags), env: await inputEnvFrom(flags, cwd) });
        if (inputs.notice) process.stderr.write(`troupe: ${inputs.notice}\n`);
        const gate = await prepareGate(inputs, flags, cwd);
        // The outputs' names too, from the config and --output, as run checks them.
        (await import('../../sinks/registry.js')).selectOutputs({ command: 'run', progress: false, reports: false, config: { specs: inputs.config.gate.outputs, file: inputs.config.source }, flags: flags.output ?? [] });
        const description = describePlan(inputs, { ...(shard ? { shard } : {}), thresholds: gate.thresholds });
        process.stdout.write(flags.json ? `${JSON.stringify(description, null, 2)}\n` : `${describePlanLine(description)}\n`);
      } catch (err) {
        // With --json, CI reads the verdict from stdout either way; the message still goes to stderr.
        if (flags.json && err instanceof TroupeError) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: err.code, message: err.message } }, null, 2)}\n`);
        throw err;
      }
    });
}
