/** trend.html: the trend page for a browser or a CI artifact — self-contained like report.html. */
import { PAGE_SCRIPT, PAGE_STYLE } from './html/assets.js';
import { esc } from './html/page.js';
import { fmtMs, fmtPct, fmtRps } from './format.js';
import { figureToSvg } from './charts/svg.js';
import { describeRegression, type TrendOptions, type TrendPoint } from './trend.js';
import { trendFigure } from './trend-pdf.js';

export function renderTrendHtml(points: readonly TrendPoint[], options: TrendOptions): string {
  const last = points.at(-1)!;
  const marked = points.filter((p) => p.regressions.length > 0);
  const svg = figureToSvg(trendFigure(points), 'system-ui, sans-serif');
  const rows = points.map((p) => [
    p.runId, String(p.requests), fmtMs(p.values.p50), fmtMs(p.values.p95), fmtMs(p.values.p99), fmtPct(p.values.error_rate), fmtPct(p.values.cache_hit_rate), fmtRps(p.values.rps),
    p.regressions.length ? `REGRESSED: ${p.regressions.map((r) => r.metric).join(', ')}` : p.judged ? 'ok' : 'not judged',
  ]);
  const head = ['Run', 'Requests', 'p50', 'p95', 'p99', 'Errors', 'Hit rate', 'Throughput', 'Verdict'];
  const sortData = { runs: points.map((p, i) => [p.runId, p.requests, p.values.p50, p.values.p95, p.values.p99, p.values.error_rate, p.values.cache_hit_rate, p.values.rps, rows[i]![8]!]) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Trend: ${esc(last.name || last.runId)} — troupe</title><style>${PAGE_STYLE}</style></head>
<body><header><p class="muted">troupe trend</p><h1>${esc(`${points.length} runs of ${last.name || 'a test'}`)}</h1>
<p class="muted">Each run against the median of up to ${options.window} runs before it: latency and throughput ${Math.round(options.maxRegression * 100)}% worse, errors ${((options.ratePoints.error_rate ?? 0) * 100).toFixed(1)} points higher, cache hit rate ${((options.ratePoints.cache_hit_rate ?? 0) * 100).toFixed(1)} points lower.</p></header>
<main>
<div id="verdict" class="verdict ${marked.length ? 'fail' : 'pass'}" data-state="${marked.length ? 'fail' : 'pass'}">${marked.length ? `${marked.length} run(s) regressed` : 'No run regressed against its recent past'}</div>
${marked.length ? `<ul class="verdict-lines">${marked.map((p) => `<li>✗ ${esc(describeRegression(p))}</li>`).join('')}</ul>` : ''}
<figure class="chart" id="chart-trend">${svg}</figure>
<section class="table-block"><h2>Runs</h2><input class="filter" type="search" placeholder="Filter runs…" data-table="runs" aria-label="Filter runs">
<table id="table-runs" data-table="runs"><thead><tr>${head.map((h, i) => `<th data-col="${i}" data-numeric="${i > 0 && i < 8}" tabindex="0" aria-sort="none">${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${i > 0 && i < 8 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></section>
</main>
<script type="application/json" id="sort-data">${JSON.stringify(sortData).replace(/</g, '\\u003c')}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
