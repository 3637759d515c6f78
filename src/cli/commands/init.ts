import { InvalidArgumentError, type Command } from 'commander';
import type { ExitSetter } from '../main.js';

export interface InitFlags {
  target?: string;
  ci?: 'github';
  fromHar?: string;
}

function ciProvider(value: string): 'github' {
  if (value === 'github') return value;
  throw new InvalidArgumentError(`expected github, got "${value}"`);
}

export function registerInit(program: Command, _setExit: ExitSetter): void {
  program
    .command('init')
    .argument('[dir]', 'project folder (created if missing)', '.')
    .description('Write a starter troupe project: a commented troupe.config.yaml, two personas, a locations CSV, a .gitignore entry; never overwrites a file.')
    .option('-t, --target <url>', 'base URL written as target: (default: demo, or the first origin of --from-har)')
    .option('--ci <provider>', 'also write a nightly CI workflow: github', ciProvider)
    .option('--from-har <file>', 'a browser HAR export: write a persona whose journey replays its requests')
    .addHelpText('after', '\nExample:\n  npx troupe init && npx troupe validate && npx troupe run --target demo')
    .action(async (dir: string, flags: InitFlags) => {
      // Loaded here so that `troupe --help` stays fast.
      const [{ initProject }, { renderInitResult }] = await Promise.all([import('../../scaffold/init.js'), import('../../scaffold/render.js')]);
      const cwd = process.cwd();
      const result = await initProject({ dir, cwd, ...flags });
      process.stdout.write(renderInitResult(result, cwd));
    });
}
