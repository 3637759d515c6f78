/** Vega-Lite specs for the PDF's charts: pure functions, run data in, spec out. Rendered to SVG by libs.toSvg. */
import type { ScopeSummary } from '../../metrics/aggregate.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { ErrorRow } from '../errors-table.js';
import type { SecondRow } from '../timeseries.js';

export type Spec = Record<string, unknown>;

/** Charts show at most this many personas (a note says which). */
export const CHART_MAX_PERSONAS = 20;
const MAX_POINTS = 240;
/** One line per segment of a resumed run: a pause is a gap, never a line across it. */
export const SEGMENT = { field: 'segment', type: 'nominal' } as const;
const PCT_COLORS = ['#4c9be8', '#f0a030', '#c0392b'];

export const CHART_CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  view: { stroke: null },
  title: { fontSize: 12, anchor: 'start', subtitleFontSize: 9, subtitleColor: '#616e7c', offset: 8 },
  axis: { labelFontSize: 8.5, titleFontSize: 9.5, titleFontWeight: 'normal', labelLimit: 230, gridColor: '#e4e7eb' },
  legend: { labelFontSize: 8.5, titleFontSize: 9, orient: 'right' },
};

/** The personas a chart shows: all, or the CHART_MAX_PERSONAS that rank highest by `rank`. */
export function chartPersonas(summary: RunSummary, rank: (s: ScopeSummary) => number): { names: string[]; note: string } {
  const all = Object.entries(summary.personas).filter(([, s]) => s.requests > 0);
  if (all.length <= CHART_MAX_PERSONAS) return { names: all.map(([n]) => n), note: '' };
  const top = [...all].sort((a, b) => rank(b[1]) - rank(a[1])).slice(0, CHART_MAX_PERSONAS);
  return { names: top.map(([n]) => n), note: `${CHART_MAX_PERSONAS} of ${all.length} personas shown` };
}

export function latencyPerPersonaSpec(summary: RunSummary): Spec {
  const { names, note } = chartPersonas(summary, (s) => s.latency.p95 ?? 0);
  const values = names.flatMap((persona) => {
    const l = summary.personas[persona]!.latency;
    return [['p50', l.p50], ['p95', l.p95], ['p99', l.p99]].map(([percentile, ms]) => ({ persona, percentile, ms }));
  });
  return {
    title: { text: 'Latency percentiles per persona', subtitle: note ? `${note} (highest p95 first)` : 'p50, p95 and p99 of every request, failed ones included' },
    width: 250,
    height: { step: 7, for: 'offset' },
    data: { values },
    mark: { type: 'bar', height: { band: 0.8 } },
    encoding: {
      y: { field: 'persona', type: 'nominal', title: 'Persona', sort: names },
      yOffset: { field: 'percentile', sort: ['p50', 'p95', 'p99'] },
      x: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
      color: { field: 'percentile', type: 'nominal', title: 'Percentile', sort: ['p50', 'p95', 'p99'], scale: { range: PCT_COLORS } },
    },
  };
}

/**
 * Folds seconds into windows so that a long run still draws at most MAX_POINTS points. A window never
 * spans two segments of a resumed run; each point carries its `segment`, and the charts draw one line
 * per segment (`detail`), so no line crosses a pause.
 */
export function windowSeries(rows: SecondRow[]): { points: Record<string, number | null>[]; window: number; slices: SecondRow[][] } {
  const window = Math.max(1, Math.ceil(rows.length / MAX_POINTS));
  const points: Record<string, number | null>[] = [];
  const slices: SecondRow[][] = [];
  for (let i = 0; i < rows.length;) {
    let end = Math.min(rows.length, i + window);
    for (let j = i + 1; j < end; j++) if (rows[j]!.segment !== rows[i]!.segment) end = j;
    const slice = rows.slice(i, end);
    i = end;
    slices.push(slice);
    const completed = slice.reduce((n, r) => n + r.completed, 0);
    const weighted = (key: 'p50' | 'p95' | 'p99') => {
      let sum = 0;
      let n = 0;
      for (const r of slice) if (r[key] !== null) (sum += r[key]! * r.completed), (n += r.completed);
      return n === 0 ? null : Math.round((sum / n) * 1000) / 1000;
    };
    points.push({
      t: slice[0]!.elapsed,
      segment: slice[0]!.segment,
      p50: weighted('p50'),
      p95: weighted('p95'),
      p99: weighted('p99'),
      rps: completed / slice.length,
      errors: slice.reduce((n, r) => n + r.errors, 0) / slice.length,
    });
  }
  return { points, window, slices };
}

