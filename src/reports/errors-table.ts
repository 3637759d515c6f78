/** Failed requests grouped by error code and HTTP status, built in one pass over results.ndjson. */
import type { ResultLine } from '../run-dir/results.js';

export interface ErrorRow {
  code: string;
  /** null when no response arrived (connection errors, timeouts before headers). */
  status: number | null;
  count: number;
  /** Epoch ms of the first and last request (by send time) that failed this way. */
  firstSeen: number;
  lastSeen: number;
  /** The first message seen; messages in results.ndjson are already redacted. */
  example: string;
}

export class ErrorTally {
  private readonly groups = new Map<string, ErrorRow>();

  add(r: ResultLine): void {
    if (r.ok) return;
    const code = r.error ?? 'unknown';
    const key = `${code}\u0000${r.status ?? ''}`;
    const row = this.groups.get(key);
    if (row === undefined) {
      this.groups.set(key, { code, status: r.status, count: 1, firstSeen: r.startedAt, lastSeen: r.startedAt, example: r.message ?? '' });
      return;
    }
    row.count++;
    if (r.startedAt < row.firstSeen) row.firstSeen = r.startedAt;
    if (r.startedAt > row.lastSeen) row.lastSeen = r.startedAt;
    if (row.example === '' && r.message) row.example = r.message;
  }

  /** Most frequent first; ties by code, then status. */
  rows(): ErrorRow[] {
    return [...this.groups.values()].sort(
      (a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || (a.status ?? -1) - (b.status ?? -1),
    );
  }
}
