/**
 * One full garbage collection right before the measured load starts, when the process allows it.
 *
 * Start-up (module sources, config parsing, zod, the warm-ups) leaves megabytes of young objects
 * behind. Without this, the first scavenges of the run copy and promote them, one every 1–2 s, each
 * pausing the loop for 10–17 ms on a generator pinned to one core (measured with --trace-gc-nvp against
 * bench/latency-truth.mjs: 1–3 MB surviving per scavenge for the first ~7 s, then ~0.1 MB and 1–1.5 ms).
 * Every response that arrived during such a pause carried it in its latency: that was troupe's max
 * (+10–20 ms over the server's) and much of its p99. Collected here, before the first request, the
 * pause is nobody's latency, and the run's own scavenges find nearly nothing to copy.
 *
 * The collector is only reachable when V8's `--expose-gc` is on: the CLI (bin/troupe.js) sets it
 * before anything loads; a program that imports troupe's API and runs without it gets no collection
 * (its V8 settings are its own). `gc` is read from a fresh context because the flag, set at run time,
 * only installs it in contexts created after it.
 */
import { runInNewContext } from 'node:vm';

type Collect = () => void;
let collect: Collect | null | undefined;

function collector(): Collect | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as Collect;
  try {
    const fresh: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof fresh === 'function' ? (fresh as Collect) : null;
  } catch {
    return null;
  }
}

/** Runs a full collection when one can be asked for; says whether it did. */
export function settleHeap(): boolean {
  if (collect === undefined) collect = collector();
  if (collect === null) return false;
  collect();
  return true;
}
