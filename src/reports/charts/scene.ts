/**
 * A figure (figure.ts) laid out into shapes: rectangles, polylines, dots and text, in points from the
 * top-left corner. Text is measured by the caller's function (the PDF measures with its embedded font;
 * SVG estimates), so labels get the room they need.
 */
import { formatTick, niceDomain, ticks, type BarFigure, type DualAxisFigure, type DualSeries, type FacetFigure, type Figure, type Legend, type LineFigure, type Titled } from './figure.js';

export type Measure = (text: string, size: number, bold: boolean) => number;

export type Item =
  | { t: 'rect'; x: number; y: number; w: number; h: number; fill: string; label?: string }
  | { t: 'line'; points: [number, number][]; stroke: string; width: number; dash?: [number, number] }
  | { t: 'dot'; x: number; y: number; r: number; fill: string; label?: string }
  | { t: 'text'; x: number; y: number; text: string; size: number; bold: boolean; color: string; anchor: 'start' | 'middle' | 'end'; vertical?: boolean };

export interface Scene {
  width: number;
  height: number;
  items: Item[];
}

const STYLE = {
  title: 12, subtitle: 9, titleOffset: 8, subtitleColor: '#616e7c',
  label: 8.5, axisTitle: 9.5, legendTitle: 9, legendLabel: 8.5, barLabel: 8,
  grid: '#e4e7eb', axis: '#888', text: '#000', tick: 5, labelLimit: 230, padding: 5,
};

/** Shapes with their extent, in the coordinates of a plot whose top-left corner is (0, 0). */
class Group {
  items: Item[] = [];
  x0 = Infinity;
  y0 = Infinity;
  x1 = -Infinity;
  y1 = -Infinity;
  constructor(readonly measure: Measure) {}
  extend(x0: number, y0: number, x1: number, y1: number): void {
    this.x0 = Math.min(this.x0, x0), this.y0 = Math.min(this.y0, y0), this.x1 = Math.max(this.x1, x1), this.y1 = Math.max(this.y1, y1);
  }
  add(item: Item): void {
    this.items.push(item);
    if (item.t === 'rect') this.extend(item.x, item.y, item.x + item.w, item.y + item.h);
    else if (item.t === 'dot') this.extend(item.x - item.r, item.y - item.r, item.x + item.r, item.y + item.r);
    else if (item.t === 'line') for (const [x, y] of item.points) this.extend(x, y, x, y);
    else {
      const w = this.measure(item.text, item.size, item.bold);
      const start = item.anchor === 'start' ? 0 : item.anchor === 'middle' ? -w / 2 : -w;
      if (item.vertical) this.extend(item.x - item.size * 0.8, item.y - start - w, item.x + item.size * 0.2, item.y - start);
      else this.extend(item.x + start, item.y - item.size * 0.8, item.x + start + w, item.y + item.size * 0.2);
    }
  }
  /** Adds beneath everything added so far. */
  under(item: Item): void {
    this.add(item);
    this.items.unshift(this.items.pop()!);
  }
  text(x: number, y: number, text: string, size: number, options: { bold?: boolean; color?: string; anchor?: 'start' | 'middle' | 'end'; vertical?: boolean } = {}): void {
    this.add({ t: 'text', x, y, text, size, bold: options.bold ?? false, color: options.color ?? STYLE.text, anchor: options.anchor ?? 'start', ...(options.vertical ? { vertical: true } : {}) });
  }
  /** Places `other` with its plot origin at (dx, dy). */
  append(other: Group, dx: number, dy: number): void {
    for (const item of other.items) this.add(shift(item, dx, dy));
  }
}

function shift(item: Item, dx: number, dy: number): Item {
  if (item.t === 'line') return { ...item, points: item.points.map(([x, y]) => [x + dx, y + dy] as [number, number]) };
  return { ...item, x: item.x + dx, y: item.y + dy };
}

/** Lays a figure out; the scene's size includes a 5-point margin, as Vega's default padding. */
export function layoutFigure(figure: Figure, measure: Measure): Scene {
  const g = figureGroup(figure, measure);
  const p = STYLE.padding;
  return { width: Math.ceil(g.x1 - g.x0 + 2 * p), height: Math.ceil(g.y1 - g.y0 + 2 * p), items: g.items.map((item) => shift(item, p - g.x0, p - g.y0)) };
}

