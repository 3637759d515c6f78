/** The HTML report's inline style and script: no framework, no font files, nothing fetched. */

export const PAGE_STYLE = `
:root { --text: #1f2933; --muted: #616e7c; --rule: #cbd2d9; --zebra: #f5f7fa; --header: #e4e7eb; --pass: #1e7f4f; --fail: #c0392b; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--text); background: #fff; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { margin: 0 0 12px; font-size: 28px; }
h2 { margin: 28px 0 8px; font-size: 18px; }
.muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 16px; }
.facts dt { font-weight: 600; color: var(--muted); }
.facts dd { margin: 0; }
.verdict { padding: 10px 14px; border-radius: 4px; color: #fff; font-weight: 700; font-size: 17px; background: var(--muted); }
.verdict.pass { background: var(--pass); }
.verdict.fail { background: var(--fail); }
.verdict-lines { color: var(--fail); margin: 8px 0; }
.verdict-lines .ok { color: var(--pass); }
.banner { border: 2px solid var(--fail); color: var(--fail); font-weight: 600; padding: 6px 12px; border-radius: 4px; margin: 0 0 12px; }
.banner p { margin: 4px 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 14px 0; }
.tile { background: var(--zebra); border-radius: 3px; padding: 8px 10px; }
.tile .label { font-size: 12px; color: var(--muted); }
.tile .value { font-size: 18px; font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.chart { margin: 0; overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--header); cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
tfoot td { font-weight: 700; border-top: 2px solid var(--rule); }
tr[hidden] { display: none; }
.filter { margin: 0 0 6px; padding: 4px 8px; width: 280px; max-width: 100%; border: 1px solid var(--rule); border-radius: 3px; }
footer { padding: 24px; font-size: 12px; }
#tooltip { position: fixed; pointer-events: none; background: rgba(31, 41, 51, 0.92); color: #fff; font-size: 12px; padding: 4px 8px; border-radius: 3px; max-width: 360px; display: none; z-index: 10; }
.chart path[aria-label]:hover { opacity: 0.75; }
`;

/** Sort on a header click (numbers descending first, text ascending), filter on input. Nulls sort last. */
export const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('sort-data').textContent);
  document.querySelectorAll('table[data-table]').forEach(function (table) {
    var id = table.getAttribute('data-table');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (tr, i) { tr.setAttribute('data-i', String(i)); });
    table.querySelectorAll('th').forEach(function (th) {
      function sort() {
        var col = Number(th.getAttribute('data-col'));
        var numeric = th.getAttribute('data-numeric') === 'true';
        var current = th.getAttribute('aria-sort');
        var dir = current === 'none' ? (numeric ? 'descending' : 'ascending') : current === 'ascending' ? 'descending' : 'ascending';
        table.querySelectorAll('th').forEach(function (other) { other.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', dir);
        var sign = dir === 'ascending' ? 1 : -1;
        var values = data[id];
        var sorted = rows.slice().sort(function (a, b) {
          var x = values[Number(a.getAttribute('data-i'))][col];
          var y = values[Number(b.getAttribute('data-i'))][col];
          if (x === null && y === null) return 0;
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : x > y ? 1 : 0) * sign;
        });
        sorted.forEach(function (tr) { body.appendChild(tr); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
  // Chart tooltips: each mark carries its values as its aria-label (charts/svg.ts); show that label next to the pointer.
  var tip = document.createElement('div');
  tip.id = 'tooltip';
  document.body.appendChild(tip);
  document.querySelectorAll('.chart svg').forEach(function (svg) {
    svg.addEventListener('mousemove', function (e) {
      // Data marks are paths (bars, lines, points); axes and legends are groups with labels of their own.
      var mark = e.target.closest ? e.target.closest('path[aria-label]') : null;
      if (!mark) { tip.style.display = 'none'; return; }
      tip.textContent = mark.getAttribute('aria-label');
      tip.style.left = (e.clientX + 12) + 'px';
      tip.style.top = (e.clientY + 12) + 'px';
      tip.style.display = 'block';
    });
    svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  });
  document.querySelectorAll('input.filter').forEach(function (input) {
    input.addEventListener('input', function () {
      var needle = input.value.trim().toLowerCase();
      var table = document.querySelector('table[data-table="' + input.getAttribute('data-table') + '"]');
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        tr.hidden = needle !== '' && tr.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  });
})();
`;
