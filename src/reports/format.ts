/** How the PDF writes numbers; the tests compute expected cover figures from summary.json with the same functions. */

export const fmtMs = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
};

export const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

/** An arrival rate, `12.5/s`. */
export const fmtPerSecond = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v.toFixed(1)}/s`);

/** Plain-text tables (the terminal, summary.md) write a missing figure as `-` and milliseconds with one decimal. */
export const textPct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
export const textMs = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;

/**
 * `12,345`. Whole numbers are grouped by hand: the first toLocaleString of a process loads ICU's
 * number formatting (~30 ms of CPU, measured in `troupe run`, which prints a count on every run).
 */
export const fmtInt = (v: number): string => (Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v).replace(/\B(?=(\d{3})+$)/g, ',') : v.toLocaleString('en-US'));

export const fmtRps = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v.toFixed(1)} req/s`);

export const fmtDuration = (ms: number): string => {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
};

/** `2026-11-23 03:30:00 UTC`: reports are read in many time zones. */
export const fmtDate = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/**
 * What `planned` and `completed` count in a summary: requests in the closed model without journeys,
 * journeys (visits of several steps) with them, and arrivals in the open model (planned = expected).
 */
export function workUnit(summary: { load?: unknown; steps: Record<string, unknown> }): 'requests' | 'journeys' | 'arrivals' {
  if (summary.load) return 'arrivals';
  return Object.keys(summary.steps).some((step) => step !== 'request') ? 'journeys' : 'requests';
}

/** The VU schedule of a closed-model run for a duration or in stages (summary.vus), as far as these texts need it. */
interface LoopedVus {
  loop?: boolean;
  model: string;
  peak: number;
  scheduledMs: number;
}

/**
 * `80 of 80 planned requests completed`, `95 of 100 expected arrivals completed`; a run whose VUs loop
 * over the plan for a duration: `1,208 journeys completed, looping over a plan of 24` (its plan is one
 * pass, so "1,208 of 24" would read as a miscount).
 */
export function completionText(summary: { load?: unknown; steps: Record<string, unknown>; planned: number; completed: number; vus?: LoopedVus }): string {
  const unit = workUnit(summary);
  if (summary.vus?.loop) return `${fmtInt(summary.completed)} ${unit} completed, looping over a plan of ${fmtInt(summary.planned)}`;
  // No plan to count against: a bench for a duration, killed before it wrote its summary.
  if (summary.planned === 0 && summary.completed > 0) return `${fmtInt(summary.completed)} ${unit} completed`;
  return `${fmtInt(summary.completed)} of ${fmtInt(summary.planned)} ${unit === 'arrivals' ? 'expected arrivals' : `planned ${unit}`} completed`;
}

/** `1 persona`, `2 personas`. */
const counted = (n: number, noun: string): string => `${fmtInt(n)} ${noun}${n === 1 ? '' : 's'}`;

/** The cover's "Load" line of an open-model run (PDF and HTML): the schedule, the plan and the in-flight cap. */
export function openLoadText(load: { arrival: string; phases: { rate: number; rampTo?: number }[]; scheduledMs: number; maxInFlight: number }, personas: number, locations: number): string {
  const phases = load.phases.map((p) => (p.rampTo === undefined || p.rampTo === p.rate ? `${p.rate}/s` : `${p.rate} → ${p.rampTo}/s`)).join(', then ');
  return `open model, ${load.arrival} arrivals: ${phases} over ${fmtDuration(load.scheduledMs)}; ${counted(personas, 'persona')} × ${counted(locations, 'location')}; at most ${fmtInt(load.maxInFlight)} journeys in flight`;
}

/** The cover's "Load" line of a closed-model run: what one pass of the plan is, and who ran it how long. */
export function closedLoadText(summary: { steps: Record<string, unknown>; planned: number; concurrency?: number; vus?: LoopedVus }, personas: number, locations: number, iterations?: number): string {
  const plan = `${counted(personas, 'persona')} × ${counted(locations, 'location')}${iterations ? ` × ${iterations} iteration(s)` : ''}`;
  const vus = summary.vus;
  if (vus?.loop) {
    const who = vus.model === 'ramping-vus' ? `up to ${fmtInt(vus.peak)} VUs in stages` : `${fmtInt(vus.peak)} VUs`;
    return `${plan} = ${fmtInt(summary.planned)} ${workUnit(summary)} a pass, looped by ${who} for ${fmtDuration(vus.scheduledMs)}`;
  }
  if (summary.planned === 0) return `${plan}, concurrency ${summary.concurrency || '–'}`;
  return `${plan} = ${fmtInt(summary.planned)} planned ${workUnit(summary)}, concurrency ${summary.concurrency || '–'}`;
}