function figureGroup(figure: Figure, measure: Measure): Group {
  if (figure.kind === 'bars') return titled(barGroup(figure, measure, true), figure);
  if (figure.kind === 'lines') return titled(lineGroup(figure, measure), figure);
  if (figure.kind === 'facet') return titled(facetGroup(figure, measure), figure);
  if (figure.kind === 'dual') return titled(dualGroup(figure, measure), figure);
  const stack = new Group(measure);
  for (const part of figure.parts) {
    const g = figureGroup(part, measure);
    stack.append(g, 0, stack.items.length === 0 ? 0 : stack.y1 + figure.spacing - g.y0);
  }
  return figure.title === undefined ? stack : titled(stack, { title: figure.title, ...(figure.subtitle === undefined ? {} : { subtitle: figure.subtitle }) });
}

function titled(g: Group, t: Titled): Group {
  const subtitleBase = g.y0 - STYLE.titleOffset - STYLE.subtitle * 0.25;
  const titleBase = t.subtitle ? subtitleBase - STYLE.subtitle * 0.8 - 3 - STYLE.title * 0.2 : subtitleBase;
  const x = g.x0;
  g.text(x, titleBase, t.title, STYLE.title, { bold: true });
  if (t.subtitle) g.text(x, subtitleBase, t.subtitle, STYLE.subtitle, { color: STYLE.subtitleColor });
  return g;
}

const middle = (size: number) => size * 0.35;

/**
 * A value axis: grid, domain line, ticks and labels along the bottom (x), the left or the right (y) of
 * the plot. A right axis draws no grid (the left one's is the plot's).
 */
function valueAxis(g: Group, side: 'bottom' | 'left' | 'right', length: number, across: number, domain: [number, number], title: string, format?: string, minStep = 0, titleColor: string = STYLE.text): (v: number) => number {
  const [lo, hi] = domain;
  const pos = (v: number) => (side === 'bottom' ? ((v - lo) / (hi - lo)) * length : across - ((v - lo) / (hi - lo)) * across);
  const size = side === 'bottom' ? length : across;
  const { values, step } = ticks(lo, hi, size, minStep);
  const labels = values.map((v) => formatTick(v, step, format));
  if (side !== 'right') {
    const grid: Item[] = values.map((v) => ({ t: 'line', stroke: STYLE.grid, width: 1, points: side === 'bottom' ? [[pos(v), 0], [pos(v), across]] : [[0, pos(v)], [length, pos(v)]] }));
    // The grid goes under everything drawn so far (bars and lines are drawn after the axes).
    for (const line of grid) g.under(line);
  }
  if (side === 'bottom') {
    g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[0, across], [length, across]] });
    values.forEach((v, i) => {
      g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[pos(v), across], [pos(v), across + STYLE.tick]] });
      g.text(pos(v), across + STYLE.tick + 2 + STYLE.label * 0.8, labels[i]!, STYLE.label, { anchor: 'middle' });
    });
    g.text(length / 2, across + STYLE.tick + 2 + STYLE.label + 4 + STYLE.axisTitle * 0.8, title, STYLE.axisTitle, { anchor: 'middle', color: titleColor });
    return pos;
  }
  // The left axis at x 0, the right one at the plot's right edge, its ticks and labels outwards.
  const at = side === 'left' ? 0 : length;
  const out = side === 'left' ? -1 : 1;
  g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[at, 0], [at, across]] });
  values.forEach((v, i) => {
    g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[at + out * STYLE.tick, pos(v)], [at, pos(v)]] });
    g.text(at + out * (STYLE.tick + 2), pos(v) + middle(STYLE.label), labels[i]!, STYLE.label, { anchor: side === 'left' ? 'end' : 'start' });
  });
  const widest = Math.max(0, ...labels.map((l) => g.measure(l, STYLE.label, false)));
  const titleX = side === 'left' ? -STYLE.tick - 2 - widest - 4 - STYLE.axisTitle * 0.2 : at + STYLE.tick + 2 + widest + 4 + STYLE.axisTitle * 0.8;
  g.text(titleX, across / 2, title, STYLE.axisTitle, { anchor: 'middle', vertical: true, color: titleColor });
  return pos;
}

