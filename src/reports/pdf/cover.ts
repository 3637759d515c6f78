/** Page 1: what was run, the verdict and the headline figures. */
import { completionText, fmtDate, fmtDuration, fmtInt, fmtMs, fmtPct, fmtPerSecond as fmtArrivals, fmtRps, workUnit } from '../format.js';
import type { RunData } from '../run-data.js';
import type { PdfSection } from './document.js';
import { COLORS, contentWidth, heading, left, paragraph } from './layout.js';

export interface Headline {
  label: string;
  value: string;
}

/** The cover's figures, as printed; tests read them back from the PDF and compare with summary.json. */
export function headlineFigures(data: RunData): Headline[] {
  const g = data.summary.global;
  return [
    { label: 'Requests', value: fmtInt(g.requests) },
    { label: 'Success rate', value: fmtPct(g.successRate) },
    { label: 'Throughput', value: fmtRps(g.rps) },
    { label: 'Errors', value: fmtInt(g.errors) },
    { label: 'Latency p50', value: fmtMs(g.latency.p50) },
    { label: 'Latency p95', value: fmtMs(g.latency.p95) },
    { label: 'Latency p99', value: fmtMs(g.latency.p99) },
    { label: 'Cache hit rate', value: fmtPct(g.cache.hitRate) },
    { label: 'Cache hit p50', value: fmtMs(g.hitLatency?.p50) },
    { label: 'Cache miss p50', value: fmtMs(g.missLatency?.p50) },
  ];
}

/**
 * Open model: the schedule against what was achieved, and response time (from when a request was due)
 * beside the service time above. Empty for a closed-model run.
 */
export function openModelFigures(data: RunData): Headline[] {
  const { load, global: g } = data.summary;
  const out: Headline[] = [];
  if (load) {
    out.push(
      { label: 'Target rate', value: fmtArrivals(load.targetRate) },
      { label: 'Achieved rate', value: fmtArrivals(load.achievedRate) },
      { label: 'Dropped arrivals', value: fmtInt(load.dropped) },
    );
  }
  if (g.responseTime) out.push({ label: 'Response p95', value: fmtMs(g.responseTime.p95) }, { label: 'Response p99', value: fmtMs(g.responseTime.p99) });
  return out;
}

export const RESPONSE_TIME_NOTE =
  'Latency is service time (sent → last byte). Response time counts from when a request was due, so a stalled server shows.';


export function verdictText(data: RunData): { text: string; color: string } {
  const t = data.summary.thresholds;
  if (!t) return { text: 'No thresholds set', color: COLORS.muted };
  const failed = t.results.filter((r) => !r.passed).length;
  return t.passed
    ? { text: `PASS: all ${t.results.length} thresholds met`, color: COLORS.pass }
    : { text: `FAIL: ${failed} of ${t.results.length} thresholds not met`, color: COLORS.fail };
}

function facts(data: RunData): [string, string][] {
  const { summary, manifest } = data;
  const personas = Object.keys(summary.personas).length;
  const locations = manifest?.locations.count ?? Object.keys(summary.locations).length;
  const iterations = manifest?.config.iterations;
  return [
    ['Run', summary.runId],
    ['Target', summary.target],
    ['Started', fmtDate(summary.startedAt)],
    ['Duration', fmtDuration(summary.durationMs)],
    summary.load
      ? ['Load', openLoadText(summary.load, personas, locations)]
      : ['Load', `${fmtInt(personas)} personas × ${fmtInt(locations)} locations${iterations ? ` × ${iterations} iteration(s)` : ''} = ${fmtInt(summary.planned)} planned ${workUnit(summary)}, concurrency ${summary.concurrency || '–'}`],
    ['Status', `${data.status}: ${completionText(summary)}`],
  ];
}

