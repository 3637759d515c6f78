/**
 * One sentence on when a run started: for a merged run, how far apart its shards started (and how far
 * from the start instant they were given); for a run given a start instant, whether it reached it in
 * time. The console, the PDF and the HTML report all print this sentence.
 */
import type { RunSummary } from '../run-dir/types.js';

const ms = (n: number) => `${Math.round(n)} ms`;
const signed = (n: number) => `${n < 0 ? '−' : '+'}${ms(Math.abs(n))}`;

export function startNote(summary: Pick<RunSummary, 'merge' | 'start'>): string | null {
  const m = summary.merge;
  if (m) {
    const first = m.firstRequestSpreadMs === null ? 'a shard sent no request' : `first requests ${ms(m.firstRequestSpreadMs)} apart`;
    const offsets = m.firstRequestFromPlannedMs ? ` (${signed(m.firstRequestFromPlannedMs.min)} … ${signed(m.firstRequestFromPlannedMs.max)} from it)` : '';
    const late = m.starts.filter((s) => s.lateMs).map((s) => `shard ${s.index} reached it ${ms(s.lateMs!)} late and started at once`);
    const given = m.plannedAt ? `started at the instant ${m.plannedAt}` : 'with no common start instant (--start-at lines them up)';
    return `Merged from ${m.shards} shards ${given}: ${first}${offsets}; schedules started ${ms(m.startSpreadMs)} apart${late.length ? `; ${late.join(', ')}` : ''}.`;
  }
  const s = summary.start;
  if (!s?.plannedAt) return null;
  return s.lateMs ? `The start instant ${s.plannedAt} had passed by ${ms(s.lateMs)}: the run started at once, at ${s.at}.` : `The run waited for its start instant ${s.plannedAt} and started at ${s.at}.`;
}
