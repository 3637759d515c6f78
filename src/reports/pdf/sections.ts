/** The PDF's sections after the cover: charts, tables and how the figures were measured. */
import type { ScopeSummary } from '../../metrics/aggregate.js';
import { activeVusSpec } from './vu-chart.js';
import { methodNotes, stepRows } from '../content.js';
import { fmtDate, fmtInt, fmtMs, fmtPct, fmtRps } from '../format.js';
import { errorBreakdownSpec, hitRatePerPersonaSpec, hitVsMissSpec, latencyOverTimeSpec, latencyPerPersonaSpec, type Spec } from './charts.js';
import type { PdfSection, SectionContext } from './document.js';
import { drawScene, figureScene } from './draw-scene.js';
import { COLORS, contentWidth, ensureSpace, heading, left, paragraph, table } from './layout.js';

/** Tables list at most this many rows; the CSVs have all of them. */
export const TABLE_MAX_PERSONAS = 100;
export const TABLE_MAX_LOCATIONS = 25;
export const TABLE_MAX_ERRORS = 20;
const MIN_SECONDS_FOR_TIME_CHART = 3;

/** Draws a figure straight onto the page (no SVG in between), whole on one page; `empty` when there is none. */
export function chart(ctx: Pick<SectionContext, 'doc'>, spec: Spec | null, empty: string): void {
  const { doc } = ctx;
  if (spec === null) {
    paragraph(doc, empty, { color: COLORS.muted });
    return;
  }
  const scene = figureScene(doc, spec);
  const scale = Math.min(1, contentWidth(doc) / scene.width);
  ensureSpace(doc, scene.height * scale + 12);
  const y = doc.y;
  drawScene(doc, scene, left(doc), y, scale);
  doc.x = left(doc);
  doc.y = y + scene.height * scale + 16;
}

export const chartsSection: PdfSection = {
  id: 'charts',
  // Flows on from the cover: each chart keeps itself whole (chart() ensures space), so pages fill up.
  newPage: false,
  async render(ctx) {
    const { doc, data } = ctx;
    heading(doc, 'Charts');
    chart(ctx, data.summary.global.requests > 0 ? latencyPerPersonaSpec(data.summary) : null, 'No requests completed.');
    const seconds = data.facts.timeseries.length;
    chart(
      ctx,
      seconds >= MIN_SECONDS_FOR_TIME_CHART ? latencyOverTimeSpec(data.facts.timeseries) : null,
      `Latency over time: the run spans ${seconds} second(s), too short to draw over time; the per-second figures are in csv/timeseries.csv.`,
    );
    const vus = activeVusSpec(data.summary);
    if (vus) chart(ctx, vus, '');
    const g = data.summary.global.cache;
    chart(ctx, g.hit + g.miss > 0 ? hitRatePerPersonaSpec(data.summary) : null, 'No response carried a recognisable cache status, so there is no hit rate to chart.');
    chart(ctx, hitVsMissSpec(data.summary), 'Hit vs miss latency needs both cache hits and misses; this run had ' + `${g.hit} hits and ${g.miss} misses.`);
    // No errors, no chart and no note here: the Errors section says so under its own heading (the note
    // stood alone under the hit vs miss chart, and said it twice).
    const errors = errorBreakdownSpec(data.facts.errors);
    if (errors) chart(ctx, errors, '');
  },
};

const topNote = (shown: number, total: number, what: string, file: string) =>
  shown < total ? `${shown} of ${fmtInt(total)} ${what} shown; all are in ${file}.` : '';