function openLoadText(load: NonNullable<RunData['summary']['load']>, personas: number, locations: number): string {
  const phases = load.phases.map((p) => (p.rampTo === undefined || p.rampTo === p.rate ? `${p.rate}/s` : `${p.rate} → ${p.rampTo}/s`)).join(', then ');
  return `open model, ${load.arrival} arrivals: ${phases} over ${fmtDuration(load.scheduledMs)}; ${fmtInt(personas)} personas × ${fmtInt(locations)} locations; at most ${fmtInt(load.maxInFlight)} journeys in flight`;
}

export const coverSection: PdfSection = {
  id: 'cover',
  newPage: false,
  render({ doc, data }) {
    const width = contentWidth(doc);
    const x = left(doc);
    doc.font('regular').fontSize(10).fillColor(COLORS.muted).text('troupe load test report', x, doc.y, { width });
    doc.font('bold').fontSize(24).fillColor(COLORS.text).text(data.summary.name, { width });
    doc.moveDown(0.6);

    for (const [label, value] of facts(data)) {
      const y = doc.y;
      doc.font('bold').fontSize(9.5).fillColor(COLORS.muted).text(label, x, y, { width: 70 });
      doc.font('regular').fillColor(COLORS.text).text(value, x + 75, y, { width: width - 75 });
      doc.moveDown(0.25);
    }
    doc.moveDown(0.8);

    const verdict = verdictText(data);
    const boxY = doc.y;
    doc.roundedRect(x, boxY, width, 34, 4).fill(verdict.color);
    doc.font('bold').fontSize(15).fillColor('white').text(verdict.text, x + 12, boxY + 9, { width: width - 24 });
    doc.y = boxY + 46;
    const failed = data.summary.thresholds?.results.filter((r) => !r.passed) ?? [];
    for (const r of failed.slice(0, 5)) paragraph(doc, `✗ ${r.expression}: ${r.message}`, { color: COLORS.fail });
    if (failed.length > 5) paragraph(doc, `… and ${failed.length - 5} more (see the thresholds table).`, { color: COLORS.fail });
    const comparison = data.comparison;
    if (comparison) {
      const against = `against the baseline ${comparison.baseline.runId ?? comparison.baseline.source}`;
      if (comparison.passed) paragraph(doc, `No regression ${against}.`, { font: 'bold', color: COLORS.pass });
      else paragraph(doc, `✗ Regression ${against}: ${comparison.regressions} tracked ${comparison.regressions === 1 ? 'metric is' : 'metrics are'} worse than the tolerance (see the comparison page).`, { font: 'bold', color: COLORS.fail });
    }

    const aborted = data.summary.abortedBy;
    // The manifest's reason repeats abortOn's message; the line below says it with the measured figures.
    const notes = aborted ? data.notes.filter((n) => !(n.startsWith('Reason:') && n.includes('abortOn'))) : data.notes;
    for (const note of notes) paragraph(doc, note, { font: 'bold', color: COLORS.fail });
    if (aborted) {
      paragraph(doc, `Stopped early at ${fmtDate(new Date(aborted.at).toISOString())} by ${aborted.message}.`, { font: 'bold', color: COLORS.fail });
    }
    doc.moveDown(0.4);
    const open = openModelFigures(data);
    drawTiles(doc, [...headlineFigures(data), ...open]);
    if (open.length > 0) paragraph(doc, RESPONSE_TIME_NOTE, { size: 8.5, color: COLORS.muted });
    const lines = highlights(data);
    if (lines.length > 0) {
      heading(doc, 'Highlights', 13);
      for (const line of lines) paragraph(doc, `•  ${line}`);
    }
  },
};

