/**
 * troupe's own response cache (`cache.dedupe: true`), shared by every persona: requests with the same
 * method, URL and body are sent once. One in flight → the others wait for it (`coalesced`); one done →
 * the others reuse its response (`reused`). Only successful responses are kept, so failures are retried
 * by the next identical request. Its hits are the harness's, never the target's.
 */
import type { HttpOutcome, OutgoingRequest } from './http.js';

export type HarnessSource = 'origin' | 'coalesced' | 'reused';

export interface HarnessCacheStats {
  /** Requests sent to the target through the cache. */
  origin: number;
  coalesced: number;
  reused: number;
}

export class HarnessCache<T extends { outcome: HttpOutcome }> {
  private readonly done = new Map<string, T>();
  private readonly inFlight = new Map<string, Promise<T>>();
  readonly stats: HarnessCacheStats = { origin: 0, coalesced: 0, reused: 0 };

  /** `maxEntries` bounds memory: the oldest kept response is dropped first. */
  constructor(private readonly maxEntries = 10_000) {}

  static key(request: Pick<OutgoingRequest, 'method' | 'url' | 'body'>): string {
    const body = request.body === undefined || typeof request.body === 'string' ? (request.body ?? '') : request.body.identity;
    return `${request.method} ${request.url}\n${body}`;
  }

  async fetch(key: string, send: () => Promise<T>): Promise<{ value: T; source: HarnessSource }> {
    const kept = this.done.get(key);
    if (kept !== undefined) {
      this.stats.reused++;
      return { value: kept, source: 'reused' };
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined) {
      this.stats.coalesced++;
      return { value: await pending, source: 'coalesced' };
    }
    this.stats.origin++;
    const promise = send();
    this.inFlight.set(key, promise);
    try {
      const value = await promise;
      if (value.outcome.ok) {
        if (this.done.size >= this.maxEntries) this.done.delete(this.done.keys().next().value!);
        this.done.set(key, value);
      }
      return { value, source: 'origin' };
    } finally {
      this.inFlight.delete(key);
    }
  }
}