export const tablesSection: PdfSection = {
  id: 'tables',
  // Flows on: headings keep their table with them (heading() ensures space), so no page is left near-empty.
  newPage: false,
  render({ doc, data }) {
    const { summary, facts } = data;

    heading(doc, 'Personas');
    const personas = Object.entries(summary.personas).sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1));
    const shownPersonas = personas.length > TABLE_MAX_PERSONAS ? personas.slice(0, TABLE_MAX_PERSONAS) : Object.entries(summary.personas);
    const personaNote = topNote(shownPersonas.length, personas.length, 'personas (most requests first)', 'csv/personas.csv');
    if (personaNote) paragraph(doc, personaNote, { color: COLORS.muted });
    table(
      doc,
      [
        { header: 'Persona', width: 3.2 },
        { header: 'Requests', width: 1.1, align: 'right' },
        { header: 'Success', width: 1, align: 'right' },
        { header: 'Throughput', width: 1.3, align: 'right' },
        { header: 'p50', width: 1.1, align: 'right' },
        { header: 'p95', width: 1.1, align: 'right' },
        { header: 'p99', width: 1.1, align: 'right' },
        { header: 'Hit rate', width: 1, align: 'right' },
      ],
      [...shownPersonas, ['All personas', summary.global] as const].map(([name, s]) => [
        name, fmtInt(s.requests), fmtPct(s.successRate), fmtRps(s.rps), fmtMs(s.latency.p50), fmtMs(s.latency.p95), fmtMs(s.latency.p99), fmtPct(s.cache.hitRate),
      ]),
    );

    const perStep = facts.stepLocations;
    if (perStep) {
      // A journey's steps are different requests: a location is ranked within each step, never across them.
      heading(doc, 'Slowest locations by step');
      const rows = perStep.rows.slice(0, TABLE_MAX_LOCATIONS);
      const capped = perStep.capped ? ` Only the first ${fmtInt(perStep.pairs)} step × location pairs seen are ranked.` : '';
      const shown = rows.length < perStep.pairs ? ` ${rows.length} of ${fmtInt(perStep.pairs)} pairs shown.` : '';
      paragraph(doc, `Step × location pairs by p95 latency: a location is ranked within each step.${shown}${capped}`, { color: COLORS.muted });
      table(
        doc,
        [
          { header: 'Step', width: 1.6 },
          { header: 'Location', width: 2.2 },
          { header: 'Requests', width: 1, align: 'right' },
          { header: 'Errors', width: 0.9, align: 'right' },
          { header: 'p50', width: 1, align: 'right' },
          { header: 'p95', width: 1, align: 'right' },
          { header: 'p99', width: 1, align: 'right' },
          { header: 'Hit rate', width: 0.9, align: 'right' },
        ],
        rows.map((r) => [r.step, r.location, fmtInt(r.requests), fmtInt(r.errors), fmtMs(r.p50), fmtMs(r.p95), fmtMs(r.p99), fmtPct(r.hitRate)]),
      );
    } else {
      heading(doc, 'Slowest locations');
      const locations = Object.entries(summary.locations).sort((a, b) => (b[1].latency.p95 ?? 0) - (a[1].latency.p95 ?? 0));
      const shownLocations = locations.slice(0, TABLE_MAX_LOCATIONS);
      paragraph(doc, `By p95 latency. ${topNote(shownLocations.length, locations.length, 'locations', 'csv/locations.csv')}`.trim(), { color: COLORS.muted });
      scopeTable(doc, 'Location', shownLocations);
    }

    const steps = stepRows(summary);
    if (steps.length > 0) {
      heading(doc, 'Journey steps');
      scopeTable(doc, 'Step', steps);
    }

    heading(doc, 'Errors');
    if (facts.errors.length === 0) paragraph(doc, 'No errors: every request succeeded.', { color: COLORS.muted });
    else {
      const totalErrors = facts.errors.reduce((n, e) => n + e.count, 0);
      const note = topNote(Math.min(TABLE_MAX_ERRORS, facts.errors.length), facts.errors.length, 'kinds of error', 'csv/errors.csv');
      if (note) paragraph(doc, note, { color: COLORS.muted });
      table(
        doc,
        [
          { header: 'Code', width: 1.5 },
          { header: 'HTTP', width: 0.6, align: 'right' },
          { header: 'Count', width: 0.9, align: 'right' },
          { header: 'Share', width: 0.8, align: 'right' },
          { header: 'First seen', width: 1.6 },
          { header: 'Example message', width: 4 },
        ],
        facts.errors.slice(0, TABLE_MAX_ERRORS).map((e) => [
          e.code, e.status === null ? '–' : String(e.status), fmtInt(e.count), fmtPct(e.count / totalErrors), fmtDate(new Date(e.firstSeen).toISOString()), e.example || '–',
        ]),
      );
    }

    const thresholds = summary.thresholds;
    if (thresholds) {
      heading(doc, 'Thresholds');
      table(
        doc,
        [
          { header: 'Threshold', width: 3 },
          { header: 'Result', width: 1 },
          { header: 'Measured', width: 4 },
        ],
        thresholds.results.map((r) => [r.expression, r.passed ? 'pass' : 'FAIL', r.message]),
      );
    }
  },
};

/** Locations or steps: requests, errors, the percentiles and the hit rate, one row per scope. */
function scopeTable(doc: PDFKit.PDFDocument, first: string, rows: [string, ScopeSummary][]): void {
  table(
    doc,
    [
      { header: first, width: 3.2 },
      { header: 'Requests', width: 1.1, align: 'right' },
      { header: 'Errors', width: 1, align: 'right' },
      { header: 'p50', width: 1.1, align: 'right' },
      { header: 'p95', width: 1.1, align: 'right' },
      { header: 'p99', width: 1.1, align: 'right' },
      { header: 'Hit rate', width: 1, align: 'right' },
    ],
    rows.map(([name, s]) => [name, fmtInt(s.requests), fmtInt(s.errors), fmtMs(s.latency.p50), fmtMs(s.latency.p95), fmtMs(s.latency.p99), fmtPct(s.cache.hitRate)]),
  );
}

export const methodSection: PdfSection = {
  id: 'method',
  newPage: false,
  render({ doc, data }) {
    doc.moveDown(0.5);
    const lines = methodNotes(data);
    // Heading and text stay on one page: a short last paragraph alone on a page reads as a mistake.
    doc.font('regular').fontSize(9);
    const height = lines.reduce((h, line) => h + doc.heightOfString(line, { width: contentWidth(doc), lineGap: 1.5 }) + 8, 60);
    ensureSpace(doc, Math.max(180, height));
    heading(doc, 'How this was measured', 13);
    for (const line of lines) paragraph(doc, line, { size: 9 });
  },
};
