import type { EngineRecord, ResultRecord } from '../engine/records.js';
import type { Redactor } from '../redact.js';
import type { Output } from '../sinks/output.js';
import { printable } from '../util/printable.js';

/**
 * `--verbose`: one stderr line per failed request — method, URL, code and message — and one per failed
 * check (`check failed ID step STEP: CHECK: what was found`). Records already
 * carry redacted URLs and messages; they pass through the redactor once more because this text goes
 * to a terminal or a CI log that outlives the run.
 */
export class VerboseFailureSink implements Output {
  readonly name = 'verbose';
  readonly when = 'live' as const;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly redactor: Redactor,
  ) {}

  async start(): Promise<void> {}

  write(record: EngineRecord): void {
    if (record.type === 'session') {
      if (record.ok) return;
      for (const result of record.results) if (!result.ok) this.failed(result);
      const who = record.persona === undefined ? 'run-level' : `persona ${JSON.stringify(record.persona)}${record.vu > 0 ? `, VU ${record.vu}` : ''}`;
      const next = record.final ? (record.then === 'stop' ? '; the session stops' : record.then === 'continue' ? '; the session continues without it' : '') : '; retrying';
      this.stream.write(`${this.redactor.text(printable(`troupe: ${record.phase} failed (${who}, attempt ${record.attempt}): ${record.message ?? ''}${next}`))}\n`);
      return;
    }
    if (record.type !== 'result') return;
    if (!record.ok) this.failed(record);
    for (const check of record.checks ?? []) {
      if (check.ok) continue;
      const line = `troupe: check failed ${record.id} step ${record.step}: ${check.name}${check.message ? `: ${check.message}` : ''}`;
      this.stream.write(`${this.redactor.text(printable(line))}\n`);
    }
  }

  private failed(record: ResultRecord): void {
    const status = record.status === null ? '' : ` (HTTP ${record.status})`;
    const line = `troupe: failed ${record.id}: ${record.method || '-'} ${this.redactor.url(record.url) || '-'} → ${record.error}${status}: ${record.message ?? ''}`;
    this.stream.write(`${this.redactor.text(printable(line))}\n`);
  }

  async stop(): Promise<void> {}
}
