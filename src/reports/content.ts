/**
 * What a report says, whatever it is drawn on: headline figures, the verdict, highlights and how the
 * figures were measured. The PDF and the HTML report both render these, so they cannot disagree.
 */
import { SATURATED_NOTE, worstLoopDelay } from '../metrics/generator.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { HISTOGRAM_PRECISION } from '../metrics/histogram.js';
import type { CheckCounts } from '../metrics/journey-metrics.js';
import { fmtInt, fmtMs, fmtPct, fmtPerSecond as fmtArrivals, fmtRps } from './format.js';
import type { RunData } from './run-data.js';
import { startNote } from './start-note.js';

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

/** Closed model for a duration or in stages: the most VUs at once, and the schedule's length. Empty otherwise. */
export function vuFigures(data: RunData): Headline[] {
  const vus = data.summary.vus;
  if (!vus) return [];
  return [
    { label: 'Peak VUs', value: fmtInt(vus.peak) },
    { label: vus.model === 'ramping-vus' ? `${vus.stages?.length ?? 0} stages` : 'Duration', value: `${vus.scheduledMs / 1000} s` },
  ];
}

export const RESPONSE_TIME_NOTE =
  'Latency is service time (sent → last byte). Response time counts from when a request was due, so a stalled server shows.';


/** The thresholds' verdict in words; `passed` is null when the run had no thresholds. */
export function verdict(data: RunData): { text: string; passed: boolean | null } {
  const t = data.summary.thresholds;
  if (!t) return { text: 'No thresholds set', passed: null };
  const failed = t.results.filter((r) => !r.passed).length;
  return t.passed ? { text: `PASS: all ${t.results.length} thresholds met`, passed: true } : { text: `FAIL: ${failed} of ${t.results.length} thresholds not met`, passed: false };
}

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
  if (other > 0) out.push(uncachedText(summary.steps, g.cache, other));
  if (summary.serverCache) {
    const sc = summary.serverCache;
    out.push(`The target's own count (${sc.source}): ${fmtInt(sc.hits)} hits, ${fmtInt(sc.misses)} misses, hit rate ${fmtPct(sc.hitRate)}.`);
  }
  if (summary.load && summary.load.dropped > 0) {
    out.push(`${fmtInt(summary.load.dropped)} of ${fmtInt(summary.load.arrivals)} arrivals were dropped: ${fmtInt(summary.load.maxInFlight)} journeys were already in flight.`);
  }
  const checks = checkTotals(summary);
  if (checks) {
    out.push(checks.failed === 0 ? `All ${fmtInt(checks.passed)} journey checks passed.` : `${fmtInt(checks.failed)} of ${fmtInt(checks.passed + checks.failed)} journey checks failed (see Checks).`);
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

export interface CheckRow {
  step: string;
  check: string;
  passed: number;
  failed: number;
  /** passed / (passed + failed); null when neither. */
  passRate: number | null;
  /** The first failure's message; null when the check never failed (or the summary predates the field). */
  firstFailure: string | null;
}

const passRate = (c: CheckCounts) => (c.passed + c.failed === 0 ? null : c.passed / (c.passed + c.failed));

/** The checks table, step × check, worst first: lowest pass rate, then most failures. The console, PDF and HTML show these rows. */
export function checkRows(summary: RunData['summary']): CheckRow[] {
  const rows = Object.entries(summary.checks?.steps ?? {}).flatMap(([step, labels]) =>
    Object.entries(labels).map(([check, c]): CheckRow => ({ step, check, passed: c.passed, failed: c.failed, passRate: passRate(c), firstFailure: c.firstFailure ?? null })),
  );
  return rows.sort((a, b) => (a.passRate ?? 1) - (b.passRate ?? 1) || b.failed - a.failed || (a.step + a.check < b.step + b.check ? -1 : 1));
}

/** All checks of the run; null when it ran none. */
export function checkTotals(summary: RunData['summary']): { passed: number; failed: number; passRate: number | null } | null {
  if (!summary.checks) return null;
  let passed = 0;
  let failed = 0;
  for (const c of Object.values(summary.checks.personas)) (passed += c.passed), (failed += c.failed);
  return { passed, failed, passRate: passRate({ passed, failed }) };
}

/** The steps table: per step requests, errors, p50/p95/p99 and hit rate; empty for a run without journey steps. */
export function stepRows(summary: RunData['summary']): Array<[string, ScopeSummary]> {
  return hasJourneySteps(summary) ? Object.entries(summary.steps) : [];
}

/** Whether the run had journey steps worth a table: a run without journeys has one implicit step, `request`, whose row would repeat the total. */
export function hasJourneySteps(summary: RunData['summary']): boolean {
  const steps = Object.keys(summary.steps);
  return steps.length > 1 || (steps.length === 1 && steps[0] !== 'request');
}

/** The cover's warning when troupe itself was the bottleneck; null when it was not (or was not measured). */
export function generatorWarning(data: Pick<RunData, 'summary'>): string | null {
  const g = data.summary.generator;
  if (!g?.saturated) return null;
  const first = SATURATED_NOTE.charAt(0).toUpperCase() + SATURATED_NOTE.slice(1);
  return `${first}: the load generator (troupe) was saturated — ${g.reasons.join('; ')}.`;
}

/** One paragraph on troupe's own health, for "How this was measured". */
export function generatorNote(data: Pick<RunData, 'summary'>): string | null {
  const g = data.summary.generator;
  if (!g) return null;
  const d = worstLoopDelay(g);
  const pct = (v: number | null) => (v === null ? '–' : `${Number(v.toFixed(1))} %`);
  const workers = g.workers?.length ? ` Worker threads: ${g.workers.map((w) => `${w.worker}: delay p99 ${fmtMs(w.loopDelayMs.p99)}, busy ${pct(w.busyPct.mean)}`).join('; ')}.` : '';
  const verdictText = g.saturated
    ? `The generator was SATURATED (${g.reasons.join('; ')}): ${SATURATED_NOTE}.`
    : `Not saturated (limits: delay p99 below ${g.limits.lagP99Ms} ms, no thread ≥ ${g.limits.busyPct} % busy for ${g.limits.busySeconds} s).`;
  // Short on purpose: the method is in the README ("How troupe measures itself"); the report says the figures.
  return (
    `troupe's own health: event-loop delay p50 ${fmtMs(d.p50)}, p99 ${fmtMs(d.p99)}, max ${fmtMs(d.max)}; main thread busy ${pct(g.busyPct.mean)} (peak ${pct(g.busyPct.max)}); ` +
    `process CPU ${pct(g.cpuPct.mean)} of a core (peak ${pct(g.cpuPct.max)}).${workers} ${verdictText} Per second in csv/timeseries.csv.`
  );
}

export function methodNotes(data: RunData): string[] {
  const p = HISTOGRAM_PRECISION;
  const lines = [
    `Latency is the time from sending a request to receiving the last byte of its response, failed requests included. Percentiles come from ${p.method}, recorded in ${p.unit} from ${p.lowestDiscernibleValue} µs to 1 hour with ${p.significantDigits} significant digits (${p.personaLocationSignificantDigits} for persona × location figures): ${p.percentile}.`,
    'Cache status is read from each response by named detectors in order: a configured header if set, else RFC 9211 Cache-Status, X-Cache, CF-Cache-Status, X-Cache-Status, X-Proxy-Cache, X-Varnish, a configured JSON field, Age (0 is a miss, above 0 a hit) and Cache-Control: no-store. Hit rate = hits / (hits + misses); stale, bypass and unknown responses are counted in the CSVs but never folded into the rate.',
    'A request counts as an error when no response arrived (refused or reset connection, DNS or TLS failure, a timeout, an oversized body) or when the response status was 4xx or 5xx. Messages are shown with secrets redacted.',
    `Throughput is completed requests divided by the time from the first send to the last completion${data.summary.segments ? ', less the pauses of the resumed run (its active time; the time charts show each pause as a gap)' : ''}. Per-second figures in the time charts come from a histogram per second (csv/timeseries.csv). Every figure here is rebuilt from the run directory alone (troupe report ${data.summary.runId}); the CSV files under csv/ hold every row.`,
  ];
  const generator = generatorNote(data);
  if (generator) lines.push(generator);
  const started = startNote(data.summary);
  if (data.summary.merge) {
    lines.push(`${started} troupe merge added the shards' counters, merged their HdrHistograms exactly and interleaved their results by completion time, so the per-second figures and the cache warm-up curve are on one time axis from the earliest shard's start.${data.summary.serverCache?.scope ? ` The target's own cache counters: ${data.summary.serverCache.source}.` : ''}`);
  } else if (started) lines.push(started);
  if (data.summary.global.responseTime) {
    lines.splice(1, 0, 'Open model: response time is the time from when a request was due (its arrival, or for a later step the end of the one before plus its think time) to the last byte, including any wait for a free slot. A stalled target delays the requests behind the stall; timing only from the send would hide that (coordinated omission). Both have their own histogram.');
  }
  return lines;
}

type CacheCounts = { hit: number; miss: number; stale: number; bypass: number; unknown: number };

/**
 * The highlight for responses outside the hit rate. A journey's steps that never carry a cache header
 * (a health check, a stats call) are named as such: "responses had no status" alone reads as a fault of
 * the cache when it is the design of those endpoints.
 */
export function uncachedText(steps: Record<string, { requests: number; cache: CacheCounts }>, cache: CacheCounts, other: number): string {
  const responses = `${fmtInt(other)} ${other === 1 ? 'response' : 'responses'}`;
  const silent = Object.entries(steps).filter(([, s]) => s.requests > 0 && s.cache.unknown > 0 && s.cache.hit + s.cache.miss + s.cache.stale + s.cache.bypass === 0);
  const fromSilent = silent.reduce((n, [, s]) => n + s.cache.unknown, 0);
  if (Object.keys(steps).length > 1 && silent.length > 0 && fromSilent === other) {
    const names = silent.map(([name]) => name).join(', ');
    return `${responses} from the ${silent.length === 1 ? 'step' : 'steps'} ${names}, which carried no cache status at all, ${other === 1 ? 'is' : 'are'} not in the hit rate.`;
  }
  return `${responses} had no hit/miss status (stale ${fmtInt(cache.stale)}, bypass ${fmtInt(cache.bypass)}, unknown ${fmtInt(cache.unknown)}); ${other === 1 ? 'it is' : 'they are'} not in the hit rate.`;
}
