/**
 * report.html: one self-contained page — styles, script, charts (inline SVG) and table data inline —
 * that opens from disk or a CI artifact and makes no network request of any kind. Pure: data in, text out.
 */
import { closedLoadText, completionText, fmtDate, fmtDuration, openLoadText } from '../format.js';
import { generatorWarning, headlineFigures, highlights, methodNotes, openModelFigures, RESPONSE_TIME_NOTE, vuFigures, verdict } from '../content.js';
import type { RunData } from '../run-data.js';
import type { Chart } from './charts.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './assets.js';
import type { TableData } from './tables.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

function facts(data: RunData): [string, string][] {
  const { summary, manifest } = data;
  const personas = Object.keys(summary.personas).length;
  const locations = manifest?.locations.count ?? Object.keys(summary.locations).length;
  return [
    ['Run', summary.runId],
    ['Target', summary.target],
    ['Started', fmtDate(summary.startedAt)],
    ['Duration', fmtDuration(summary.durationMs)],
    ['Load', summary.load ? openLoadText(summary.load, personas, locations) : closedLoadText(summary, personas, locations, manifest?.config.iterations)],
    ['Status', `${data.status}: ${completionText(summary)}`],
  ];
}

function verdictBlock(data: RunData): string {
  const v = verdict(data);
  const state = v.passed === null ? 'none' : v.passed ? 'pass' : 'fail';
  const failed = (data.summary.thresholds?.results ?? []).filter((r) => !r.passed);
  const comparison = data.comparison;
  const lines = failed.map((r) => `<li>✗ ${esc(r.expression)}: ${esc(r.message)}</li>`);
  if (comparison) {
    const against = `against the baseline ${comparison.baseline.runId ?? comparison.baseline.source}`;
    lines.push(comparison.passed ? `<li class="ok">No regression ${esc(against)}.</li>` : `<li>✗ Regression ${esc(against)}: ${comparison.regressions} tracked metric(s) worse than the tolerance.</li>`);
  }
  return `<div id="verdict" class="verdict ${state}" data-state="${state}">${esc(v.text)}</div>${lines.length ? `<ul class="verdict-lines">${lines.join('')}</ul>` : ''}`;
}

function notesBlock(data: RunData): string {
  const notes = [...data.notes];
  if (data.summary.abortedBy) notes.push(`Stopped early by ${data.summary.abortedBy.message}.`);
  const saturated = generatorWarning(data);
  if (saturated) notes.push(saturated);
  if (notes.length === 0) return '';
  return `<div id="partial" class="banner" data-status="${esc(data.status)}">${notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>`;
}

function tilesBlock(data: RunData): string {
  const open = openModelFigures(data);
  const tiles = [...headlineFigures(data), ...open, ...vuFigures(data)]
    .map((t) => `<div class="tile" data-label="${esc(t.label)}"><div class="label">${esc(t.label)}</div><div class="value">${esc(t.value)}</div></div>`)
    .join('');
  return `<section class="tiles" id="tiles">${tiles}</section>${open.length ? `<p class="muted">${esc(RESPONSE_TIME_NOTE)}</p>` : ''}`;
}

function chartBlock(chart: Chart): string {
  if (chart.svg === null && chart.empty === '') return '';
  return `<figure class="chart" id="chart-${esc(chart.id)}">${chart.svg ?? `<p class="muted">${esc(chart.empty)}</p>`}</figure>`;
}

function tableBlock(table: TableData): string {
  const head = table.columns.map((c, i) => `<th data-col="${i}" data-numeric="${c.numeric}" tabindex="0" aria-sort="none">${esc(c.label)}</th>`).join('');
  const row = (cells: TableData['rows'][number]) => `<tr>${cells.map((cell, i) => `<td${table.columns[i]?.numeric ? ' class="num"' : ''}>${esc(cell.t)}</td>`).join('')}</tr>`;
  const title = `<h2>${esc(table.title)}</h2>${table.note ? `<p class="muted">${esc(table.note)}</p>` : ''}`;
  if (table.rows.length === 0 && table.empty) return `<section class="table-block" id="table-${esc(table.id)}-empty">${title}<p class="muted">${esc(table.empty)}</p></section>`;
  const foot = table.footer ? `<tfoot>${row(table.footer)}</tfoot>` : '';
  return `<section class="table-block">${title}
<input class="filter" type="search" placeholder="Filter ${esc(table.title.toLowerCase())}…" data-table="${esc(table.id)}" aria-label="Filter ${esc(table.title)}">
<table id="table-${esc(table.id)}" data-table="${esc(table.id)}"><thead><tr>${head}</tr></thead><tbody>${table.rows.map(row).join('')}</tbody>${foot}</table></section>`;
}

export function renderHtml(data: RunData, charts: Chart[], tables: TableData[]): string {
  const { summary } = data;
  // Sort values travel beside the rendered rows, so sorting needs no parsing of formatted numbers.
  const sortData = Object.fromEntries(tables.map((t) => [t.id, t.rows.map((row) => row.map((c) => c.v))]));
  const highlightLines = highlights(data);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(summary.name)} — troupe report</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<p class="muted">troupe load test report</p>
<h1>${esc(summary.name)}</h1>
<dl class="facts">${facts(data).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
</header>
<main>
${notesBlock(data)}
${verdictBlock(data)}
${tilesBlock(data)}
${highlightLines.length ? `<section><h2>Highlights</h2><ul>${highlightLines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>` : ''}
<section><h2>Charts</h2><div class="charts">${charts.map(chartBlock).join('\n')}</div></section>
${tables.map(tableBlock).join('\n')}
<section id="method"><h2>How this was measured</h2>${methodNotes(data).map((l) => `<p>${esc(l)}</p>`).join('')}</section>
</main>
<footer class="muted">troupe ${esc(summary.troupe)} · ${esc(summary.runId)}</footer>
<script type="application/json" id="sort-data">${scriptJson(sortData)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
