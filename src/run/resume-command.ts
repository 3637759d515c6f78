import { basename, delimiter, dirname, resolve } from 'node:path';
import { shownPath } from '../run-dir/paths.js';

export interface Invocation {
  cwd: string;
  /** process.argv: [node, the troupe script, ...]. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

/**
 * The command that resumes a run, as the user can paste it in the same folder: `npx troupe` when run
 * through npm (npx, an npm script), `troupe` when found on PATH, otherwise `node <script>`; the run
 * directory relative to the current folder when it is under it; everything shell-quoted.
 */
export function resumeCommand(runDir: string, how: Invocation): string {
  return `${invokedAs(how)} run --resume ${shellQuote(shownPath(runDir, how.cwd))}`;
}

function invokedAs({ cwd, argv, env }: Invocation): string {
  if (env.npm_command) return 'npx troupe';
  const script = argv[1] ? resolve(cwd, argv[1]) : '';
  const onPath = (env.PATH ?? '').split(delimiter).some((dir) => dir && resolve(cwd, dir) === dirname(script));
  if (basename(script) === 'troupe' && onPath) return 'troupe';
  return script ? `node ${shellQuote(shownPath(script, cwd))}` : 'npx troupe';
}

/** POSIX shell quoting: bare when only safe characters, otherwise single quotes. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
