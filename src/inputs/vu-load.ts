/**
 * Which closed model a run's config and flags ask for: a number of passes over the plan (`iterations`,
 * no VuLoad), a constant number of VUs for a time (`duration`), or VUs ramped in `stages`. The
 * combinations follow k6's shortcuts: `duration` with `iterations` is one run of the plan cut short
 * when the time is up (whichever ends first) — unless `--duration` is a flag and `iterations` only in
 * the file, where the flag's length wins (so does `--stage` over the file's `iterations`, `duration` and
 * `concurrency`); `stages` with `duration`, `iterations` or `concurrency` from the same place is refused.
 */
import { InputError, UsageError } from '../errors.js';
import { DEFAULT_GRACEFUL_RAMP_DOWN_MS, DEFAULT_START_VUS, stagesDurationMs, type Stage, type VuLoad } from './stages.js';

/** The parts of the parsed config file and flags that decide it. */
interface FileKeys {
  load?: unknown;
  duration?: number;
  stages?: Stage[];
  startVUs?: number;
  gracefulRampDown?: number;
  iterations?: number;
  concurrency?: number;
}

interface FlagKeys {
  rate?: number;
  duration?: number;
  stages?: Stage[];
  iterations?: number;
  concurrency?: number;
}

export function vuLoadFrom(file: FileKeys, flags: FlagKeys, source: string | null): VuLoad | null {
  const where = (path: string) => ({ file: source ?? 'config', path });
  const openModel = file.load !== undefined || flags.rate !== undefined;
  const durationMs = openModel ? undefined : (flags.duration ?? file.duration);
  const stages = flags.stages ?? file.stages;
  const stagesFrom = flags.stages ? '--stage' : `stages: in ${source}`;

  if (openModel) {
    if (file.duration !== undefined) throw new InputError('E_CONFIG', where('duration'), `duration: is the closed model's (VUs for a time); ${file.load !== undefined ? 'load:' : '--rate'} runs the open model, whose load.phases set its length. Remove one of them.`);
    if (stages) throw new UsageError(`${stagesFrom}: stages ramp the closed model's VUs; ${file.load !== undefined ? `load: in ${source}` : '--rate'} runs the open model (arrival rates). Remove one of them.`);
  }
  if (!stages) {
    for (const key of ['startVUs', 'gracefulRampDown'] as const) {
      if (file[key] !== undefined) throw new InputError('E_CONFIG', where(key), `${key}: belongs to stages:, and there are none; add stages: (or --stage) or remove ${key}:`);
    }
    if (durationMs === undefined) return null;
    // `--duration` on the command line replaces the run length the file gives (its `iterations:`, which
    // `troupe init` writes): the VUs loop for that long. Both in one place (file, or flags) is k6's
    // shared-iterations with a maximum duration: one run of the plan, whichever ends first.
    const iterations = flags.duration !== undefined ? flags.iterations : (flags.iterations ?? file.iterations);
    return { model: 'constant-vus', durationMs, loop: iterations === undefined };
  }
  // `--stage` on the command line replaces the run length and VU count the file gives (`troupe init`
  // writes `concurrency:` and `iterations:`), as `--duration` does; only flags that contradict each
  // other, or a file that does, are refused.
  const fromFile = flags.stages ? {} : file;
  if ((flags.duration ?? fromFile.duration) !== undefined) {
    throw new UsageError(`${stagesFrom} and ${flags.duration !== undefined ? '--duration' : `duration: in ${source}`}: give one of them (as in k6: the stages' durations add up to the run's length)`);
  }
  if ((flags.iterations ?? fromFile.iterations) !== undefined) {
    throw new UsageError(`${stagesFrom} and ${flags.iterations !== undefined ? '--iterations' : `iterations: in ${source}`}: give one of them (as in k6: VUs in stages loop over the plan until the last stage ends)`);
  }
  if ((flags.concurrency ?? fromFile.concurrency) !== undefined) {
    throw new UsageError(`${stagesFrom} and ${flags.concurrency !== undefined ? '--concurrency' : `concurrency: in ${source}`}: the stages set the number of VUs over time; remove the concurrency (startVUs: sets where the first stage starts)`);
  }
  if (stagesDurationMs(stages) === 0) throw new UsageError(`${stagesFrom}: the stages last 0 s in all; give at least one stage a duration above 0`);
  return { model: 'ramping-vus', stages, startVUs: file.startVUs ?? DEFAULT_START_VUS, gracefulRampDownMs: file.gracefulRampDown ?? DEFAULT_GRACEFUL_RAMP_DOWN_MS };
}
