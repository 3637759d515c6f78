/**
 * The demo target's response cache: least-recently-used eviction plus a fixed time to live.
 * A Map iterates in insertion order, so re-inserting on every hit keeps the least recently used
 * entry first and eviction is O(1).
 */

interface Entry<V> {
  value: V;
  /** Clock value at which the entry stops being fresh. */
  expiresAt: number;
}

export class LruTtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly maxSize: number;
  readonly ttlMs: number;
  readonly #now: () => number;

  /** `maxSize` 0 disables caching; `now` is the clock the TTL is measured on (ms). */
  constructor(maxSize: number, ttlMs: number, now: () => number = Date.now) {
    this.maxSize = maxSize;
    this.ttlMs = ttlMs;
    this.#now = now;
  }

  /** The fresh value for `key`, now marked most recently used; an expired entry is dropped. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.maxSize <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.ttlMs });
    while (this.#entries.size > this.maxSize) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Entries held, expired ones included until they are touched or pruned. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every expired entry (O(size): for stats, not the request path). Returns how many. */
  pruneExpired(): number {
    const now = this.#now();
    let pruned = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        pruned += 1;
      }
    }
    return pruned;
  }

  /** Empties the cache. Returns how many entries it held. */
  clear(): number {
    const held = this.#entries.size;
    this.#entries.clear();
    return held;
  }
}
