/**
 * The HTML report's charts: the PDF's figures, plus the load and the hit rate over time, drawn to inline
 * SVG (no network). Every bar and dot carries its values (`aria-label`); the page's script shows that
 * label as a tooltip on hover.
 */
import type { Figure, StackFigure } from '../charts/figure.js';
import { figureToSvg } from '../charts/svg.js';
import { errorBreakdownSpec, hitRatePerPersonaSpec, hitVsMissSpec, latencyOverTimeSpec, latencyPerPersonaSpec, seriesOf, windowSeries } from '../pdf/charts.js';
import type { RunData } from '../run-data.js';
import { activeVusSpec } from '../pdf/vu-chart.js';
import type { SecondRow } from '../timeseries.js';

export interface Chart {
  id: string;
  /** Inline SVG, or null with the sentence that says why there is no chart. */
  svg: string | null;
  empty: string;
}

const MIN_SECONDS_FOR_TIME_CHART = 3;
// Browsers have the system's sans-serif; the PDF embeds DejaVu, which a browser may not have.
const HTML_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

/** Requests in flight (closed model: the VUs at work) or arrivals started (open model), and the hit rate, per second. */
export function loadAndHitRateSpec(rows: SecondRow[], open: boolean): StackFigure {
  const { points, slices } = windowSeries(rows);
  const extra = rows.length === 0 ? [] : points.map((p, i) => {
    const slice = slices[i]!;
    const hits = slice.reduce((n, r) => n + r.hits, 0);
    const misses = slice.reduce((n, r) => n + r.misses, 0);
    return { ...p, inFlight: Math.max(...slice.map((r) => r.inFlight)), started: slice.reduce((n, r) => n + r.started, 0) / slice.length, hitRate: hits + misses === 0 ? null : hits / (hits + misses) };
  });
  const axes = { width: 420, height: 90, xTitle: 'Time since the first request (s)', xFormat: 'd', xMinStep: 1, legend: null } as const;
  const load = open ? { key: 'started', title: 'Arrivals started per second', text: 'Arrival rate' } : { key: 'inFlight', title: 'Requests in flight (max)', text: 'Load' };
  return {
    kind: 'stack',
    parts: [
      {
        kind: 'lines',
        ...axes,
        title: load.text,
        subtitle: open ? 'requests started in each second' : 'the most requests in flight in each second: the virtual users at work',
        yTitle: load.title,
        series: seriesOf(extra, [{ key: load.key, name: load.text, color: '#2b6cb0' }]),
        interpolate: 'step-after',
        pointSize: 0,
      },
      {
        kind: 'lines',
        ...axes,
        title: 'Cache hit rate over time',
        subtitle: 'hits / (hits + misses) of the requests completed in each second',
        yTitle: 'Hit rate',
        yFormat: '%',
        yDomain: [0, 1],
        series: seriesOf(extra, [{ key: 'hitRate', name: 'hit rate', color: '#1e7f4f' }]),
        pointSize: 12,
      },
    ],
    spacing: 24,
  };
}

export async function reportCharts(data: RunData): Promise<Chart[]> {
  const { summary, facts } = data;
  const seconds = facts.timeseries.length;
  const g = summary.global.cache;
  const timeNote = `The run spans ${seconds} second(s), too short to draw over time; csv/timeseries.csv has the per-second figures.`;
  const wanted: [string, Figure | null, string][] = [
    ['latency-per-persona', summary.global.requests > 0 ? latencyPerPersonaSpec(summary) : null, 'No requests completed.'],
    ['latency-over-time', seconds >= MIN_SECONDS_FOR_TIME_CHART ? latencyOverTimeSpec(facts.timeseries) : null, timeNote],
    // One sentence for both time charts when the run is too short for them.
    ['load-over-time', seconds >= MIN_SECONDS_FOR_TIME_CHART ? loadAndHitRateSpec(facts.timeseries, Boolean(summary.load)) : null, ''],
    ...(summary.vus ? [['active-vus', activeVusSpec(summary), 'The run spans too few seconds to draw its active VUs over time; summary.json has them (vus.perSecond).'] as [string, Figure | null, string]] : []),
    ['hit-rate-per-persona', g.hit + g.miss > 0 ? hitRatePerPersonaSpec(summary) : null, 'No response carried a recognisable cache status, so there is no hit rate to chart.'],
    ['hit-vs-miss', hitVsMissSpec(summary), `Hit vs miss latency needs both cache hits and misses; this run had ${g.hit} hits and ${g.miss} misses.`],
    ['errors', errorBreakdownSpec(facts.errors), 'No errors: every request succeeded.'],
  ];
  return wanted.map(([id, figure, empty]) => ({ id, svg: figure === null ? null : figureToSvg(figure, HTML_FONT), empty }));
}