export function latencyOverTimeSpec(rows: SecondRow[]): Spec {
  const { points, window } = windowSeries(rows);
  const x = { field: 't', type: 'quantitative', title: 'Time since the first request (s)', axis: { format: 'd', tickMinStep: 1 } };
  const per = window === 1 ? 'per second' : `averaged over ${window}-second windows`;
  return {
    data: { values: points },
    vconcat: [
      {
        title: { text: 'Latency over time', subtitle: `p50, p95 and p99 of the requests completed in each second, ${per}` },
        width: 420,
        height: 150,
        transform: [{ fold: ['p50', 'p95', 'p99'], as: ['percentile', 'ms'] }, { filter: 'datum.ms !== null' }],
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5 },
        encoding: {
          x,
          detail: SEGMENT,
          y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
          color: { field: 'percentile', type: 'nominal', title: 'Percentile', sort: ['p50', 'p95', 'p99'], scale: { range: PCT_COLORS } },
        },
      },
      {
        title: { text: 'Throughput', subtitle: `completed requests and errors ${per}` },
        width: 420,
        height: 90,
        transform: [{ fold: ['rps', 'errors'], as: ['series', 'value'] }, { calculate: "datum.series === 'rps' ? 'completed' : 'errors'", as: 'series' }],
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5, interpolate: 'step-after' },
        encoding: {
          x,
          detail: SEGMENT,
          y: { field: 'value', type: 'quantitative', title: 'Requests per second' },
          color: { field: 'series', type: 'nominal', title: null, sort: ['completed', 'errors'], scale: { range: ['#2b6cb0', '#c0392b'] } },
        },
      },
    ],
    spacing: 24,
    resolve: { scale: { color: 'independent' } },
  };
}

export function hitRatePerPersonaSpec(summary: RunSummary): Spec {
  const { names, note } = chartPersonas(summary, (s) => s.cache.hit + s.cache.miss);
  const values = names.map((persona) => {
    const c = summary.personas[persona]!.cache;
    return { persona, hitRate: c.hitRate, label: c.hitRate === null ? 'no hit/miss' : `${(c.hitRate * 100).toFixed(1)}% (${c.hit}/${c.hit + c.miss})` };
  });
  const y = { field: 'persona', type: 'nominal', title: 'Persona', sort: names };
  return {
    title: { text: 'Cache hit rate per persona', subtitle: `hits / (hits + misses); stale, bypass and unknown responses are not counted${note ? `; ${note}` : ''}` },
    width: 300,
    height: { step: 18 },
    data: { values },
    layer: [
      { mark: { type: 'bar', color: '#2b6cb0' }, encoding: { y, x: { field: 'hitRate', type: 'quantitative', title: 'Hit rate (%)', scale: { domain: [0, 1] }, axis: { format: '.0%' } } } },
      // Labels sit inside long bars (white) and after short ones, so none runs past the plot.
      { transform: [{ filter: 'datum.hitRate >= 0.5' }], mark: { type: 'text', align: 'right', dx: -4, fontSize: 8, color: 'white' }, encoding: { y, x: { field: 'hitRate', type: 'quantitative' }, text: { field: 'label' } } },
      { transform: [{ filter: 'datum.hitRate === null || datum.hitRate < 0.5' }], mark: { type: 'text', align: 'left', dx: 4, fontSize: 8 }, encoding: { y, x: { field: 'hitRate', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

export function hitVsMissSpec(summary: RunSummary): Spec | null {
  const { hitLatency: hit, missLatency: miss } = summary.global;
  if (!hit || !miss) return null;
  const values = (['p50', 'p95', 'p99'] as const).flatMap((p) => [
    { percentile: p, status: 'hit', ms: hit[p] },
    { percentile: p, status: 'miss', ms: miss[p] },
  ]);
  const speedUp = hit.p50 && miss.p50 ? `a miss p50 is ${(miss.p50 / hit.p50).toFixed(1)}× a hit p50` : '';
  return {
    title: { text: 'Cache hit vs miss latency', subtitle: `all personas; ${hit.count} hits, ${miss.count} misses${speedUp ? `; ${speedUp}` : ''}` },
    width: 300,
    height: 150,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'percentile', type: 'nominal', title: 'Percentile', sort: ['p50', 'p95', 'p99'], axis: { labelAngle: 0 } },
      xOffset: { field: 'status', sort: ['hit', 'miss'] },
      y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
      color: { field: 'status', type: 'nominal', title: 'Cache', sort: ['hit', 'miss'], scale: { range: ['#1e7f4f', '#f0a030'] } },
    },
  };
}

export function errorBreakdownSpec(errors: ErrorRow[]): Spec | null {
  if (errors.length === 0) return null;
  const top = errors.slice(0, 15);
  const values = top.map((e) => ({ label: e.status === null ? e.code : `${e.code} (HTTP ${e.status})`, count: e.count }));
  return {
    title: { text: 'Errors by code', subtitle: errors.length > top.length ? `the 15 most frequent of ${errors.length} kinds` : 'every failed request, by error code and HTTP status' },
    width: 300,
    height: { step: 18 },
    data: { values },
    layer: [
      { mark: { type: 'bar', color: '#c0392b' }, encoding: { y: { field: 'label', type: 'nominal', title: 'Error', sort: '-x' }, x: { field: 'count', type: 'quantitative', title: 'Failed requests' } } },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 8 }, encoding: { y: { field: 'label', type: 'nominal', sort: '-x' }, x: { field: 'count', type: 'quantitative' }, text: { field: 'count' } } },
    ],
  };
}
