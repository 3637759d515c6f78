/**
 * The active-VU curve of a closed-model run for a duration or in stages (summary.vus): VUs active at the
 * end of each second beside what the schedule asked for. A pure spec, shared by the PDF and the HTML report.
 */
import { targetAt } from '../../engine/vu-schedule.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { LineFigure } from '../charts/figure.js';

export function activeVusSpec(summary: RunSummary): LineFigure | null {
  const v = summary.vus;
  if (!v || v.perSecond.active.length < 2) return null;
  const scheduled = (t: number) => (v.model === 'ramping-vus' ? targetAt(v.stages ?? [], v.startVUs ?? 0, t) : t <= v.scheduledMs ? summary.concurrency : 0);
  const times = v.perSecond.active.map((_, i) => v.perSecond.fromSecond + (i + 1) * 1000 - v.scheduleStartedAt);
  const how = v.model === 'ramping-vus' ? `${(v.stages ?? []).length} stage(s) from ${v.startVUs ?? 0} VUs` : `${summary.concurrency} VUs for ${v.scheduledMs / 1000} s`;
  return {
    kind: 'lines',
    title: 'Active virtual users',
    subtitle: `VUs active at the end of each second beside the schedule (${how}); peak ${v.peak}${v.cut ? `, ${v.cut} visit(s) cut` : ''}`,
    width: 420,
    height: 110,
    xTitle: 'Time since the schedule started (s)',
    yTitle: 'VUs',
    xFormat: '~g',
    series: [
      { name: 'active', color: '#2b6cb0', segments: [v.perSecond.active.map((active, i) => [times[i]! / 1000, active] as [number, number])] },
      { name: 'scheduled', color: '#9aa5b1', segments: [times.map((ms) => [ms / 1000, scheduled(ms)] as [number, number])] },
    ],
    interpolate: 'step-before',
    pointSize: 0,
    legend: { title: null },
  };
}
