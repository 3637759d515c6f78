/** The run report's charts (PDF and HTML): pure functions, run data in, a figure out (see ../charts/figure.ts). */
import type { BarFigure, Figure, LineFigure, Series, StackFigure } from '../charts/figure.js';
import type { ScopeSummary } from '../../metrics/aggregate.js';
import type { RunSummary } from '../../run-dir/types.js';
import type { ErrorRow } from '../errors-table.js';
import type { SecondRow } from '../timeseries.js';

/** What chart() draws: one of the figures in ../charts/figure.ts. */
export type Spec = Figure;

/** Charts show at most this many personas (a note says which). */
export const CHART_MAX_PERSONAS = 20;
const MAX_POINTS = 240;
const PCT_COLORS = ['#4c9be8', '#f0a030', '#c0392b'];

/** The personas a chart shows: all, or the CHART_MAX_PERSONAS that rank highest by `rank`. */
export function chartPersonas(summary: RunSummary, rank: (s: ScopeSummary) => number): { names: string[]; note: string } {
  const all = Object.entries(summary.personas).filter(([, s]) => s.requests > 0);
  if (all.length <= CHART_MAX_PERSONAS) return { names: all.map(([n]) => n), note: '' };
  const top = [...all].sort((a, b) => rank(b[1]) - rank(a[1])).slice(0, CHART_MAX_PERSONAS);
  return { names: top.map(([n]) => n), note: `${CHART_MAX_PERSONAS} of ${all.length} personas shown` };
}

export function latencyPerPersonaSpec(summary: RunSummary): BarFigure {
  const { names, note } = chartPersonas(summary, (s) => s.latency.p95 ?? 0);
  return {
    kind: 'bars',
    title: 'Latency percentiles per persona',
    subtitle: note ? `${note} (highest p95 first)` : 'p50, p95 and p99 of every request, failed ones included',
    orient: 'horizontal',
    categories: names,
    groups: PERCENTILES.map((name, i) => ({ name, color: PCT_COLORS[i]! })),
    values: names.map((persona) => PERCENTILES.map((p) => summary.personas[persona]!.latency[p] ?? null)),
    step: 7,
    length: 250,
    valueTitle: 'Latency (ms)',
    categoryTitle: 'Persona',
    legend: { title: 'Percentile' },
  };
}

const PERCENTILES = ['p50', 'p95', 'p99'] as const;

/**
 * One series per key of the windowed points; each segment of a resumed run is a line of its own, so no
 * line crosses a pause. Points without a value are left out (the line joins its neighbours).
 */
export function seriesOf(points: Record<string, number | null>[], keys: { key: string; name: string; color: string }[]): Series[] {
  return keys.map(({ key, name, color }) => {
    const segments = new Map<number, [number, number][]>();
    for (const p of points) {
      const v = p[key];
      if (v === null || v === undefined) continue;
      const seg = p['segment'] ?? 0;
      if (!segments.has(seg)) segments.set(seg, []);
      segments.get(seg)!.push([p['t']!, v]);
    }
    return { name, color, segments: [...segments.values()] };
  });
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

export function latencyOverTimeSpec(rows: SecondRow[]): StackFigure {
  const { points, window } = windowSeries(rows);
  const per = window === 1 ? 'per second' : `averaged over ${window}-second windows`;
  const axes = { width: 420, xTitle: 'Time since the first request (s)', xFormat: 'd', xMinStep: 1, pointSize: 12 } as const;
  const latency: LineFigure = {
    kind: 'lines',
    ...axes,
    title: 'Latency over time',
    subtitle: `p50, p95 and p99 of the requests completed in each second, ${per}`,
    height: 150,
    yTitle: 'Latency (ms)',
    series: seriesOf(points, PERCENTILES.map((key, i) => ({ key, name: key, color: PCT_COLORS[i]! }))),
    legend: { title: 'Percentile' },
  };
  const throughput: LineFigure = {
    kind: 'lines',
    ...axes,
    title: 'Throughput',
    subtitle: `completed requests and errors ${per}`,
    height: 90,
    yTitle: 'Requests per second',
    series: seriesOf(points, [{ key: 'rps', name: 'completed', color: '#2b6cb0' }, { key: 'errors', name: 'errors', color: '#c0392b' }]),
    interpolate: 'step-after',
    legend: { title: null },
  };
  return { kind: 'stack', parts: [latency, throughput], spacing: 24 };
}

export function hitRatePerPersonaSpec(summary: RunSummary): BarFigure {
  const { names, note } = chartPersonas(summary, (s) => s.cache.hit + s.cache.miss);
  const caches = names.map((persona) => summary.personas[persona]!.cache);
  return {
    kind: 'bars',
    title: 'Cache hit rate per persona',
    subtitle: `hits / (hits + misses); stale, bypass and unknown responses are not counted${note ? `; ${note}` : ''}`,
    orient: 'horizontal',
    categories: names,
    groups: [{ name: 'hit rate', color: '#2b6cb0' }],
    values: caches.map((c) => [c.hitRate]),
    step: 16,
    length: 300,
    valueTitle: 'Hit rate (%)',
    categoryTitle: 'Persona',
    valueFormat: '.0%',
    valueDomain: [0, 1],
    // Labels sit inside long bars (white) and after short ones, so none runs past the plot.
    labels: caches.map((c) => ({ text: c.hitRate === null ? 'no hit/miss' : `${(c.hitRate * 100).toFixed(1)}% (${c.hit}/${c.hit + c.miss})`, inside: c.hitRate !== null && c.hitRate >= 0.5 })),
  };
}

export function hitVsMissSpec(summary: RunSummary): BarFigure | null {
  const { hitLatency: hit, missLatency: miss } = summary.global;
  if (!hit || !miss) return null;
  const speedUp = hit.p50 && miss.p50 ? `a miss p50 is ${(miss.p50 / hit.p50).toFixed(1)}× a hit p50` : '';
  return {
    kind: 'bars',
    title: 'Cache hit vs miss latency',
    subtitle: `all personas; ${hit.count} hits, ${miss.count} misses${speedUp ? `; ${speedUp}` : ''}`,
    orient: 'vertical',
    categories: [...PERCENTILES],
    groups: [{ name: 'hit', color: '#1e7f4f' }, { name: 'miss', color: '#f0a030' }],
    values: PERCENTILES.map((p) => [hit[p], miss[p]]),
    step: 100,
    length: 150,
    valueTitle: 'Latency (ms)',
    categoryTitle: 'Percentile',
    legend: { title: 'Cache' },
  };
}

export function errorBreakdownSpec(errors: ErrorRow[]): BarFigure | null {
  if (errors.length === 0) return null;
  const top = errors.slice(0, 15).map((e) => ({ label: e.status === null ? e.code : `${e.code} (HTTP ${e.status})`, count: e.count }));
  // Largest first, as the table below it.
  top.sort((a, b) => b.count - a.count);
  return {
    kind: 'bars',
    title: 'Errors by code',
    subtitle: errors.length > top.length ? `the 15 most frequent of ${errors.length} kinds` : 'every failed request, by error code and HTTP status',
    orient: 'horizontal',
    categories: top.map((e) => e.label),
    groups: [{ name: 'failed requests', color: '#c0392b' }],
    values: top.map((e) => [e.count]),
    step: 16,
    length: 300,
    valueTitle: 'Failed requests',
    categoryTitle: 'Error',
    labels: top.map((e) => ({ text: String(e.count), inside: false })),
  };
}
