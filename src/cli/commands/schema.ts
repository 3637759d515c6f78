import type { Command } from 'commander';
import type { ExitSetter } from '../main.js';

export interface SchemaFlags {
  persona?: boolean;
}

export function registerSchema(program: Command, _setExit: ExitSetter): void {
  program
    .command('schema')
    .description('Print the JSON Schema (draft 2020-12) of the config file, or with --persona of a persona file.')
    .option('--persona', 'the schema of a persona file instead of the config file')
    .addHelpText('after', '\nExample:\n  npx troupe schema > troupe.config.schema.json')
    .action(async (flags: SchemaFlags) => {
      // Loaded here so that `troupe --help` does not load the validators.
      const { configJsonSchema, personaJsonSchema } = await import('../../inputs/json-schema.js');
      process.stdout.write(`${JSON.stringify(flags.persona ? personaJsonSchema() : configJsonSchema(), null, 2)}\n`);
    });
}
