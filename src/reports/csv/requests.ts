/** csv/requests.csv: every request, streamed from results.ndjson to disk. */
import type { RecordedConfig, RunSummary } from '../../run-dir/types.js';
import type { ResultLine } from '../../run-dir/results.js';
import type { ResultSink } from '../scan.js';
import { encodeRow } from './encode.js';
import { CsvFile } from './writer.js';

export const REQUESTS_HEADER = [
  'id', 'persona', 'location', 'iteration', 'step', 'method', 'url', 'status', 'ok', 'error', 'message',
  'latency_ms', 'ttfb_ms', 'bytes', 'cache', 'started_at', 'started_at_ms', 'run_status',
] as const;

/**
 * Columns for runs that use load shapes, retries, journeys or the harness cache, inserted before `run_status`
 * (so the closed-model columns keep their places and `run_status` stays last). `checks` is `name:ok;…`
 * (ok as 1/0); a `;` or `:` inside a check name is written as `,`.
 */
export const REQUESTS_EXTRA_HEADER = ['scheduled_at_ms', 'response_time_ms', 'attempt', 'harness_cache', 'checks'] as const;

export function requestsHeader(extended: boolean): string[] {
  return extended ? [...REQUESTS_HEADER.slice(0, -1), ...REQUESTS_EXTRA_HEADER, 'run_status'] : [...REQUESTS_HEADER];
}

/** Whether a run's requests.csv gets REQUESTS_EXTRA_HEADER: any of those features in summary.json or the config. */
export function hasExtendedRequests(summary: RunSummary, config: RecordedConfig | undefined): boolean {
  const c = config ?? {};
  const cache = c.cache as { dedupe?: unknown } | undefined;
  return (
    summary.global.responseTime !== undefined || summary.load !== undefined || summary.checks !== undefined || summary.retries !== undefined ||
    summary.harnessCache !== undefined || c.retries !== undefined || c.journey !== undefined || Boolean(cache?.dedupe)
  );
}

const checkName = (name: string) => name.replace(/[;:]/g, ',');

export function checksCell(checks: ResultLine['checks']): string | null {
  return checks && checks.length > 0 ? checks.map((c) => `${checkName(c.name)}:${c.ok ? 1 : 0}`).join(';') : null;
}

export class RequestsCsv implements ResultSink {
  private constructor(private readonly file: CsvFile, private readonly runStatus: string, private readonly extended: boolean) {}

  static async open(path: string, runStatus: string, extended = false): Promise<RequestsCsv> {
    return new RequestsCsv(await CsvFile.open(path, requestsHeader(extended), encodeRow), runStatus, extended);
  }

  add(r: ResultLine): Promise<void> {
    if (this.extended) {
      return this.file.push([
        r.id, r.persona, r.location, r.iteration, r.step, r.method, r.url, r.status, r.ok, r.error, r.message,
        r.latencyMs, r.ttfbMs, r.bytes, r.cache, this.iso(r.startedAt), r.startedAt,
        r.scheduledAt, r.responseTimeMs, r.attempt, r.harnessCache, checksCell(r.checks), this.runStatus,
      ]);
    }
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

  close(): Promise<void> {
    return this.file.close();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
