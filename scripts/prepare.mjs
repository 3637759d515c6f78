// `prepare`: build after `npm install` / `npm ci` in a checkout and for git installs. `npm pack` and
// `npm publish` run `prepack` (clean + build) just before `prepare`, so a second build is skipped there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0);
// Installed from a tarball (npm runs `prepare` for local installs once allowed): the package ships built,
// without sources, so there is nothing to do.
if (!existsSync(new URL('../tsconfig.json', import.meta.url))) process.exit(0);
const { status } = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(status ?? 1);
