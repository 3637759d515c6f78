/**
 * The flags a run was started with, recorded in run.json (`invocation`), so that `troupe run --resume DIR`
 * alone runs with them again, and a flag given with `--resume` that differs is refused (exit 2) rather
 * than silently mixing two configurations in one run directory.
 */
import { resolve } from 'node:path';
import { RunDirError } from '../errors.js';
import { Redactor } from '../redact.js';
import { shownPath } from '../run-dir/paths.js';
import type { RecordedInvocation } from '../run-dir/types.js';

export type { RecordedInvocation };

/**
 * Display-only flags: they change what this invocation prints, never what runs. Not recorded, free to
 * change. The start instant neither: a resumed run starts at once (and --start-after's reference may be gone).
 */
const NOT_RECORDED = new Set(['resume', 'progress', 'verbose', 'json', 'startAt', 'startAfter', 'startReference']);
/** Recorded relative to the current directory, so that the run directory does not hold a home path. */
const PATH_FLAGS = new Set(['config', 'personas', 'locations', 'out', 'baseline', 'junit', 'envFile', 'history']);

/** `given`: only the flags typed on the command line (not commander's defaults). */
export function recordInvocation(given: Record<string, unknown>, cwd: string, secrets: readonly string[] = []): RecordedInvocation {
  const redactor = new Redactor(secrets);
  const flags: Record<string, unknown> = {};
  const redacted: string[] = [];
  for (const [key, value] of Object.entries(given)) {
    if (NOT_RECORDED.has(key) || value === undefined) continue;
    const recorded = recordedValue(key, value, cwd, redactor);
    if (JSON.stringify(recorded) !== JSON.stringify(recordedValue(key, value, cwd, null))) redacted.push(key);
    flags[key] = recorded;
  }
  return redacted.length ? { flags, redacted } : { flags };
}

/** `redactor` null: the value as it would be recorded without removing credentials or secrets. */
function recordedValue(key: string, value: unknown, cwd: string, redactor: Redactor | null): unknown {
  if (Array.isArray(value)) return value.map((v) => recordedValue(key, v, cwd, redactor));
  if (typeof value !== 'string') return value;
  if (PATH_FLAGS.has(key)) return shownPath(resolve(cwd, value), cwd);
  if (!redactor) return value;
  // Any `${env:…}` value that a flag repeats is a secret too.
  return key === 'target' ? redactor.url(value) : redactor.text(value);
}

/**
 * The flags a resumed run uses: the recorded ones, and those given now where they agree. A flag given
 * now that the run was not started with, or with another value, is refused naming both values.
 * Runs recorded before `invocation` existed get `given` unchanged (the config hash still guards them).
 */
export function restoreFlags(dir: string, recorded: RecordedInvocation | undefined, given: Record<string, unknown>, cwd: string, secrets: readonly string[] = []): Record<string, unknown> {
  if (!recorded) return given;
  const now = recordInvocation(given, cwd, secrets).flags;
  const restored: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(recorded.flags), ...Object.keys(now)])) {
    const was = recorded.flags[key];
    if (!(key in now)) {
      if (recorded.redacted?.includes(key)) {
        refuse(dir, `the run was started with ${describe(key, was)}, whose credentials run.json does not keep; give ${flagName(key)} again with --resume`);
      }
      restored[key] = was;
      continue;
    }
    if (!(key in recorded.flags)) refuse(dir, `${flagName(key)}: the run was started without it, given ${describe(key, now[key])}`);
    if (JSON.stringify(was) !== JSON.stringify(now[key])) refuse(dir, `${flagName(key)}: the run was started with ${describe(key, was)}, given ${describe(key, now[key])}`);
  }
  return { ...restored, ...given };
}

function refuse(dir: string, why: string): never {
  throw new RunDirError(`cannot resume ${dir}: ${why}. Leave the flag out to use the recorded value, or start a new run without --resume.`);
}

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** `--concurrency 5`, `--no-reports`, `--threshold "p95 < 2s" --threshold "…"`. */
export function describe(key: string, value: unknown): string {
  if (value === true) return flagName(key);
  if (value === false) return `--no-${flagName(key).slice(2)}`;
  if (Array.isArray(value)) return value.map((v) => `${flagName(key)} ${JSON.stringify(v)}`).join(' ');
  return `${flagName(key)} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}
