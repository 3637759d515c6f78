/** A scene (scene.ts) as an SVG document; every bar and dot names its values (aria-label) for the HTML report's tooltips. */
import { layoutFigure, type Item, type Measure, type Scene } from './scene.js';
import type { Figure } from './figure.js';

/** DejaVu Sans's advance widths, roughly, in ems: enough to give labels their room where no font is embedded. */
export const estimateWidth: Measure = (text, size, bold) => {
  let em = 0;
  for (const ch of text) em += ch === ' ' ? 0.32 : /[0-9]/.test(ch) ? 0.64 : /[A-Z]/.test(ch) ? 0.7 : /[.,:;'|!il()]/.test(ch) ? 0.34 : 0.6;
  return em * size * (bold ? 1.1 : 1);
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => String(Math.round(v * 100) / 100);

export function figureToSvg(figure: Figure, font: string): string {
  return sceneToSvg(layoutFigure(figure, estimateWidth), font);
}

export function sceneToSvg(scene: Scene, font: string): string {
  const body = scene.items.map(item).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="${esc(font)}"><rect width="${scene.width}" height="${scene.height}" fill="white"/>${body}</svg>`;
}

function item(i: Item): string {
  const aria = (label?: string) => (label ? ` role="graphics-symbol" aria-label="${esc(label)}"` : '');
  if (i.t === 'rect') return `<path d="M${n(i.x)},${n(i.y)}h${n(i.w)}v${n(i.h)}h${n(-i.w)}Z" fill="${i.fill}"${aria(i.label)}/>`;
  if (i.t === 'dot') return `<path d="M${n(i.x - i.r)},${n(i.y)}a${n(i.r)},${n(i.r)} 0 1,0 ${n(2 * i.r)},0a${n(i.r)},${n(i.r)} 0 1,0 ${n(-2 * i.r)},0" fill="${i.fill}"${aria(i.label)}/>`;
  if (i.t === 'line') return `<path d="M${i.points.map(([x, y]) => `${n(x)},${n(y)}`).join('L')}" fill="none" stroke="${i.stroke}" stroke-width="${i.width}"${i.dash ? ` stroke-dasharray="${i.dash.join(',')}"` : ''}/>`;
  const anchor = i.anchor === 'start' ? '' : ` text-anchor="${i.anchor}"`;
  const turn = i.vertical ? ` transform="rotate(-90 ${n(i.x)} ${n(i.y)})"` : '';
  return `<text x="${n(i.x)}" y="${n(i.y)}" font-size="${i.size}"${i.bold ? ' font-weight="bold"' : ''} fill="${i.color}"${anchor}${turn}>${esc(i.text)}</text>`;
}
