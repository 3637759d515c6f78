import type { EngineRecord } from '../engine/records.js';

/**
 * One small lifecycle per sink: start, write (never blocks), stop (flush). If one sink fails to start,
 * the ones already started are stopped (see startSinks).
 */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  write(record: EngineRecord): void;
  /** Optional backpressure: a promise while the sink cannot keep up, undefined otherwise. */
  backpressure?(): Promise<void> | undefined;
  stop(): Promise<void>;
}

export async function startSinks(sinks: Sink[]): Promise<Sink[]> {
  const started: Sink[] = [];
  try {
    for (const sink of sinks) {
      await sink.start();
      started.push(sink);
    }
  } catch (err) {
    await stopSinks(started);
    throw err;
  }
  return started;
}

/** Stop every sink even if one fails; rethrow the first failure afterwards. */
export async function stopSinks(sinks: Sink[]): Promise<void> {
  const results = await Promise.allSettled(sinks.map((s) => s.stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Fan one record out to every sink. */
export function fanOut(sinks: Sink[]): (record: EngineRecord) => void {
  return (record) => {
    for (const sink of sinks) sink.write(record);
  };
}

/** The first pending backpressure promise among the sinks, if any. */
export function combinedBackpressure(sinks: Sink[]): () => Promise<void> | undefined {
  const withPressure = sinks.filter((s) => s.backpressure);
  return () => {
    for (const sink of withPressure) {
      const pending = sink.backpressure!();
      if (pending) return pending;
    }
    return undefined;
  };
}
