/**
 * `--output otlp=URL`: OTLP/HTTP metrics through the OpenTelemetry JS SDK (exported every few seconds
 * and once more at the end). URL is the collector's base (`http://127.0.0.1:4318`) or its full
 * `/v1/metrics` endpoint. Same labels as the Prometheus outputs, as attributes. A failed export is
 * counted and reported at the end; it never stops the run.
 */
import type { EngineRecord } from '../../engine/records.js';
import type { Output } from '../output.js';
import type { Clock } from '../../engine/clock.js';
import { LATENCY_BUCKETS, DEFAULT_MAX_LABEL_VALUES, LiveSeries, parseLiveArg, pushTarget, type LoadLevel } from './series.js';

export const EXPORT_INTERVAL_MS = 5000;

type Counter = import('@opentelemetry/api').Counter;
type Histogram = import('@opentelemetry/api').Histogram;

export class OtlpOutput implements Output {
  readonly name = 'otlp';
  readonly when = 'live' as const;
  private provider: import('@opentelemetry/sdk-metrics').MeterProvider | null = null;
  private series: LiveSeries | null = null;
  private requests: Counter | null = null;
  private errors: Counter | null = null;
  private latency: Histogram | null = null;
  private failures = 0;
  private lastError = '';
  private shown = '';

  constructor(private readonly arg: string | undefined, private readonly runId: string, private readonly clock: Clock, private readonly load?: LoadLevel) {}

  async start(): Promise<void> {
    const { target, locations } = parseLiveArg(this.arg, '');
    const push = pushTarget(target, 'otlp=http://127.0.0.1:4318');
    const url = push.url;
    if (!url.pathname.endsWith('/v1/metrics')) url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/metrics`;
    const endpoint = url.href;
    this.shown = push.shown;
    const [sdk, exporterModule, resources] = await Promise.all([import('@opentelemetry/sdk-metrics'), import('@opentelemetry/exporter-metrics-otlp-http'), import('@opentelemetry/resources')]);
    const exporter = new exporterModule.OTLPMetricExporter({ url: endpoint, timeoutMillis: EXPORT_INTERVAL_MS, ...(push.authorization ? { headers: { authorization: push.authorization } } : {}) });
    // Count failed exports without letting one stop the run: the SDK reports them through the result.
    const exportOnce = exporter.export.bind(exporter);
    exporter.export = (metrics, done) =>
      exportOnce(metrics, (result) => {
        if (result.code !== 0) {
          this.failures++;
          this.lastError = (result.error?.message ?? 'export failed').replaceAll(endpoint, this.shown);
        }
        done(result);
      });
    this.provider = new sdk.MeterProvider({
      resource: resources.resourceFromAttributes({ 'service.name': 'troupe', 'troupe.run_id': this.runId }),
      readers: [new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: EXPORT_INTERVAL_MS, exportTimeoutMillis: EXPORT_INTERVAL_MS })],
      views: [{ instrumentName: 'troupe.request.duration', aggregation: { type: sdk.AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: LATENCY_BUCKETS } } }],
    });
    const meter = this.provider.getMeter('troupe');
    this.requests = meter.createCounter('troupe.requests', { description: 'Requests completed, by persona, step, status class and cache status' });
    this.errors = meter.createCounter('troupe.request.errors', { description: 'Failed requests by error code' });
    this.latency = meter.createHistogram('troupe.request.duration', { unit: 's', description: 'Request latency, send to last byte' });
    const series = (this.series = new LiveSeries({ locations, maxLabelValues: DEFAULT_MAX_LABEL_VALUES }));
    meter.createObservableGauge('troupe.active_personas').addCallback((r) => r.observe(series.activePersonas()));
    meter.createObservableGauge('troupe.generator.event_loop_delay_p99', { unit: 's' }).addCallback((r) => r.observe(series.eventLoopDelayP99()));
    const startedAt = this.clock.now();
    const level = () => series.loadLevel(this.load, this.clock, startedAt);
    if (this.load?.model === 'closed') meter.createObservableGauge('troupe.vus').addCallback((r) => r.observe(level().vus ?? 0));
    if (this.load?.model === 'open') meter.createObservableGauge('troupe.arrival_rate', { unit: '1/s' }).addCallback((r) => r.observe(level().arrivalRate ?? 0));
  }

  write(record: EngineRecord): void {
    const labels = this.series!.observe(record);
    if (!labels || record.type !== 'result') return;
    this.requests!.add(1, labels.request);
    if (record.error) this.errors!.add(1, { ...labels.scope, code: record.error });
    this.latency!.record(record.latencyMs / 1000, labels.scope);
  }

  async stop(): Promise<string | void> {
    if (!this.provider) return;
    await this.provider.forceFlush().catch((err: Error) => {
      this.failures++;
      this.lastError = err.message;
    });
    await this.provider.shutdown().catch(() => undefined);
    this.series?.close();
    if (this.failures > 0) return `otlp: ${this.failures} export(s) to ${this.shown} failed (last: ${this.lastError}); the run's own files are complete`;
  }
}
