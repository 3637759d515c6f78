/**
 * Every chart troupe draws, as plain data (bars, lines, stacks of them, a row of facets, two y axes),
 * laid out by scene.ts into shapes that svg.ts writes as SVG and pdf/draw-scene.ts draws with pdfkit.
 *
 * They used to go through Vega-Lite → Vega → SVG → svg-to-pdfkit; loading and running those was the
 * largest part of a report's CPU (about 0.7 s to load per process, ~50 ms a chart after).
 * The drawing keeps Vega-Lite's look: the same nice domains and tick counts, grid, axis and legend layout.
 */

export interface Titled {
  title: string;
  subtitle?: string;
}

export interface Legend {
  title: string | null;
  orient?: 'right' | 'bottom';
}

export interface BarFigure extends Titled {
  kind: 'bars';
  /** horizontal: categories down the y axis, values along x; vertical: categories along x. */
  orient: 'horizontal' | 'vertical';
  categories: string[];
  /** One bar per group in each category, side by side (one group: a plain bar chart). */
  groups: { name: string; color: string }[];
  /** values[category][group]; null draws no bar. */
  values: (number | null)[][];
  /** Pixels per bar (grouped) or per category (one group) across the categories. */
  step: number;
  /** The value axis's length (horizontal: the plot's width; vertical: its height). */
  length: number;
  valueTitle: string;
  categoryTitle: string | null;
  valueFormat?: string;
  valueDomain?: [number, number];
  legend?: Legend;
  /** One group only: a label at the end of each bar, inside it (white) where `inside` says so. */
  labels?: { text: string; inside: boolean }[];
}

export interface Series {
  name: string;
  color: string;
  /** Each segment is drawn as its own line: a pause in a resumed run is a gap. */
  segments: [number, number][][];
}

export interface LineFigure extends Titled {
  kind: 'lines';
  width: number;
  height: number;
  xTitle: string;
  yTitle: string;
  xFormat?: string;
  yFormat?: string;
  /** Ticks no closer than this (e.g. 1 for whole seconds). */
  xMinStep?: number;
  yDomain?: [number, number];
  series: Series[];
  interpolate?: 'linear' | 'step-after' | 'step-before';
  /** Area of each point's dot, as Vega's point size; 0 draws no dots. */
  pointSize: number;
  /** null: no legend (one series). */
  legend: Legend | null;
  /** The x axis's domain; by default [0, a nice maximum]. */
  xDomain?: [number, number];
  /** Dots drawn over the lines (trend: the regressed runs), of Vega's point size `size`. */
  marks?: { x: number; y: number; color: string; size: number }[];
  /** Dashed horizontal lines across the plot at these y values (trend: the latest run's thresholds). */
  rules?: { y: number; color: string }[];
}

export interface StackFigure extends Partial<Titled> {
  kind: 'stack';
  parts: (LineFigure | BarFigure)[];
  spacing: number;
}

/** Bar charts side by side, one per header (same categories, each its own value scale), one legend. */
export interface FacetFigure extends Titled {
  kind: 'facet';
  headers: string[];
  panels: BarFigure[];
  spacing: number;
  legend: Legend;
}

/** One measured quantity on its own y axis (left or right), coloured as its axis title. */
export interface DualSeries {
  title: string;
  color: string;
  /** One value per x; null leaves the point out. */
  values: (number | null)[];
  dashed?: boolean;
}

/** Two quantities against the same x values, each on its own y scale (capacity: throughput and p95 against the level). */
export interface DualAxisFigure extends Titled {
  kind: 'dual';
  width: number;
  height: number;
  xTitle: string;
  /** The x values, ascending; each gets a tick. */
  xs: number[];
  /** A log x axis (levels that double: 1, 2, 4 … 64). */
  xLog: boolean;
  left: DualSeries;
  right: DualSeries;
  /** A vertical rule at this x (the knee), or none. */
  xRule: { x: number; color: string } | null;
}

export type Figure = BarFigure | LineFigure | StackFigure | FacetFigure | DualAxisFigure;

/** d3's tick step for [start, stop] in about `count` ticks (1, 2 or 5 × a power of ten). */
export function tickStep(start: number, stop: number, count: number): number {
  const step0 = Math.abs(stop - start) / Math.max(0, count);
  let step1 = 10 ** Math.floor(Math.log10(step0));
  const error = step0 / step1;
  if (error >= Math.sqrt(50)) step1 *= 10;
  else if (error >= Math.sqrt(10)) step1 *= 5;
  else if (error >= Math.sqrt(2)) step1 *= 2;
  return stop < start ? -step1 : step1;
}

/** A zero-based domain widened to whole ticks, as Vega's `nice` does (10 ticks). */
export function niceDomain(max: number): [number, number] {
  if (!(max > 0)) return [0, 1];
  let hi = max;
  let previous = 0;
  for (let i = 0; i < 10; i++) {
    const step = tickStep(0, hi, 10);
    if (step === previous) break;
    hi = round(Math.ceil(hi / step - 1e-9) * step);
    previous = step;
  }
  return [0, hi];
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;

/** The ticks of [lo, hi] for an axis `size` pixels long (Vega-Lite: one tick per 40 px). */
export function ticks(lo: number, hi: number, size: number, minStep = 0): { values: number[]; step: number } {
  let step = tickStep(lo, hi, Math.ceil(size / 40));
  if (step < minStep) step = minStep;
  const values: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) values.push(round(i * step));
  return { values, step };
}

/** Formats a tick value as d3-format would with the tick step's precision: '', 'd', '~g', '%', '.0%'. */
export function formatTick(value: number, step: number, format = ''): string {
  const decimals = (s: number) => Math.max(0, -Math.floor(Math.log10(s) + 1e-9));
  if (format === '.0%') return `${withCommas((value * 100).toFixed(0))}%`;
  if (format === '%') return `${withCommas((value * 100).toFixed(decimals(step * 100)))}%`;
  if (format === 'd') return withCommas(Math.round(value).toFixed(0));
  if (format === '~g') return withCommas(String(Number(value.toFixed(decimals(step)))));
  return withCommas(value.toFixed(decimals(step)));
}

function withCommas(text: string): string {
  const [int, frac] = text.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = sign ? int!.slice(1) : int!;
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac === undefined ? '' : `.${frac}`);
}
