/**
 * What every live metrics output (Prometheus scrape, remote write, OTLP) labels a request with: persona,
 * step, status class, cache status (and location when asked). Label values are capped: past the cap a new
 * persona, step or location is counted under `other`, so a run over 100,000 locations cannot flood a TSDB.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { rateAt } from '../../engine/arrivals.js';
import type { Clock } from '../../engine/clock.js';
import type { EngineRecord, ResultRecord } from '../../engine/records.js';
import type { LoadPhase } from '../../inputs/load.js';

/** Seconds; the upper bounds of the latency histogram (Prometheus convention: `le`). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
export const DEFAULT_MAX_LABEL_VALUES = 100;

export interface SeriesOptions {
  /** Label requests by location too (off by default: locations can number in the hundred thousands). */
  locations: boolean;
  /** Distinct values kept per label (persona, step, location) before `other`. */
  maxLabelValues: number;
}

export type Labels = Record<string, string>;

/** The load model's level: closed, the concurrency (virtual users); open, the schedule of arrival rates. */
export type LoadLevel = { model: 'closed'; concurrency: number } | { model: 'open'; phases: readonly LoadPhase[] };

const statusClass = (r: ResultRecord) => (r.status === null ? 'none' : `${Math.floor(r.status / 100)}xx`);

class CappedValues {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  take(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}

/** Labels for one result (capped), the active personas and the generator's own health. */
export class LiveSeries {
  private readonly personas: CappedValues;
  private readonly steps: CappedValues;
  private readonly locations: CappedValues;
  private readonly active = new Set<string>();
  private readonly loop: IntervalHistogram;

  constructor(readonly options: SeriesOptions) {
    this.personas = new CappedValues(options.maxLabelValues);
    this.steps = new CappedValues(options.maxLabelValues);
    this.locations = new CappedValues(options.maxLabelValues);
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  /** Persona starts and ends; returns the labels of a result record, null for the others. */
  observe(record: EngineRecord): { scope: Labels; request: Labels } | null {
    if (record.type === 'persona-start') this.active.add(record.persona);
    else if (record.type === 'persona-end') this.active.delete(record.persona);
    else if (record.type === 'result') return this.labelsFor(record);
    return null;
  }

  private labelsFor(r: ResultRecord): { scope: Labels; request: Labels } {
    const scope: Labels = { persona: this.personas.take(r.persona), step: this.steps.take(r.step) };
    if (this.options.locations) scope['location'] = this.locations.take(r.location);
    return { scope, request: { ...scope, status_class: statusClass(r), cache: r.cache } };
  }

  activePersonas(): number {
    return this.active.size;
  }

  /**
   * The load applied now: closed, the virtual users working (the concurrency while any persona is
   * active, 0 after); open, the arrival rate the schedule asks for at this moment of it.
   */
  loadLevel(load: LoadLevel | undefined, clock: Clock, startedAt: number): { vus: number | null; arrivalRate: number | null } {
    if (!load) return { vus: null, arrivalRate: null };
    if (load.model === 'closed') return { vus: this.active.size > 0 ? load.concurrency : 0, arrivalRate: null };
    return { vus: null, arrivalRate: this.active.size > 0 ? rateAt(load.phases, clock.now() - startedAt) : 0 };
  }

  /** Generator health: the event loop's p99 delay (seconds) since the last call. A busy troupe shows here. */
  eventLoopDelayP99(): number {
    const p99 = this.loop.percentile(99) / 1e9;
    this.loop.reset();
    return Number.isFinite(p99) ? p99 : 0;
  }

  close(): void {
    this.loop.disable();
  }
}

/** `127.0.0.1:9464,locations` → address and flags, for the outputs' ARG. */
export function parseLiveArg(arg: string | undefined, fallback: string): { target: string; locations: boolean } {
  const parts = (arg ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const locations = parts.includes('locations');
  const target = parts.find((p) => p !== 'locations') ?? fallback;
  return { target, locations };
}

/**
 * A push output's URL (remote write, OTLP): http(s) only; userinfo taken out and sent as Basic auth
 * (fetch refuses it in a URL), and `shown` — what messages print — has it redacted.
 */
export function pushTarget(target: string, example: string): { url: URL; authorization: string | null; shown: string } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`expected a URL such as ${example}, got ${JSON.stringify(target)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`expected an http(s) URL such as ${example}, got ${JSON.stringify(url.protocol)}`);
  let authorization: string | null = null;
  if (url.username || url.password) {
    authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url, authorization, get shown() { return authorization ? url.href.replace('://', '://[redacted]@') : url.href; } };
}
