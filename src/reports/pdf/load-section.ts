/**
 * The PDF's section for open-model, journey and cache-analytics runs: service vs response time and the
 * schedule, the journeys' checks, and the cache (the target's counters, troupe's own cache, warm-up).
 * Each part shows only when summary.json has it; a run with none of them gets no page.
 */
import type { CheckCounts } from '../../metrics/journey-metrics.js';
import type { RunSummary } from '../../run-dir/types.js';
import { checkRows, checkTotals } from '../content.js';
import { fmtInt, fmtMs, fmtPct, fmtPerSecond as rate } from '../format.js';
import type { PdfSection } from './document.js';
import { COLORS, ensureSpace, heading, paragraph, table } from './layout.js';
import { serviceVsResponseSpec, warmupOverTimeSpec } from './load-charts.js';
import { chart } from './sections.js';

export const TABLE_MAX_CHECKS = 30;

const passRate = (c: CheckCounts) => (c.passed + c.failed === 0 ? null : c.passed / (c.passed + c.failed));

/** The cache section's sentences: the target's hit rate, its own counters, and troupe's cache, each apart. */
export function cacheLines(summary: RunSummary): string[] {
  const out: string[] = [];
  const c = summary.global.cache;
  out.push(`Target cache, from response headers: ${fmtInt(c.hit)} hits, ${fmtInt(c.miss)} misses, hit rate ${fmtPct(c.hitRate)}.`);
  const sc = summary.serverCache;
  if (sc) {
    if (sc.error) out.push(`Target cache, its own counters (${sc.source}): not read: ${sc.error}.`);
    else {
      const diff = sc.difference === null || sc.difference === undefined ? '' : `; difference ${sc.difference >= 0 ? '+' : ''}${(sc.difference * 100).toFixed(1)} points`;
      const observed = sc.observedHitRate === undefined ? '' : ` (observed from headers, retries included: ${fmtPct(sc.observedHitRate)}${diff})`;
      const raw = sc.before && sc.after ? ` Counters before: ${fmtInt(sc.before.hits)} hits / ${fmtInt(sc.before.misses)} misses; after: ${fmtInt(sc.after.hits)} / ${fmtInt(sc.after.misses)}.` : '';
      out.push(`Target cache, its own counters (${sc.source}): ${fmtInt(sc.hits)} hits, ${fmtInt(sc.misses)} misses during the run, hit rate ${fmtPct(sc.hitRate)}${observed}.${raw}`);
    }
  }
  const h = summary.harnessCache;
  if (h) {
    out.push(
      `Harness cache (cache.dedupe, troupe's own): ${fmtInt(h.hits)} requests answered by troupe instead of the target (${fmtInt(h.reused)} reused, ${fmtInt(h.coalesced)} coalesced). They are in no figure of the target: not in its requests, latency or hit rate.`,
    );
  }
  const r = summary.retries;
  if (r) out.push(`Retries: ${fmtInt(r.requests)} retried attempts (${fmtInt(r.ok)} succeeded), reported apart from first attempts; their cache statuses are not in the hit rate above.`);
  return out;
}

