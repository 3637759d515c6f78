import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ExitSetter } from '../main.js';
import { addInputOptions, overridesFrom, type RunFlags } from './run.js';

export function registerValidate(program: Command, _setExit: ExitSetter): void {
  addInputOptions(program.command('validate'))
    .description('Check config, personas and locations without sending any request; print the plan size.')
    .action(async (flags: RunFlags) => {
      const cwd = process.cwd();
      // Loaded here so that `troupe --help` does not load the validators.
      const [{ loadInputs }, { expectedArrivals, scheduleDurationMs }, { buildPlan }, { Redactor }] = await Promise.all([
        import('../../fixtures/config.js'),
        import('../../engine/arrivals.js'),
        import('../../plan/plan.js'),
        import('../../redact.js'),
      ]);
      const inputs = await loadInputs({ cwd, configPath: flags.config ? resolve(cwd, flags.config) : undefined, overrides: overridesFrom(flags) });
      if (inputs.notice) process.stderr.write(`troupe: ${inputs.notice}\n`);
      const { config } = inputs;
      const target = config.target === 'demo' ? 'the demo target' : new Redactor(inputs.secrets).url(config.target);
      const inputsLine = `${inputs.personas.length} personas, ${inputs.locations.length} locations`;
      if (config.load) {
        const seconds = scheduleDurationMs(config.load.phases) / 1000;
        const arrivals = Math.round(expectedArrivals(config.load.phases));
        process.stdout.write(`ok: ${inputsLine}, open model → about ${arrivals} ${config.load.arrival} arrivals over ${seconds} s against ${target}\n`);
        return;
      }
      const plan = buildPlan(inputs.personas, inputs.locations, { order: config.order, iterations: config.iterations, seed: config.seed });
      // A visit of a persona with a journey is several requests: say journeys then, not requests.
      const unit = config.journey || inputs.personas.some((p) => p.journey) ? 'journeys' : 'requests';
      process.stdout.write(`ok: ${inputsLine}, ${config.iterations} iteration(s) → ${plan.size} ${unit} against ${target}\n`);
    });
}
