/**
 * `abortOn`: watches results as they complete and, when the rule breaks over its sliding window, aborts
 * its signal once — the run then stops like after Ctrl-C (no new work, requests in flight finish) and
 * says why. Retried attempts and harness-cache hits are left out, as in the run's figures.
 */
import type { AbortRule } from '../inputs/load.js';
import { LatencyHistogram } from '../metrics/histogram.js';
import { systemClock, type Clock } from './clock.js';
import type { ResultRecord } from './records.js';

/** Why the rule stopped the run (in summary.json and run.json). */
export interface AbortVerdict {
  rule: string;
  /** What was measured over the window: a 0..1 fraction for error_rate, ms for latencies. */
  measured: number;
  requests: number;
  windowMs: number;
  /** Epoch ms. */
  at: number;
  message: string;
}

const SLICES = 10;
const EVALUATE_EVERY_MS = 100;

interface Slice {
  index: number;
  requests: number;
  errors: number;
  latency: LatencyHistogram | null;
}

export class AbortMonitor {
  private readonly controller = new AbortController();
  private readonly slices: Slice[] = [];
  private readonly sliceMs: number;
  private lastEvaluated = -Infinity;
  verdict: AbortVerdict | null = null;

  constructor(
    readonly rule: AbortRule,
    private readonly clock: Clock = systemClock,
  ) {
    this.sliceMs = rule.windowMs / SLICES;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  observe(r: ResultRecord): void {
    if (this.verdict || r.harnessCache || (r.attempt !== undefined && r.attempt > 1)) return;
    const now = this.clock.now();
    const index = Math.floor(now / this.sliceMs);
    let slice = this.slices[this.slices.length - 1];
    if (!slice || slice.index !== index) {
      slice = { index, requests: 0, errors: 0, latency: null };
      this.slices.push(slice);
      while (this.slices[0]!.index <= index - SLICES) this.slices.shift();
    }
    slice.requests++;
    if (!r.ok) slice.errors++;
    if (this.rule.metric !== 'error_rate') (slice.latency ??= new LatencyHistogram(2)).record(r.responseTimeMs ?? r.latencyMs);
    if (now - this.lastEvaluated >= EVALUATE_EVERY_MS) this.evaluate(now);
  }

  private evaluate(now: number): void {
    this.lastEvaluated = now;
    const from = Math.floor(now / this.sliceMs) - SLICES + 1;
    let requests = 0;
    let errors = 0;
    const latency = this.rule.metric === 'error_rate' ? null : new LatencyHistogram(2);
    for (const s of this.slices) {
      if (s.index < from) continue;
      requests += s.requests;
      errors += s.errors;
      if (latency && s.latency) latency.merge(s.latency);
    }
    if (requests < this.rule.minRequests) return;
    const measured = latency ? latency.percentileMs(Number(this.rule.metric.slice(1)))! : errors / requests;
    const v = this.rule.value;
    const broken = { '>': measured > v, '>=': measured >= v, '<': measured < v, '<=': measured <= v }[this.rule.operator];
    if (!broken) return;
    const shown = this.rule.metric === 'error_rate' ? `${(measured * 100).toFixed(1)}% (${errors}/${requests})` : `${measured.toFixed(1)} ms over ${requests} requests`;
    this.verdict = {
      rule: this.rule.expression,
      measured: Math.round(measured * 1e6) / 1e6,
      requests,
      windowMs: this.rule.windowMs,
      at: this.clock.wallNow(),
      message: `abortOn "${this.rule.expression}": ${this.rule.metric} was ${shown} in the last ${this.rule.windowMs / 1000} s`,
    };
    this.controller.abort();
  }
}
