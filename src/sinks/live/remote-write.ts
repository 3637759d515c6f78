/**
 * `--output prometheus-rw=URL`: Prometheus remote write (protocol 1.0: a snappy-compressed protobuf
 * WriteRequest), pushed every few seconds and once more at the end, as k6 does. The series are the scrape
 * endpoint's (same registry), plus `job="troupe"`. A push that fails is counted and reported at the end;
 * it never stops the run.
 */
import type { Clock } from '../../engine/clock.js';
import type { EngineRecord } from '../../engine/records.js';
import type { Output } from '../output.js';
import { PromMetrics } from './prom-metrics.js';
import { DEFAULT_MAX_LABEL_VALUES, parseLiveArg, pushTarget, type LoadLevel } from './series.js';

export const PUSH_INTERVAL_MS = 5000;

// Protobuf, the few bits remote write needs: length-delimited fields, a double and a varint.
function varint(n: number | bigint, out: number[]): void {
  let v = BigInt(n);
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
}
const utf8 = new TextEncoder();
function bytesField(field: number, bytes: Uint8Array | number[], out: number[]): void {
  out.push((field << 3) | 2);
  varint(bytes.length, out);
  for (const b of bytes) out.push(b);
}
function label(name: string, value: string): number[] {
  const out: number[] = [];
  bytesField(1, utf8.encode(name), out);
  bytesField(2, utf8.encode(value), out);
  return out;
}
function sample(value: number, timestampMs: number): number[] {
  const out: number[] = [(1 << 3) | 1];
  const f = new DataView(new ArrayBuffer(8));
  f.setFloat64(0, value, true);
  for (let i = 0; i < 8; i++) out.push(f.getUint8(i));
  out.push((2 << 3) | 0);
  varint(timestampMs, out);
  return out;
}

export interface TimeSeries {
  labels: Record<string, string>;
  value: number;
}

/** A WriteRequest of one sample per series at `timestampMs`; labels sorted by name, as the protocol asks. */
export function encodeWriteRequest(series: readonly TimeSeries[], timestampMs: number): Uint8Array {
  const out: number[] = [];
  for (const s of series) {
    const ts: number[] = [];
    for (const [name, value] of Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) bytesField(1, label(name, value), ts);
    bytesField(2, sample(s.value, timestampMs), ts);
    bytesField(1, ts, out);
  }
  return Uint8Array.from(out);
}

/** prom-client's JSON view of a registry → one time series per value (histogram buckets, sums and counts included). */
export async function registrySeries(metrics: PromMetrics, extra: Record<string, string>): Promise<TimeSeries[]> {
  const out: TimeSeries[] = [];
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const v of metric.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]) {
      const labels: Record<string, string> = { ...extra, __name__: v.metricName ?? metric.name };
      for (const [k, value] of Object.entries(v.labels)) labels[k] = String(value);
      out.push({ labels, value: v.value });
    }
  }
  return out;
}

export class RemoteWriteOutput implements Output {
  readonly name = 'prometheus-rw';
  readonly when = 'live' as const;
  private metrics: PromMetrics | null = null;
  private cancel: (() => void) | null = null;
  private pushing: Promise<void> = Promise.resolve();
  private failures = 0;
  private pushes = 0;
  private lastError = '';
  private url = '';
  /** The URL as messages show it: userinfo redacted. */
  private shown = '';
  private authorization: string | null = null;

  constructor(private readonly arg: string | undefined, private readonly runId: string, private readonly clock: Clock, private readonly load?: LoadLevel) {}

  async start(): Promise<void> {
    const { target, locations } = parseLiveArg(this.arg, '');
    const push = pushTarget(target, 'prometheus-rw=http://127.0.0.1:9090/api/v1/write');
    this.authorization = push.authorization;
    this.url = push.url.href;
    this.shown = push.shown;
    this.metrics = new PromMetrics(await import('prom-client'), { locations, maxLabelValues: DEFAULT_MAX_LABEL_VALUES, runId: this.runId, clock: this.clock, load: this.load });
    this.schedule();
  }

  private schedule(): void {
    this.cancel = this.clock.timeout(PUSH_INTERVAL_MS, () => {
      this.pushing = this.pushing.then(() => this.push());
      this.schedule();
    });
  }

  write(record: EngineRecord): void {
    this.metrics!.observe(record);
  }

  private async push(): Promise<void> {
    const { compress } = await import('snappyjs');
    const body = compress(encodeWriteRequest(await registrySeries(this.metrics!, { job: 'troupe' }), Math.round(this.clock.wallNow())));
    this.pushes++;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
          'user-agent': 'troupe',
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: Buffer.from(body),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      this.failures++;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      this.lastError = `${err instanceof Error ? err.message : String(err)}${cause}`.replaceAll(this.url, this.shown);
    }
  }

  async stop(): Promise<string | void> {
    this.cancel?.();
    if (!this.metrics) return;
    await this.pushing;
    await this.push();
    this.metrics.close();
    if (this.failures > 0) return `prometheus-rw: ${this.failures} of ${this.pushes} pushes to ${this.shown} failed (last: ${this.lastError}); the run's own files are complete`;
  }
}
