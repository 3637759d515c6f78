/** csv/requests.csv: every request, streamed from results.ndjson to disk. */
import type { ResultLine } from '../../run/results-reader.js';
import type { ResultSink } from '../scan.js';
import { encodeRow } from './encode.js';
import { CsvFile } from './writer.js';

export const REQUESTS_HEADER = [
  'id', 'persona', 'location', 'iteration', 'step', 'method', 'url', 'status', 'ok', 'error', 'message',
  'latency_ms', 'ttfb_ms', 'bytes', 'cache', 'started_at', 'started_at_ms', 'run_status',
] as const;

export class RequestsCsv implements ResultSink {
  private constructor(private readonly file: CsvFile, private readonly runStatus: string) {}

  static async open(path: string, runStatus: string): Promise<RequestsCsv> {
    return new RequestsCsv(await CsvFile.open(path, REQUESTS_HEADER, encodeRow), runStatus);
  }

  add(r: ResultLine): Promise<void> {
    return this.file.push([
      r.id, r.persona, r.location, r.iteration, r.step, r.method, r.url, r.status, r.ok, r.error, r.message,
      r.latencyMs, r.ttfbMs, r.bytes, r.cache, this.iso(r.startedAt), r.startedAt, this.runStatus,
    ]);
  }

  private second = NaN;
  private secondIso = '';

  /** toISOString for consecutive records mostly in the same second, at a fraction of its cost. */
  private iso(ms: number): string {
    if (!Number.isInteger(ms)) return new Date(ms).toISOString();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.secondIso = new Date(second * 1000).toISOString().slice(0, 20);
    }
    return `${this.secondIso}${String(ms - second * 1000).padStart(3, '0')}Z`;
  }

  get rows(): number {
    return this.file.rows;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
