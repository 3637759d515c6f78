/** How threshold limits and measured values read in messages, the console, JUnit and Markdown. Pure. */
import type { ThresholdVerdict } from './thresholds.js';
import type { MetricKind } from '../inputs/threshold-parse.js';
import { printable } from '../util/printable.js';

const trim = (n: number, digits: number): string => String(Number(n.toFixed(digits)));

/** `66.4 ms`, `1.24 s`, `0.5%`, `133.0 req/s`, `0`. */
export function formatMetricValue(kind: MetricKind, value: number): string {
  switch (kind) {
    case 'latency':
      return value >= 1000 ? `${trim(value / 1000, 3)} s` : `${trim(value, value < 10 ? 2 : 1)} ms`;
    case 'rate':
      return `${trim(value * 100, 2)}%`;
    case 'rps':
      return `${trim(value, 1)} req/s`;
    case 'count':
      return String(value);
  }
}

/** The unit a ThresholdResult's `limit` and `measured` are in. */
export function unitOf(kind: MetricKind): 'ms' | 'fraction' | 'req/s' | 'count' {
  return kind === 'latency' ? 'ms' : kind === 'rate' ? 'fraction' : kind === 'rps' ? 'req/s' : 'count';
}

/** Just the colours the console verdict uses; a chalk instance fits. */
export interface Paint {
  green(text: string): string;
  red(text: string): string;
  bold(text: string): string;
}

/** Console lines for a verdict: one per threshold, then the overall result. */
export function renderVerdictLines(verdict: ThresholdVerdict, c: Paint): string {
  // Expressions and messages carry scope names (persona:, location:), which are user data.
  const lines = verdict.results.map((r) => `  ${r.passed ? c.green('✓ pass') : c.red('✗ FAIL')}  ${printable(r.expression)}  —  ${printable(r.message)}`);
  const failed = verdict.results.filter((r) => !r.passed).length;
  const head = verdict.passed
    ? c.green(c.bold(`thresholds: all ${verdict.results.length} passed`))
    : c.red(c.bold(`thresholds: ${failed} of ${verdict.results.length} failed`));
  return `${head}\n${lines.join('\n')}\n`;
}
