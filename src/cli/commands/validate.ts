import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadInputs } from '../../fixtures/config.js';
import { buildPlan } from '../../plan/plan.js';
import type { ExitSetter } from '../main.js';
import { addInputOptions, overridesFrom, type RunFlags } from './run.js';

export function registerValidate(program: Command, _setExit: ExitSetter): void {
  addInputOptions(program.command('validate'))
    .description('Check config, personas and locations without sending any request; print the plan size.')
    .action(async (flags: RunFlags) => {
      const cwd = process.cwd();
      const inputs = await loadInputs({ cwd, configPath: flags.config ? resolve(cwd, flags.config) : undefined, overrides: overridesFrom(flags) });
      const { config } = inputs;
      const plan = buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed });
      process.stdout.write(
        `ok: ${inputs.personas.length} personas, ${inputs.locations.length} locations, ${config.iterations} iteration(s) → ${plan.size} requests against ${config.target === 'demo' ? 'the demo target' : config.target}\n`,
      );
    });
}
