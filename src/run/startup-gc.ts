/**
 * Start-up's garbage, collected before the first measured request. The CLI (bin/troupe.js) leaves a gc
 * function under this symbol; a program that imports troupe's API has none, and nothing happens.
 *
 * Why: loading the inputs, compiling the path and the warm-up leave old space full of what start-up
 * used, and V8's first full collection otherwise came ~1.5 s into the load, with an incremental marking
 * step of 20-24 ms that every request in flight waited behind (bench/latency-truth.mjs at 20 ms and 10
 * connections: troupe's max 10-20 ms above the server's). One collection here, before the run's clock
 * starts, costs 30–40 ms of set-up (`--trace-gc`) and leaves the next full collection for much later.
 */
const COLLECT = Symbol.for('troupe.collectGarbage');

export function collectStartupGarbage(): void {
  const gc = (globalThis as { [COLLECT]?: unknown })[COLLECT];
  if (typeof gc === 'function') gc();
}