/** Category labels (and ticks) down the left of the plot or along its bottom. */
function categoryAxis(g: Group, side: 'bottom' | 'left', names: string[], center: (i: number) => number, extent: number, title: string | null): void {
  const fit = (text: string) => limit(text, g.measure, STYLE.labelLimit);
  if (side === 'left') {
    g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[0, 0], [0, extent]] });
    const labels = names.map(fit);
    names.forEach((_, i) => {
      g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[-STYLE.tick, center(i)], [0, center(i)]] });
      g.text(-STYLE.tick - 2, center(i) + middle(STYLE.label), labels[i]!, STYLE.label, { anchor: 'end' });
    });
    const widest = Math.max(0, ...labels.map((l) => g.measure(l, STYLE.label, false)));
    if (title) g.text(-STYLE.tick - 2 - widest - 4 - STYLE.axisTitle * 0.2, extent / 2, title, STYLE.axisTitle, { anchor: 'middle', vertical: true });
  } else {
    g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[0, extent], [g.x1, extent]] });
    names.forEach((name, i) => {
      g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[center(i), extent], [center(i), extent + STYLE.tick]] });
      g.text(center(i), extent + STYLE.tick + 2 + STYLE.label * 0.8, fit(name), STYLE.label, { anchor: 'middle' });
    });
    if (title) g.text(g.x1 / 2, extent + STYLE.tick + 2 + STYLE.label + 4 + STYLE.axisTitle * 0.8, title, STYLE.axisTitle, { anchor: 'middle' });
  }
}

function limit(text: string, measure: Measure, max: number): string {
  if (measure(text, STYLE.label, false) <= max) return text;
  let cut = text;
  while (cut.length > 1 && measure(`${cut}…`, STYLE.label, false) > max) cut = cut.slice(0, -1);
  return `${cut}…`;
}

const numberLabel = (v: number) => String(Math.round(v * 1000) / 1000).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function barGroup(f: BarFigure, measure: Measure, withLegend: boolean, showCategories = true): Group {
  const g = new Group(measure);
  const grouped = f.groups.length > 1;
  // Vega-Lite's band padding: a tenth of each step between categories, a fifth between upright groups.
  const padding = grouped && f.orient === 'vertical' ? 0.2 : 0.1;
  const band = grouped ? f.groups.length * f.step : f.step;
  const extent = f.orient === 'horizontal' ? band * f.categories.length : f.step * f.categories.length;
  const max = Math.max(0, ...f.values.flat().map((v) => v ?? 0));
  const domain = f.valueDomain ?? niceDomain(max);
  const horizontal = f.orient === 'horizontal';
  const categoryStep = horizontal ? band : f.step;
  const inner = categoryStep * (1 - padding);
  const slot = inner / f.groups.length;
  const thickness = grouped ? (horizontal ? slot * 0.8 : slot) : inner;
  const center = (i: number) => categoryStep * (i + 0.5);
  const pos = horizontal
    ? valueAxis(g, 'bottom', f.length, extent, domain, f.valueTitle, f.valueFormat)
    : valueAxis(g, 'left', extent, f.length, domain, f.valueTitle, f.valueFormat);
  if (showCategories || !horizontal) categoryAxis(g, horizontal ? 'left' : 'bottom', f.categories, center, horizontal ? extent : f.length, f.categoryTitle);
  else g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[0, 0], [0, extent]] });
  const legendTitle = f.legend?.title ?? 'group';
  f.categories.forEach((name, i) => {
    f.groups.forEach((group, j) => {
      const v = f.values[i]![j];
      if (v === null || v === undefined) return;
      const start = center(i) - inner / 2 + slot * j + (slot - thickness) / 2;
      const label = `${f.valueTitle}: ${numberLabel(v)}; ${f.categoryTitle ?? 'category'}: ${name}${grouped ? `; ${legendTitle}: ${group.name}` : ''}`;
      if (horizontal) g.add({ t: 'rect', x: 0, y: start, w: pos(v), h: thickness, fill: group.color, label });
      else g.add({ t: 'rect', x: start, y: pos(v), w: thickness, h: f.length - pos(v), fill: group.color, label });
    });
    const text = f.labels?.[i];
    if (text && horizontal) {
      const end = pos(f.values[i]![0] ?? 0);
      g.text(text.inside ? end - 4 : end + 4, center(i) + middle(STYLE.barLabel), text.text, STYLE.barLabel, { anchor: text.inside ? 'end' : 'start', color: text.inside ? 'white' : STYLE.text });
    }
  });
  if (withLegend && grouped && f.legend) legend(g, f.legend, f.groups, 'square', horizontal ? f.length : g.x1);
  return g;
}

