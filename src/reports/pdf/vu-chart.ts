/**
 * The active-VU curve of a closed-model run for a duration or in stages (summary.vus): VUs active at the
 * end of each second beside what the schedule asked for. A pure spec, shared by the PDF and the HTML report.
 */
import { targetAt } from '../../engine/vu-schedule.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { Spec } from './charts.js';

export function activeVusSpec(summary: RunSummary): Spec | null {
  const v = summary.vus;
  if (!v || v.perSecond.active.length < 2) return null;
  const scheduled = (t: number) => (v.model === 'ramping-vus' ? targetAt(v.stages ?? [], v.startVUs ?? 0, t) : t <= v.scheduledMs ? summary.concurrency : 0);
  const values = v.perSecond.active.flatMap((active, i) => {
    const end = v.perSecond.fromSecond + (i + 1) * 1000;
    const t = (end - v.scheduleStartedAt) / 1000;
    return [
      { t, series: 'active', vus: active },
      { t, series: 'scheduled', vus: scheduled(end - v.scheduleStartedAt) },
    ];
  });
  const how = v.model === 'ramping-vus' ? `${(v.stages ?? []).length} stage(s) from ${v.startVUs ?? 0} VUs` : `${summary.concurrency} VUs for ${v.scheduledMs / 1000} s`;
  return {
    title: { text: 'Active virtual users', subtitle: `VUs active at the end of each second beside the schedule (${how}); peak ${v.peak}${v.cut ? `, ${v.cut} visit(s) cut` : ''}` },
    width: 420,
    height: 110,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-before' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'Time since the schedule started (s)', axis: { format: '~g' } },
      y: { field: 'vus', type: 'quantitative', title: 'VUs' },
      color: { field: 'series', type: 'nominal', title: null, sort: ['active', 'scheduled'], scale: { range: ['#2b6cb0', '#9aa5b1'] } },
    },
  };
}
