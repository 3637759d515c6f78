/**
 * `--output prometheus[=HOST:PORT]`: a /metrics endpoint for Prometheus to scrape while the run goes
 * (127.0.0.1:9464 unless told otherwise). At the end it waits for one more scrape when something has
 * been scraping, so the last seconds reach Prometheus too; nobody scraping costs no wait.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../engine/clock.js';
import type { EngineRecord } from '../../engine/records.js';
import type { Output } from '../output.js';
import { PromMetrics } from './prom-metrics.js';
import { DEFAULT_MAX_LABEL_VALUES, parseLiveArg, type LoadLevel } from './series.js';

const MAX_FINAL_WAIT_MS = 30_000;

export function parseHostPort(target: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target);
  if (!match || Number(match[2]) > 65535) throw new Error(`expected HOST:PORT such as 127.0.0.1:9464, got ${JSON.stringify(target)}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

export class PrometheusOutput implements Output {
  readonly name = 'prometheus';
  readonly when = 'live' as const;
  private metrics: PromMetrics | null = null;
  private server: Server | null = null;
  private lastWrite = 0;
  private scrapes: number[] = [];
  private waiting: (() => void) | null = null;
  /** The address it listens on, once started (port 0 picks one). */
  address: { host: string; port: number } | null = null;

  constructor(private readonly arg: string | undefined, private readonly runId: string, private readonly clock: Clock, private readonly load?: LoadLevel) {}

  async start(): Promise<void> {
    const { target, locations } = parseLiveArg(this.arg, '127.0.0.1:9464');
    const { host, port } = parseHostPort(target);
    const prom = await import('prom-client');
    this.metrics = new PromMetrics(prom, { locations, maxLabelValues: DEFAULT_MAX_LABEL_VALUES, runId: this.runId, clock: this.clock, load: this.load });
    const metrics = this.metrics;
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('troupe serves /metrics\n');
        return;
      }
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
          this.scrapes.push(this.clock.now());
          if (this.waiting && this.clock.now() >= this.lastWrite) this.waiting();
        },
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const bound = this.server.address() as AddressInfo;
    this.address = { host, port: bound.port };
  }

  write(record: EngineRecord): void {
    this.metrics!.observe(record);
    this.lastWrite = this.clock.now();
  }

  async stop(): Promise<string | void> {
    if (!this.server) return;
    // Something scrapes us: give it one more scrape after the last result, within twice its interval.
    const [a, b] = this.scrapes.slice(-2);
    if (a !== undefined && b !== undefined && this.scrapes.at(-1)! < this.lastWrite) {
      const wait = Math.min(MAX_FINAL_WAIT_MS, 2 * (b - a) + 1000);
      await new Promise<void>((resolve) => {
        const cancel = this.clock.timeout(wait, () => resolve());
        this.waiting = () => (cancel(), resolve());
      });
    }
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // Prometheus keeps its connection alive; close() alone would wait for it to go idle.
    this.server.closeAllConnections();
    await closed;
    this.metrics?.close();
  }
}
