/**
 * The `--stage 30s:10` flag form of a stage (src/inputs/stages.ts has the config's schema). Apart and
 * free of zod: commander runs it while parsing argv, and `troupe --help` must not load the validators.
 */
import { UsageError, quote } from '../errors.js';
import { DURATION_EXPECTED, durationProblem, isBareNumber, parseDuration } from './duration.js';
import { LIMITS } from './limits.js';
import type { Stage } from './stages.js';

/** `--stage 30s:10` → { durationMs: 30000, target: 10 }; the message names the flag and quotes the value. */
export function parseStageFlag(value: string): Stage {
  const at = value.lastIndexOf(':');
  const expected = 'DURATION:TARGET such as 30s:10 (ramp to 10 VUs over 30 s)';
  if (at < 0) throw new UsageError(`--stage: got ${quote(value)}, expected ${expected}`);
  const durationText = value.slice(0, at).trim();
  const targetText = value.slice(at + 1).trim();
  const durationMs = parseDuration(durationText);
  if (durationMs === null) {
    const why = isBareNumber(durationText) ? durationProblem(durationText) : `expected ${DURATION_EXPECTED} before the colon`;
    throw new UsageError(`--stage: got ${quote(value)}: ${why}`);
  }
  const target = Number(targetText);
  if (targetText === '' || !Number.isInteger(target) || target < 0 || target > LIMITS.concurrency) {
    throw new UsageError(`--stage: got ${quote(value)}, expected a whole number of VUs from 0 to ${LIMITS.concurrency} after the colon, as in ${expected}`);
  }
  return { durationMs, target };
}

/** The whole schedule's length: the sum of the stages. */