export const loadSection: PdfSection = {
  id: 'load',
  newPage: false,
  async render(ctx) {
    const { doc, data } = ctx;
    const { summary } = data;
    const response = serviceVsResponseSpec(summary);
    const hasCache = Boolean(summary.warmup || summary.harnessCache || summary.serverCache || summary.retries);
    if (!summary.load && !response && !summary.checks && !hasCache) return;
    // Flows on from the charts: a page of its own was mostly blank for a run with only cache figures.
    ensureSpace(doc, 160);

    if (summary.load || response) {
      heading(doc, 'Open model');
      const load = summary.load;
      if (load) {
        paragraph(
          doc,
          `${load.arrival} arrivals over ${load.phases.length} phase(s): target ${rate(load.targetRate)}, achieved ${rate(load.achievedRate)}; ${fmtInt(load.started)} of ${fmtInt(load.arrivals)} arrivals started (${fmtInt(load.expectedArrivals)} expected), ${fmtInt(load.dropped)} dropped at maxInFlight ${fmtInt(load.maxInFlight)}; at most ${fmtInt(load.peakInFlight)} journeys in flight.`,
        );
        const phases = data.facts.arrivals?.phases ?? [];
        if (phases.length > 0) {
          table(
            doc,
            [
              { header: 'Phase', width: 0.8 },
              { header: 'Duration', width: 1.1, align: 'right' },
              { header: 'Target rate', width: 1.8, align: 'right' },
              { header: 'Expected', width: 1.1, align: 'right' },
              { header: 'Started', width: 1.1, align: 'right' },
              { header: 'Achieved', width: 1.2, align: 'right' },
            ],
            phases.map((p) => [
              String(p.phase), `${(p.durationMs / 1000).toFixed(1)} s`, p.rampTo === p.rate ? rate(p.rate) : `${rate(p.rate)} → ${rate(p.rampTo)}`,
              fmtInt(Math.round(p.expected)), fmtInt(p.started), rate(p.achievedRate),
            ]),
          );
          paragraph(doc, 'Arrivals per phase are counted from results.ndjson, from the first arrival; dropped arrivals are counted for the run and per persona only.', { size: 8, color: COLORS.muted });
        }
        const dropped = Object.entries(load.droppedByPersona).filter(([, n]) => n > 0);
        if (dropped.length > 0) paragraph(doc, `Dropped per persona: ${dropped.map(([p, n]) => `${p} ${fmtInt(n)}`).join(', ')}.`, { color: COLORS.fail });
      }
      const g = summary.global;
      if (g.responseTime) {
        paragraph(
          doc,
          `All requests: service time p95 ${fmtMs(g.latency.p95)}, p99 ${fmtMs(g.latency.p99)}; response time p95 ${fmtMs(g.responseTime.p95)}, p99 ${fmtMs(g.responseTime.p99)}. Response time counts from when a request was due, so a stalled server shows; service time counts from when it was sent.`,
        );
      }
      chart(ctx, response, 'No persona has response times.');
    }

    if (summary.checks) {
      heading(doc, 'Checks');
      const rows = checkRows(summary);
      const totals = checkTotals(summary)!;
      paragraph(doc, `${fmtInt(totals.passed)} checks passed, ${fmtInt(totals.failed)} failed (${fmtPct(totals.passRate)} passed), worst first.${rows.length > TABLE_MAX_CHECKS ? ` ${TABLE_MAX_CHECKS} of ${fmtInt(rows.length)} shown; all are in csv/checks.csv.` : ''}`, { color: COLORS.muted });
      table(
        doc,
        [
          { header: 'Step', width: 1.3 },
          { header: 'Check', width: 3 },
          { header: 'Passed', width: 0.8, align: 'right' },
          { header: 'Failed', width: 0.8, align: 'right' },
          { header: 'Pass rate', width: 0.9, align: 'right' },
          { header: 'First failure', width: 2.6 },
        ],
        rows.slice(0, TABLE_MAX_CHECKS).map((r) => [r.step, r.check, fmtInt(r.passed), fmtInt(r.failed), fmtPct(r.passRate), r.firstFailure ?? '–']),
      );
      const personas = Object.entries(summary.checks.personas).sort((a, b) => (passRate(a[1]) ?? 1) - (passRate(b[1]) ?? 1) || (a[0] < b[0] ? -1 : 1));
      if (personas.length > 1) {
        paragraph(doc, `Per persona: ${personas.slice(0, 20).map(([p, c]) => `${p} ${fmtPct(passRate(c))} (${fmtInt(c.failed)} failed)`).join('; ')}.`, { size: 8.5 });
      }
    }

    if (hasCache) {
      heading(doc, 'Cache');
      for (const line of cacheLines(summary)) paragraph(doc, `•  ${line}`);
      const w = summary.warmup;
      const seen = (w?.byWindow ?? []).filter((p) => p.hitRate !== null);
      const single = seen.length === 1 ? `All hits and misses fell in the first ${fmtMs(w!.windowMs)} window: hit rate ${fmtPct(seen[0]!.hitRate)}, too short to draw a warm-up curve over time.` : '';
      chart(ctx, warmupOverTimeSpec(summary), single || 'No response carried a hit or miss, so there is no warm-up curve over time.');
      // The per-persona hit rates are on the charts page already; the warm-up adds only their order.
      const order = summary.warmup?.byPersonaOrder ?? [];
      if (order.length > 1) {
        const shown = order.slice(0, 20).map((p, i) => `${i + 1}. ${p.persona} ${fmtPct(p.hitRate)}`);
        paragraph(doc, `Personas in the order they first got a response, with their hit rate: ${shown.join('; ')}${order.length > 20 ? `; … ${fmtInt(order.length - 20)} more` : ''}.`, { size: 8.5 });
      }
    }
  },
};
