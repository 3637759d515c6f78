/**
 * The active-VU curve of a closed-model run for a duration or in stages (summary.vus): VUs active at the
 * end of each second beside what the schedule asked for. A pure spec, shared by the PDF and the HTML report.
 */
import { targetChanges } from '../../engine/vu-schedule.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { LineFigure } from '../charts/figure.js';

export function activeVusSpec(summary: RunSummary): LineFigure | null {
  const v = summary.vus;
  if (!v || v.perSecond.active.length < 2) return null;
  const times = v.perSecond.active.map((_, i) => v.perSecond.fromSecond + (i + 1) * 1000 - v.scheduleStartedAt);
  const end = Math.max(times.at(-1)!, v.scheduledMs);
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
      { name: 'scheduled', color: '#9aa5b1', segments: [scheduleSteps(summary, end).map(([ms, vus]) => [ms / 1000, vus] as [number, number])] },
    ],
    // Each point holds until the next: a sample of the active VUs until the next sample, a target until
    // it changes. (step-before drew each second's sample over the second before it, so the schedule of
    // "10 VUs for 5 s" ended at 4.1 s on the chart.)
    interpolate: 'step-after',
    pointSize: 0,
    legend: { title: null },
  };
}

/** The schedule's target as steps, [ms since the schedule started, VUs], from 0 to `endMs`. */
function scheduleSteps(summary: RunSummary, endMs: number): [number, number][] {
  const v = summary.vus!;
  if (v.model !== 'ramping-vus') return [[0, summary.concurrency], [v.scheduledMs, 0], [endMs, 0]];
  const start = v.startVUs ?? 0;
  const steps: [number, number][] = [[0, start]];
  for (const { atMs, target } of targetChanges(v.stages ?? [], start, -1)) steps.push([atMs, target]);
  steps.push([endMs, steps.at(-1)![1]]);
  // A ramp of thousands of VUs changes the target thousands of times: every k-th step draws the same line.
  const k = Math.ceil(steps.length / 2000);
  return k === 1 ? steps : steps.filter((_, i) => i % k === 0 || i === steps.length - 1);
}
