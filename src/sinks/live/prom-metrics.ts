/**
 * troupe's series in a prom-client registry: what the Prometheus scrape endpoint serves and what remote
 * write pushes, so the two paths carry the same numbers.
 */
import type { EngineRecord } from '../../engine/records.js';
import type { Clock } from '../../engine/clock.js';
import { LATENCY_BUCKETS, LiveSeries, type LoadLevel, type SeriesOptions } from './series.js';

type PromClient = typeof import('prom-client');

export class PromMetrics {
  readonly registry: import('prom-client').Registry;
  private readonly requests: import('prom-client').Counter;
  private readonly errors: import('prom-client').Counter;
  private readonly latency: import('prom-client').Histogram;
  private readonly series: LiveSeries;

  constructor(prom: PromClient, options: SeriesOptions & { runId: string; clock: Clock; load: LoadLevel | undefined }) {
    this.series = new LiveSeries(options);
    this.registry = new prom.Registry();
    this.registry.setDefaultLabels({ run_id: options.runId });
    const scopeLabels = ['persona', 'step', ...(options.locations ? ['location'] : [])];
    const registers = [this.registry];
    this.requests = new prom.Counter({ name: 'troupe_requests_total', help: 'Requests completed, by persona, step, status class and cache status', labelNames: [...scopeLabels, 'status_class', 'cache'], registers });
    this.errors = new prom.Counter({ name: 'troupe_request_errors_total', help: 'Failed requests by error code (see the README: Error codes)', labelNames: [...scopeLabels, 'code'], registers });
    this.latency = new prom.Histogram({ name: 'troupe_request_duration_seconds', help: 'Request latency, send to last byte, failed requests included', labelNames: scopeLabels, buckets: LATENCY_BUCKETS, registers });
    const series = this.series;
    new prom.Gauge({ name: 'troupe_active_personas', help: 'Personas with work in flight', registers, collect() { this.set(series.activePersonas()); } });
    const startedAt = options.clock.now();
    const level = () => series.loadLevel(options.load, options.clock, startedAt);
    if (options.load?.model === 'closed') new prom.Gauge({ name: 'troupe_vus', help: 'Virtual users working (the concurrency of the closed model)', registers, collect() { this.set(level().vus ?? 0); } });
    if (options.load?.model === 'open') new prom.Gauge({ name: 'troupe_arrival_rate', help: 'Arrivals per second the open model\'s schedule asks for now', registers, collect() { this.set(level().arrivalRate ?? 0); } });
    new prom.Gauge({ name: 'troupe_generator_event_loop_delay_p99_seconds', help: "troupe's own event-loop delay (p99 since the last collection): generator health, not the target's", registers, collect() { this.set(series.eventLoopDelayP99()); } });
  }

  observe(record: EngineRecord): void {
    const labels = this.series.observe(record);
    if (!labels || record.type !== 'result') return;
    this.requests.inc(labels.request);
    if (record.error) this.errors.inc({ ...labels.scope, code: record.error });
    this.latency.observe(labels.scope, record.latencyMs / 1000);
  }

  close(): void {
    this.series.close();
  }
}
