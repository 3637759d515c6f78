/** Vega-Lite specs for open-model and cache-analytics runs: service vs response time, and the warm-up curve. */
import type { RunSummary } from '../../run-dir/types.js';
import { chartPersonas, type Spec } from './charts.js';

const MEASURE_COLORS = ['#4c9be8', '#c0392b'];

/** Per persona, p50/p95/p99 of service time (sent → last byte) beside response time (due → last byte). */
export function serviceVsResponseSpec(summary: RunSummary): Spec | null {
  if (!summary.global.responseTime) return null;
  const { names, note } = chartPersonas(summary, (s) => s.responseTime?.p95 ?? 0);
  const shown = names.filter((n) => summary.personas[n]!.responseTime);
  if (shown.length === 0) return null;
  const values = shown.flatMap((persona) => {
    const s = summary.personas[persona]!;
    return (['p50', 'p95', 'p99'] as const).flatMap((percentile) => [
      { persona, percentile, measure: 'service', ms: s.latency[percentile] },
      { persona, percentile, measure: 'response', ms: s.responseTime![percentile] },
    ]);
  });
  return {
    title: {
      text: 'Service vs response time per persona',
      subtitle: `service: sent → last byte; response: due → last byte (waits included)${note ? `; ${note}` : ''}`,
    },
    data: { values },
    facet: { column: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99'], title: null, header: { labelFontSize: 9.5 } } },
    spec: {
      width: 105,
      height: { step: 7, for: 'offset' },
      mark: { type: 'bar', height: { band: 0.8 } },
      encoding: {
        y: { field: 'persona', type: 'nominal', title: null, sort: shown },
        yOffset: { field: 'measure', sort: ['service', 'response'] },
        x: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: { field: 'measure', type: 'nominal', title: 'Measured', sort: ['service', 'response'], scale: { range: MEASURE_COLORS }, legend: { orient: 'bottom' } },
      },
    },
    resolve: { scale: { x: 'independent' } },
    spacing: 8,
  };
}

/** The target cache's hit rate per time window from the first request: how fast it warmed up. */
export function warmupOverTimeSpec(summary: RunSummary): Spec | null {
  const w = summary.warmup;
  if (!w || w.byWindow.filter((p) => p.hitRate !== null).length < 2) return null;
  const values = w.byWindow.map((p) => ({ t: p.offsetMs / 1000, hitRate: p.hitRate, seen: p.hit + p.miss }));
  const width = w.windowMs >= 1000 ? `${w.windowMs / 1000}-second` : `${w.windowMs} ms`;
  return {
    title: { text: 'Cache warm-up over time', subtitle: `the target's hit rate per ${width} window from the first request (hits / (hits + misses))` },
    width: 420,
    height: 120,
    data: { values },
    transform: [{ filter: 'datum.hitRate !== null' }],
    mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5, color: '#2b6cb0' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'Time since the first request (s)', axis: { format: '~g' } },
      y: { field: 'hitRate', type: 'quantitative', title: 'Hit rate', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      tooltip: [{ field: 'seen' }],
    },
  };
}

