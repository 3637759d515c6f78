import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TROUPE_BIN = join(REPO_ROOT, 'bin', 'troupe.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawn the built CLI as a user would, bounded in time; never inherits a TTY. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** The folders tempDir() made, removed when the test process exits (pass or fail). */
const made = new Set<string>();

/** A fresh folder in the temp folder, removed when the test process exits. */
export async function tempDir(prefix = 'troupe-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (made.size === 0) process.once('exit', () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  made.add(dir);
  return dir;
}

/** The single run directory inside an --out folder (fails if there is not exactly one). */
export async function onlyRunDir(outDir: string): Promise<string> {
  const entries = (await readdir(outDir)).filter((e) => !e.startsWith('.'));
  if (entries.length !== 1) throw new Error(`expected one run directory in ${outDir}, found ${JSON.stringify(entries)}`);
  return join(outDir, entries[0]!);
}

export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** Start the CLI without waiting, for tests that watch files while a run goes on. */
export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function startCli(args: string[], options: CliOptions = {}) {
  const child = spawn(process.execPath, [TROUPE_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`troupe ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/**
 * Waits for `signal` while the CLI runs: a CLI that exits first fails the wait with its exit and
 * stderr, where a bare `await signal` would wait for ever.
 */
export function whileRunning<T>(cli: ReturnType<typeof startCli>, signal: Promise<T>, what: string): Promise<T> {
  const exited = cli.done.then((r) => {
    throw new Error(`troupe exited (code ${r.code}, signal ${r.signal}) before ${what}\nstderr: ${r.stderr}`);
  });
  // Once `signal` has won, the CLI's later exit must not become an unhandled rejection.
  exited.catch(() => {});
  return Promise.race([signal, exited]);
}
