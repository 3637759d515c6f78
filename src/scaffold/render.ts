/** What `troupe init` prints: the files written, the variables to set, and the next commands. */
import { relative } from 'node:path';
import type { InitResult } from './init.js';

export function renderInitResult(result: InitResult, cwd: string): string {
  const where = relative(cwd, result.dir);
  const lines = [`troupe init: wrote ${result.written.length} file(s) in ${where || '.'}`];
  for (const file of result.written) lines.push(`  ${file}${file === '.gitignore' && result.gitignore === 'appended' ? ' (entries appended)' : ''}`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  if (result.envVars.length > 0) {
    lines.push('', 'Set these environment variables (or copy .env.example to .env and fill it in):');
    for (const v of result.envVars) lines.push(`  ${v.name}  ${v.usedFor}`);
  }
  lines.push('', 'Next:');
  if (where) lines.push(`  cd ${/\s/.test(where) ? JSON.stringify(where) : where}`);
  lines.push('  npx troupe validate', result.envVars.length > 0 ? '  npx troupe run' : '  npx troupe run --target demo', '');
  return lines.join('\n');
}
