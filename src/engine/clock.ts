/**
 * Time behind a seam: scheduling, think time and timeouts take a Clock so tests can use fake time.
 * `now()` is monotonic milliseconds (for durations); `wallNow()` is epoch milliseconds (for records).
 */
export interface Clock {
  now(): number;
  wallNow(): number;
  /** Resolves after `ms`; resolves early (not rejects) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms`; returns the function that cancels it. The system clock's timer is
   * unref'd: a pending flush or sweep never keeps the process alive by itself.
   */
  timeout(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
  timeout: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
