/** Run summaries built from synthetic result records, for tests of thresholds and comparisons. */
import type { CacheStatus, ResultRecord } from '../../src/engine/records.js';
import { RunMetrics } from '../../src/metrics/run-metrics.js';

export interface Batch {
  persona: string;
  location?: string;
  step?: string;
  n: number;
  latency: (i: number) => number;
  /** The first `errors` requests fail with a 500. */
  errors?: number;
  /** The first `hits` requests are cache hits; the rest have `cache` (default miss). */
  hits?: number;
  cache?: CacheStatus;
  /** ms between request starts (default 10); sets throughput. */
  gapMs?: number;
}

/** A summary with a run header, from synthetic records; every batch continues the same clock. */
export function summaryOf(batches: Batch[]) {
  const metrics = new RunMetrics();
  let t = 1_700_000_000_000;
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      const ok = i >= (b.errors ?? 0);
      const record: ResultRecord = {
        type: 'result', id: `${b.persona}/${i}`, persona: b.persona, location: b.location ?? 'loc', iteration: 1, step: b.step ?? 'request',
        method: 'GET', url: 'http://x/', status: ok ? 200 : 500, ok, error: ok ? null : 'http_5xx', latencyMs: b.latency(i), ttfbMs: 1, bytes: 10,
        cache: i < (b.hits ?? 0) ? 'hit' : (b.cache ?? 'miss'), startedAt: (t += b.gapMs ?? 10),
      };
      metrics.add(record);
    }
  }
  return { runId: 'synthetic', name: 'synthetic', startedAt: '2026-01-01T00:00:00.000Z', ...metrics.toSummary() };
}
