/**
 * When a run starts its schedule: `--start-at <time>` (or `startAt:` in the config), or `--start-after
 * <duration>` counted from a reference time every shard agrees on (`--start-reference <time>`, or the
 * TROUPE_START_REFERENCE variable: a Kubernetes Job's stamped creation time, a CI workflow's trigger
 * time). Shards given the same instant line their schedules up. Pure: strings in, epoch ms out.
 */
import { UsageError } from '../errors.js';
import { formatDuration } from './duration.js';

export const START_REFERENCE_ENV = 'TROUPE_START_REFERENCE';

export const INSTANT_EXPECTED = 'an ISO 8601 time with a zone, like 2026-03-01T09:30:00Z or 2026-03-01T10:30:00+01:00, or Unix seconds';

// A zone is required: shards on machines in different time zones must read one instant.
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const UNIX_SECONDS = /^\d{9,11}(?:\.\d+)?$/;

/** Epoch ms of an ISO time with a zone, or of Unix seconds (`date +%s`); null for anything else. */
export function parseInstant(value: unknown): number | null {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : null;
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (UNIX_SECONDS.test(text)) return Math.round(Number(text) * 1000);
  if (!ISO.test(text)) return null;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : null;
}

export interface StartFlags {
  /** `--start-at` as written. */
  startAt?: string;
  /** `--start-after`, in ms. */
  startAfter?: number;
  /** `--start-reference` as written. */
  startReference?: string;
}

/**
 * The instant (epoch ms) the flags ask for; undefined when they ask for none. A usage error (exit 2)
 * names the flag or variable and the value when one is not a time, or when the flags contradict.
 */
export function startFromFlags(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (flags.startAt !== undefined && flags.startAfter !== undefined) throw new UsageError('--start-at and --start-after: give one of them, not both');
  if (flags.startReference !== undefined && flags.startAfter === undefined) throw new UsageError('--start-reference is the time --start-after counts from; give --start-after too (or --start-at with the instant itself)');
  if (flags.startAt !== undefined) {
    const at = parseInstant(flags.startAt);
    if (at === null) throw new UsageError(`--start-at: expected ${INSTANT_EXPECTED}, got ${JSON.stringify(flags.startAt)}`);
    return at;
  }
  if (flags.startAfter === undefined) return undefined;
  const fromEnv = env[START_REFERENCE_ENV];
  const [where, raw] = flags.startReference !== undefined ? ['--start-reference', flags.startReference] : [START_REFERENCE_ENV, fromEnv];
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError(`--start-after ${formatDuration(flags.startAfter)}: needs the time every shard counts from: --start-reference <time> or ${START_REFERENCE_ENV} (e.g. the Job's creation time or the workflow's trigger time)`);
  }
  const reference = parseInstant(raw);
  if (reference === null) throw new UsageError(`${where}: expected ${INSTANT_EXPECTED}, got ${JSON.stringify(raw)}`);
  return reference + flags.startAfter;
}