/** A few sentences a reader takes away without opening the charts. */
export function highlights(data: RunData): string[] {
  const { summary, facts } = data;
  const out: string[] = [];
  const personas = Object.entries(summary.personas).filter(([, s]) => s.requests > 0);
  if (personas.length > 1) {
    const [slow, s] = personas.reduce((a, b) => ((b[1].latency.p95 ?? 0) > (a[1].latency.p95 ?? 0) ? b : a));
    out.push(`Slowest persona by p95: ${slow}, p95 ${fmtMs(s.latency.p95)} (all personas: ${fmtMs(summary.global.latency.p95)}).`);
    const rated = personas.filter(([, p]) => p.cache.hitRate !== null);
    if (rated.length > 1) {
      const [cold, c] = rated.reduce((a, b) => (b[1].cache.hitRate! < a[1].cache.hitRate! ? b : a));
      out.push(`Lowest cache hit rate: ${cold}, ${fmtPct(c.cache.hitRate)} (${fmtInt(c.cache.hit)} hits, ${fmtInt(c.cache.miss)} misses).`);
    }
  }
  const g = summary.global;
  const other = g.cache.stale + g.cache.bypass + g.cache.unknown;
  if (other > 0) out.push(`${fmtInt(other)} responses had no hit/miss status (stale ${g.cache.stale}, bypass ${g.cache.bypass}, unknown ${g.cache.unknown}); they are not in the hit rate.`);
  if (summary.serverCache) {
    const sc = summary.serverCache;
    out.push(`The target's own count (${sc.source}): ${fmtInt(sc.hits)} hits, ${fmtInt(sc.misses)} misses, hit rate ${fmtPct(sc.hitRate)}.`);
  }
  if (summary.load && summary.load.dropped > 0) {
    out.push(`${fmtInt(summary.load.dropped)} of ${fmtInt(summary.load.arrivals)} arrivals were dropped: ${fmtInt(summary.load.maxInFlight)} journeys were already in flight.`);
  }
  if (summary.checks) {
    let passed = 0;
    let failed = 0;
    for (const c of Object.values(summary.checks.personas)) (passed += c.passed), (failed += c.failed);
    out.push(failed === 0 ? `All ${fmtInt(passed)} journey checks passed.` : `${fmtInt(failed)} of ${fmtInt(passed + failed)} journey checks failed (see Checks).`);
  }
  if (summary.harnessCache) {
    out.push(`troupe's own cache (cache.dedupe) answered ${fmtInt(summary.harnessCache.hits)} requests; they are not in the target's figures.`);
  }
  if (summary.retries) out.push(`${fmtInt(summary.retries.requests)} retried attempts (${fmtInt(summary.retries.ok)} succeeded) are reported apart.`);
  const top = facts.errors[0];
  if (top) {
    out.push(`Most frequent error: ${top.code}${top.status === null ? '' : ` (HTTP ${top.status})`}, ${fmtInt(top.count)} of ${fmtInt(g.errors)} errors.`);
  } else if (g.requests > 0) out.push('No request failed.');
  return out;
}

function drawTiles(doc: PDFKit.PDFDocument, tiles: Headline[]): void {
  const perRow = 5;
  const gap = 8;
  const width = (contentWidth(doc) - gap * (perRow - 1)) / perRow;
  const height = 52;
  const x0 = left(doc);
  const y0 = doc.y;
  tiles.forEach((tile, i) => {
    const x = x0 + (i % perRow) * (width + gap);
    const y = y0 + Math.floor(i / perRow) * (height + gap);
    doc.roundedRect(x, y, width, height, 3).fill(COLORS.zebra);
    doc.font('regular').fontSize(8).fillColor(COLORS.muted).text(tile.label, x + 7, y + 8, { width: width - 14, lineBreak: false });
    let size = 13;
    doc.font('bold').fontSize(size);
    while (size > 7 && doc.widthOfString(tile.value) > width - 14) doc.fontSize((size -= 0.5));
    doc.fillColor(COLORS.text).text(tile.value, x + 7, y + 24, { width: width - 14, lineBreak: false });
  });
  doc.x = x0;
  doc.y = y0 + Math.ceil(tiles.length / perRow) * (height + gap) + 6;
}
