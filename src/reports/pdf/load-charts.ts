/** Figures for open-model and cache-analytics runs: service vs response time, and the warm-up curve. */
import type { FacetFigure, LineFigure } from '../charts/figure.js';
import type { RunSummary } from '../../run-dir/types.js';
import { chartPersonas } from './charts.js';

const MEASURE_COLORS = ['#4c9be8', '#c0392b'];

/** Per persona, p50/p95/p99 of service time (sent → last byte) beside response time (due → last byte). */
export function serviceVsResponseSpec(summary: RunSummary): FacetFigure | null {
  if (!summary.global.responseTime) return null;
  const { names, note } = chartPersonas(summary, (s) => s.responseTime?.p95 ?? 0);
  const shown = names.filter((n) => summary.personas[n]!.responseTime);
  if (shown.length === 0) return null;
  const groups = [{ name: 'service', color: MEASURE_COLORS[0]! }, { name: 'response', color: MEASURE_COLORS[1]! }];
  const percentiles = ['p50', 'p95', 'p99'] as const;
  return {
    kind: 'facet',
    title: 'Service vs response time per persona',
    subtitle: `service: sent → last byte; response: due → last byte (waits included)${note ? `; ${note}` : ''}`,
    headers: [...percentiles],
    // Each percentile has its own scale: a p99 next to a p50 would flatten the p50 bars.
    panels: percentiles.map((percentile) => ({
      kind: 'bars',
      title: '',
      orient: 'horizontal',
      categories: shown,
      groups,
      values: shown.map((persona) => {
        const s = summary.personas[persona]!;
        return [s.latency[percentile], s.responseTime![percentile]];
      }),
      step: 7,
      length: 105,
      valueTitle: 'ms',
      categoryTitle: null,
      legend: { title: 'Measured' },
    })),
    spacing: 8,
    legend: { title: 'Measured', orient: 'bottom' },
  };
}

/** The target cache's hit rate per time window from the first request: how fast it warmed up. */
export function warmupOverTimeSpec(summary: RunSummary): LineFigure | null {
  const w = summary.warmup;
  if (!w || w.byWindow.filter((p) => p.hitRate !== null).length < 2) return null;
  const width = w.windowMs >= 1000 ? `${w.windowMs / 1000}-second` : `${w.windowMs} ms`;
  const points = w.byWindow.filter((p) => p.hitRate !== null).map((p) => [p.offsetMs / 1000, p.hitRate!] as [number, number]);
  return {
    kind: 'lines',
    title: 'Cache warm-up over time',
    subtitle: `the target's hit rate per ${width} window from the first request (hits / (hits + misses))`,
    width: 420,
    height: 90,
    xTitle: 'Time since the first request (s)',
    yTitle: 'Hit rate',
    xFormat: '~g',
    yFormat: '.0%',
    yDomain: [0, 1],
    series: [{ name: 'hit rate', color: '#2b6cb0', segments: [points] }],
    pointSize: 18,
    legend: null,
  };
}
