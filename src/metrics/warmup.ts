/**
 * The target cache's warm-up curve: hit rate per persona in the order they first got a response, and
 * hit rate per time window on one time axis. The axis starts at `originAt`, the instant the run started
 * its schedule (set before the first request), so that shards and resumed runs share it: a merge puts
 * each shard's requests in the window their send time falls in, not after the other shards' windows.
 */

export interface WarmupPoint {
  hit: number;
  miss: number;
  hitRate: number | null;
}

export interface WarmupSummary {
  /** Personas in the order they first got a response, with their hit rate: the cache warming up persona by persona. */
  byPersonaOrder: Array<WarmupPoint & { persona: string }>;
  /** Width of a window in ms (it doubles for long runs, so there are at most MAX_WINDOWS). */
  windowMs: number;
  /** Epoch ms that window 0 starts at: the run's start (absent in files of troupe before it was kept: the first request sent). */
  originAt?: number;
  /** Hit rate per window, `offsetMs` from `originAt`. */
  byWindow: Array<WarmupPoint & { offsetMs: number }>;
}

const MAX_WINDOWS = 300;
const rate = (hit: number, miss: number): number | null => (hit + miss === 0 ? null : Math.round((hit / (hit + miss)) * 1e6) / 1e6);

export class WarmupCurve {
  private readonly personaOrder = new Map<string, { hit: number; miss: number }>();
  private windowMs = 1000;
  private origin: number | null = null;
  private windows: Array<{ hit: number; miss: number }> = [];

  /** Where window 0 starts (epoch ms). Kept once set: a resumed run continues on its first start's axis. */
  startAt(epochMs: number): void {
    this.origin ??= epochMs;
  }

  get originAt(): number | null {
    return this.origin;
  }

  /** One target response that was a hit or a miss. */
  add(persona: string, startedAt: number, hit: 0 | 1): void {
    const order = this.personaOrder.get(persona);
    if (order) {
      order.hit += hit;
      order.miss += 1 - hit;
    } else this.personaOrder.set(persona, { hit, miss: 1 - hit });
    this.count(startedAt, hit, 1 - hit);
  }

  private count(startedAt: number, hit: number, miss: number): void {
    this.origin ??= startedAt;
    // A request sent before the origin (a clock that stepped back) joins window 0.
    let index = Math.max(0, Math.floor((startedAt - this.origin) / this.windowMs));
    while (index >= MAX_WINDOWS) {
      this.coarsen();
      index = Math.max(0, Math.floor((startedAt - this.origin) / this.windowMs));
    }
    while (this.windows.length <= index) this.windows.push({ hit: 0, miss: 0 });
    this.windows[index]!.hit += hit;
    this.windows[index]!.miss += miss;
  }

  private coarsen(): void {
    const merged: Array<{ hit: number; miss: number }> = [];
    for (let i = 0; i < this.windows.length; i += 2) {
      const a = this.windows[i]!;
      const b = this.windows[i + 1] ?? { hit: 0, miss: 0 };
      merged.push({ hit: a.hit + b.hit, miss: a.miss + b.miss });
    }
    this.windows = merged;
    this.windowMs *= 2;
  }

  /**
   * Adds another curve on this one's time axis: each of its windows lands in the window its start falls
   * in. Exact when the origins are a whole number of windows apart (shards given one `--start-at`
   * instant, up to the milliseconds between their wake-ups); `troupe merge` rebuilds the curve from the
   * result lines instead, which is exact always.
   */
  merge(other: WarmupCurve): void {
    for (const [p, c] of other.personaOrder) {
      const mine = this.personaOrder.get(p);
      if (mine) {
        mine.hit += c.hit;
        mine.miss += c.miss;
      } else this.personaOrder.set(p, { ...c });
    }
    if (other.windows.length === 0) return;
    while (this.windowMs < other.windowMs) this.coarsen();
    if (other.origin === null || this.origin === null) {
      // A curve from a file without originAt has no known axis: its windows follow this one's, as before.
      const factor = this.windowMs / other.windowMs;
      const offset = this.windows.length;
      other.windows.forEach((w, i) => {
        const index = offset + Math.floor(i / factor);
        while (this.windows.length <= index) this.windows.push({ hit: 0, miss: 0 });
        this.windows[index]!.hit += w.hit;
        this.windows[index]!.miss += w.miss;
      });
      while (this.windows.length > MAX_WINDOWS) this.coarsen();
      this.origin ??= other.origin;
      return;
    }
    const otherOrigin = other.origin;
    if (otherOrigin < this.origin) this.rebase(otherOrigin);
    other.windows.forEach((w, i) => this.count(otherOrigin + i * other.windowMs, w.hit, w.miss));
  }

  /** Moves the origin earlier, keeping each window's counts at its own start time. */
  private rebase(origin: number): void {
    const old = this.windows;
    const from = this.origin;
    this.windows = [];
    this.origin = origin;
    if (from !== null) old.forEach((w, i) => this.count(from + i * this.windowMs, w.hit, w.miss));
  }

  toSummary(): WarmupSummary | undefined {
    if (this.personaOrder.size === 0) return undefined;
    return {
      byPersonaOrder: [...this.personaOrder].map(([persona, c]) => ({ persona, ...c, hitRate: rate(c.hit, c.miss) })),
      windowMs: this.windowMs,
      ...(this.origin !== null ? { originAt: this.origin } : {}),
      byWindow: this.windows.map((w, i) => ({ offsetMs: i * this.windowMs, ...w, hitRate: rate(w.hit, w.miss) })),
    };
  }

  static fromSummary(s: WarmupSummary | undefined): WarmupCurve {
    const curve = new WarmupCurve();
    if (!s) return curve;
    for (const p of s.byPersonaOrder) curve.personaOrder.set(p.persona, { hit: p.hit, miss: p.miss });
    curve.windowMs = s.windowMs;
    curve.windows = s.byWindow.map((w) => ({ hit: w.hit, miss: w.miss }));
    // A file without originAt: the axis is unknown; the next request seen (a resumed run's first) sets it.
    curve.origin = s.originAt ?? null;
    return curve;
  }
}
