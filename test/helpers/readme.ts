/** The README's marked command blocks, so tests run the commands a user pastes. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, TROUPE_BIN } from './cli.js';

/** The lines of the fenced block after `<!-- marker -->`, comments and blank lines kept out. */
export async function readmeCommands(marker: string): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no fenced block after <!-- ${marker} -->`);
  return match[1]!.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** The fenced block after `<!-- marker -->` as written (a file a user would save). */
export async function readmeBlock(marker: string): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no fenced block after <!-- ${marker} -->`);
  return match[1]!;
}

/** `npx troupe …` as this checkout's built CLI (what an installed package's npx runs). */
export const asCheckout = (line: string): string => line.replace(/^npx troupe\b/, `"${process.execPath}" "${TROUPE_BIN}"`);

/** Runs one pasted line through sh in `cwd`, bounded in time. */
export function runShell(line: string, cwd: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd, env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: undefined }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
