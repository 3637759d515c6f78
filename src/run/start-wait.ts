/**
 * Waiting for the start instant (`--start-at`, `--start-after`, `startAt:`), on the clock seam so that
 * tests run it on fake time. A countdown on a terminal rewrites one line each second; elsewhere (a pipe,
 * a pod's log, --json) one line says when the run will start. An instant already past does not fail the
 * run: it starts at once with a warning that says how late, and the summary records it (a shard whose
 * pod started late still measures; the merged report shows how far apart the shards started).
 */
import type { Clock } from '../engine/clock.js';

/** `live`: a countdown line rewritten each second (a TTY); `line`: one line; `none`: silent (the in-process API). */
export type CountdownStyle = 'live' | 'line' | 'none';

export interface StartWaitOptions {
  /** Epoch ms to start at. */
  at: number;
  clock: Pick<Clock, 'wallNow' | 'sleep'>;
  /** Stops the wait (Ctrl-C): the run then starts nothing. */
  signal?: AbortSignal;
  stream: NodeJS.WritableStream;
  style: CountdownStyle;
}

export interface StartWaitOutcome {
  /** Epoch ms the wait ended: the schedule starts here. */
  startedAt: number;
  /** How long the instant had passed when the run got to it (0 when it was still ahead). */
  lateMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function inWords(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export async function waitForStart(options: StartWaitOptions): Promise<StartWaitOutcome> {
  const { at, clock, signal, stream, style } = options;
  const write = (text: string) => {
    if (style !== 'none') stream.write(text);
  };
  const first = at - clock.wallNow();
  if (first <= 0) {
    write(`troupe: warning: the start instant ${iso(at)} passed ${Math.round(-first)} ms ago; starting now\n`);
    return { startedAt: clock.wallNow(), lateMs: Math.round(-first) };
  }
  if (style !== 'live') write(`troupe: waiting until ${iso(at)} to start (in ${inWords(first)})\n`);
  // Sleep to the next whole second before the instant, so the countdown ticks on seconds and the last
  // sleep ends on the instant; the wall clock is read again after each sleep (timers drift, clocks step).
  for (let left = first; left > 0 && !signal?.aborted; left = at - clock.wallNow()) {
    if (style === 'live') write(`\rtroupe: starting in ${inWords(left)} (at ${iso(at)})\x1b[K`);
    await clock.sleep(left % 1000 || Math.min(left, 1000), signal);
  }
  if (style === 'live') write(`\rtroupe: starting now (${iso(at)})\x1b[K\n`);
  return { startedAt: clock.wallNow(), lateMs: 0 };
}