function lineGroup(f: LineFigure, measure: Measure): Group {
  const g = new Group(measure);
  const all = f.series.flatMap((s) => s.segments.flat());
  const xDomain = f.xDomain ?? niceDomain(Math.max(0, ...all.map(([x]) => x)));
  const ys = [...all.map(([, y]) => y), ...(f.marks ?? []).map((m) => m.y), ...(f.rules ?? []).map((r) => r.y)];
  const yDomain = f.yDomain ?? niceDomain(Math.max(0, ...ys));
  const x = valueAxis(g, 'bottom', f.width, f.height, xDomain, f.xTitle, f.xFormat, f.xMinStep);
  const y = valueAxis(g, 'left', f.width, f.height, yDomain, f.yTitle, f.yFormat);
  const r = Math.sqrt(f.pointSize / Math.PI);
  const legendTitle = f.legend?.title ?? 'series';
  for (const s of f.series) {
    for (const segment of s.segments) {
      const points = interpolate(segment.map(([a, b]) => [x(a), y(b)] as [number, number]), f.interpolate ?? 'linear');
      if (points.length > 1) g.add({ t: 'line', points, stroke: s.color, width: 1.5 });
      if (r > 0) for (const [a, b] of segment) g.add({ t: 'dot', x: x(a), y: y(b), r, fill: s.color, label: `${f.xTitle}: ${numberLabel(a)}; ${f.yTitle}: ${numberLabel(b)}${f.series.length > 1 ? `; ${legendTitle}: ${s.name}` : ''}` });
    }
  }
  for (const rule of f.rules ?? []) g.add({ t: 'line', points: [[0, y(rule.y)], [f.width, y(rule.y)]], stroke: rule.color, width: 1, dash: [4, 3] });
  for (const m of f.marks ?? []) g.add({ t: 'dot', x: x(m.x), y: y(m.y), r: Math.sqrt(m.size / Math.PI), fill: m.color, label: `${f.xTitle}: ${numberLabel(m.x)}; ${f.yTitle}: ${numberLabel(m.y)}` });
  if (f.legend) legend(g, f.legend, f.series, f.pointSize > 0 ? 'circle' : 'stroke', f.width);
  return g;
}

