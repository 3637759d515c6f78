/**
 * Row builders for the CSVs of load shapes, journeys and cache analytics: checks.csv, load.csv,
 * warmup.csv and harness-cache.csv. Each is written only when summary.json has its part.
 */
import type { RunSummary } from '../../run-dir/types.js';
import type { ArrivalFacts } from '../arrivals.js';
import { share, type Table } from './tables.js';
import type { Cell } from './writer.js';

/** Per step × check label (scope `step`), per persona (`persona`) and per persona × step (`persona_step`). */
export function checksTable(summary: RunSummary, status: string): Table | null {
  const checks = summary.checks;
  if (!checks) return null;
  function* rows(): Generator<Cell[]> {
    for (const [step, labels] of Object.entries(checks!.steps)) {
      for (const [label, c] of Object.entries(labels)) yield ['step', '', step, label, c.passed, c.failed, share(c.passed, c.passed + c.failed), status];
    }
    for (const [persona, c] of Object.entries(checks!.personas)) yield ['persona', persona, '', '', c.passed, c.failed, share(c.passed, c.passed + c.failed), status];
    for (const [persona, steps] of Object.entries(checks!.personaSteps)) {
      for (const [step, c] of Object.entries(steps)) yield ['persona_step', persona, step, '', c.passed, c.failed, share(c.passed, c.passed + c.failed), status];
    }
  }
  return { header: ['scope', 'persona', 'step', 'check', 'passed', 'failed', 'pass_rate', 'run_status'], rows: rows() };
}

/**
 * The open model's schedule and what came of it: the run (summary.json `load`), each phase (arrivals
 * counted from results.ndjson, from the first arrival; dropped arrivals leave no line, so a phase's
 * dropped count is empty) and each persona (arrivals started, dropped).
 */
export function loadTable(summary: RunSummary, arrivals: ArrivalFacts | undefined, status: string): Table | null {
  const load = summary.load;
  if (!load) return null;
  function* rows(): Generator<Cell[]> {
    yield ['run', '', load!.scheduledMs, load!.phases[0]?.rate ?? null, load!.phases.at(-1)?.rampTo ?? load!.phases.at(-1)?.rate ?? null,
      load!.targetRate, load!.achievedRate, load!.expectedArrivals, load!.arrivals, load!.started, load!.dropped, load!.peakInFlight, load!.maxInFlight, status];
    for (const p of arrivals?.phases ?? []) {
      yield [`phase`, String(p.phase), p.durationMs, p.rate, p.rampTo, (p.rate + p.rampTo) / 2, p.achievedRate, p.expected, null, p.started, null, null, null, status];
    }
    const personas = new Set([...Object.keys(arrivals?.startedByPersona ?? {}), ...Object.keys(load!.droppedByPersona)]);
    for (const persona of [...personas].sort()) {
      const started = arrivals?.startedByPersona[persona] ?? 0;
      const dropped = load!.droppedByPersona[persona] ?? 0;
      const achieved = load!.elapsedMs > 0 ? Math.round((started / (load!.elapsedMs / 1000)) * 1000) / 1000 : null;
      yield ['persona', persona, null, null, null, null, achieved, null, started + dropped, started, dropped, null, null, status];
    }
  }
  return {
    header: [
      'scope', 'name', 'duration_ms', 'rate', 'ramp_to', 'target_rate', 'achieved_rate', 'expected_arrivals', 'arrivals', 'started', 'dropped',
      'peak_in_flight', 'max_in_flight', 'run_status',
    ],
    rows: rows(),
  };
}

/** The target cache warming up: hit rate per persona in the order they first got a response, then per time window. */
export function warmupTable(summary: RunSummary, status: string): Table | null {
  const w = summary.warmup;
  if (!w) return null;
  function* rows(): Generator<Cell[]> {
    for (const [i, p] of w!.byPersonaOrder.entries()) yield ['persona_order', i + 1, p.persona, null, null, p.hit, p.miss, p.hitRate, status];
    for (const [i, p] of w!.byWindow.entries()) yield ['window', i + 1, '', p.offsetMs, w!.windowMs, p.hit, p.miss, p.hitRate, status];
  }
  return { header: ['series', 'position', 'persona', 'offset_ms', 'window_ms', 'hits', 'misses', 'hit_rate', 'run_status'], rows: rows() };
}

/** troupe's own response cache (`cache.dedupe`): requests it answered instead of the target, never in the target's figures. */
export function harnessCacheTable(summary: RunSummary, status: string): Table | null {
  const h = summary.harnessCache;
  if (!h) return null;
  return {
    header: ['scope', 'name', 'harness_hits', 'reused', 'coalesced', 'run_status'],
    rows: [['all', '', h.hits, h.reused, h.coalesced, status], ...Object.entries(h.byPersona).map(([p, n]): Cell[] => ['persona', p, n, null, null, status])],
  };
}