function dualGroup(f: DualAxisFigure, measure: Measure): Group {
  const g = new Group(measure);
  const lo = f.xs[0] ?? 0;
  const hi = f.xs.at(-1) ?? 1;
  const scale = f.xLog && lo > 0 ? (v: number) => Math.log10(v) : (v: number) => v;
  const [a, b] = [scale(lo), scale(hi)];
  // A little room either side, so the first and last points are not on the y axes.
  const pad = a === b ? 1 : (b - a) * 0.05;
  const x = (v: number) => ((scale(v) - (a - pad)) / (b - a + 2 * pad)) * f.width;
  // The x axis: a tick at each measured level, as the levels are what was chosen.
  for (const v of f.xs) g.under({ t: 'line', stroke: STYLE.grid, width: 1, points: [[x(v), 0], [x(v), f.height]] });
  g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[0, f.height], [f.width, f.height]] });
  for (const v of f.xs) {
    g.add({ t: 'line', stroke: STYLE.axis, width: 1, points: [[x(v), f.height], [x(v), f.height + STYLE.tick]] });
    g.text(x(v), f.height + STYLE.tick + 2 + STYLE.label * 0.8, numberLabel(v), STYLE.label, { anchor: 'middle' });
  }
  g.text(f.width / 2, f.height + STYLE.tick + 2 + STYLE.label + 4 + STYLE.axisTitle * 0.8, f.xTitle, STYLE.axisTitle, { anchor: 'middle' });
  const side = (series: DualSeries, where: 'left' | 'right') => {
    const max = Math.max(0, ...series.values.filter((v): v is number => v !== null));
    const y = valueAxis(g, where, f.width, f.height, niceDomain(max), series.title, undefined, 0, series.color);
    const present = f.xs.flatMap((v, i) => { const value = series.values[i]; return value === null || value === undefined ? [] : [[v, value] as [number, number]]; });
    if (present.length > 1) g.add({ t: 'line', points: present.map(([v, value]) => [x(v), y(value)]), stroke: series.color, width: 1.5, ...(series.dashed ? { dash: [4, 3] as [number, number] } : {}) });
    for (const [v, value] of present) g.add({ t: 'dot', x: x(v), y: y(value), r: Math.sqrt(30 / Math.PI), fill: series.color, label: `${f.xTitle}: ${numberLabel(v)}; ${series.title}: ${numberLabel(value)}` });
  };
  side(f.left, 'left');
  side(f.right, 'right');
  if (f.xRule) g.add({ t: 'line', points: [[x(f.xRule.x), 0], [x(f.xRule.x), f.height]], stroke: f.xRule.color, width: 2 });
  return g;
}

function interpolate(points: [number, number][], how: 'linear' | 'step-after' | 'step-before'): [number, number][] {
  if (how === 'linear' || points.length < 2) return points;
  const out: [number, number][] = [points[0]!];
  for (let i = 1; i < points.length; i++) {
    const [px, py] = points[i - 1]!;
    const [cx, cy] = points[i]!;
    out.push(how === 'step-after' ? [cx, py] : [px, cy], [cx, cy]);
  }
  return out;
}

type Symbol = 'square' | 'circle' | 'stroke';

function legend(g: Group, spec: Legend, entries: { name: string; color: string }[], symbol: Symbol, plotRight: number): void {
  const mark = (x: number, y: number, color: string) => {
    if (symbol === 'square') g.add({ t: 'rect', x, y: y - 4.5, w: 9, h: 9, fill: color });
    else if (symbol === 'circle') g.add({ t: 'dot', x: x + 4.5, y, r: 4.5, fill: color });
    else g.add({ t: 'line', points: [[x, y], [x + 10, y]], stroke: color, width: 1.5 });
  };
  if (spec.orient === 'bottom') {
    const top = g.y1 + 18;
    let x = g.x0;
    if (spec.title) {
      g.text(x, top + middle(STYLE.legendTitle), spec.title, STYLE.legendTitle, { bold: true });
      x += g.measure(spec.title, STYLE.legendTitle, true) + 8;
    }
    for (const e of entries) {
      mark(x, top, e.color);
      g.text(x + 14, top + middle(STYLE.legendLabel), e.name, STYLE.legendLabel);
      x += 14 + g.measure(e.name, STYLE.legendLabel, false) + 10;
    }
    return;
  }
  const x = plotRight + 18;
  let y = 0;
  if (spec.title) {
    g.text(x, STYLE.legendTitle * 0.8, spec.title, STYLE.legendTitle, { bold: true });
    y = STYLE.legendTitle + 5;
  }
  for (const e of entries) {
    mark(x, y + 5, e.color);
    g.text(x + 14, y + 5 + middle(STYLE.legendLabel), e.name, STYLE.legendLabel);
    y += 12.5;
  }
}

function facetGroup(f: FacetFigure, measure: Measure): Group {
  const g = new Group(measure);
  let x = 0;
  f.panels.forEach((panel, i) => {
    const p = barGroup(panel, measure, false, i === 0);
    p.text(panel.length / 2, -8, f.headers[i]!, STYLE.axisTitle, { anchor: 'middle' });
    g.append(p, x, 0);
    x += panel.length + f.spacing + 12;
  });
  const first = f.panels[0];
  if (first) legend(g, f.legend, first.groups, 'square', g.x1);
  return g;
}

export type { FacetFigure, LineFigure, BarFigure };
