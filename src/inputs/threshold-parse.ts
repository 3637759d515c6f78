/**
 * Threshold expressions: `[scope] metric operator value[unit]`, e.g. `p95 < 2s`, `error_rate < 1%`,
 * `persona:"Sarah the site selector" p99 <= 500ms`. A pure parser: text in, a typed Threshold or a
 * ThresholdSyntaxError that knows the column of the problem, so the CLI can draw a caret under it.
 */
import { CACHE_STATUSES } from './vocabulary.js';

/** How a metric's values are measured and written: latencies in ms, rates as 0..1 fractions. */
export type MetricKind = 'latency' | 'rate' | 'rps' | 'count';

export interface MetricSpec {
  kind: MetricKind;
  /** Key in LatencyStats for latency metrics. */
  stat?: 'p50' | 'p75' | 'p90' | 'p95' | 'p99' | 'p999' | 'min' | 'max' | 'mean';
  /** Measured on troupe itself (summary.json `generator`), for the whole run: no scope. */
  generator?: true;
}

/** Every metric a threshold can name. Aliases map to the same spec under their canonical name. */
export const METRICS: Readonly<Record<string, MetricSpec>> = {
  p50: { kind: 'latency', stat: 'p50' },
  p75: { kind: 'latency', stat: 'p75' },
  p90: { kind: 'latency', stat: 'p90' },
  p95: { kind: 'latency', stat: 'p95' },
  p99: { kind: 'latency', stat: 'p99' },
  'p99.9': { kind: 'latency', stat: 'p999' },
  min: { kind: 'latency', stat: 'min' },
  max: { kind: 'latency', stat: 'max' },
  mean: { kind: 'latency', stat: 'mean' },
  error_rate: { kind: 'rate' },
  success_rate: { kind: 'rate' },
  cache_hit_rate: { kind: 'rate' },
  checks: { kind: 'rate' },
  rps: { kind: 'rps' },
  requests: { kind: 'count' },
  dropped: { kind: 'count' },
  // troupe's own event-loop delay (worst thread) and process CPU: CI can refuse a run whose generator was saturated.
  generator_lag_p50: { kind: 'latency', generator: true },
  generator_lag_p99: { kind: 'latency', generator: true },
  generator_lag_max: { kind: 'latency', generator: true },
  generator_cpu: { kind: 'rate', generator: true },
};

const ALIASES: Readonly<Record<string, string>> = { p999: 'p99.9', med: 'p50', median: 'p50', avg: 'mean', hit_rate: 'cache_hit_rate' };

export const OPERATORS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export const SCOPE_KINDS = ['persona', 'step', 'location', 'cache'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export type ThresholdScope = { kind: 'global' } | { kind: ScopeKind; value: string; /** column of the value, for errors */ column: number };

export interface Threshold {
  /** As written (trimmed). */
  expression: string;
  scope: ThresholdScope;
  /** Canonical metric name (aliases resolved). */
  metric: string;
  kind: MetricKind;
  operator: Operator;
  /** In the metric's unit: ms for latencies, a 0..1 fraction for rates, req/s, or a count. */
  limit: number;
}

/** A malformed expression; `column` is 0-based into `expression`. */
export class ThresholdSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${reason}\n${caretLines(expression, column)}`);
    this.name = 'ThresholdSyntaxError';
  }
}

/** The expression and a caret under `column`, indented two spaces: what a person needs to find the typo. */
export function caretLines(expression: string, column: number): string {
  return `  ${expression}\n  ${' '.repeat(Math.max(0, Math.min(column, expression.length)))}^`;
}

export function scopeLabel(scope: ThresholdScope): string {
  return scope.kind === 'global' ? 'global' : `${scope.kind}:${scope.value}`;
}

const UNITS_EXPECTED: Record<MetricKind, string> = {
  latency: 'a duration with a unit, such as 500ms, 2s or 1.5s',
  rate: 'a percentage such as 1% or 99.5% (or a fraction 0..1)',
  rps: 'requests per second, such as 100 or 100/s',
  count: 'a whole number, such as 0',
};

const WORD = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const NUMBER = /(\d+(?:\.\d+)?|\.\d+)/y;
const UNIT = /[A-Za-z%/]+/y;
const OPERATOR = /<=|>=|==|!=|<|>|=/y;

/** A small scanner over one expression; every error carries the column it happened at. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  match(pattern: RegExp): string | null {
    pattern.lastIndex = this.pos;
    const m = pattern.exec(this.text);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  fail(reason: string, column = this.pos): never {
    throw new ThresholdSyntaxError(this.text, column, reason);
  }
}

function scopeValue(s: Scanner): { value: string; column: number } {
  const quote = s.text[s.pos];
  if (quote === '"' || quote === "'") {
    const start = s.pos;
    const end = s.text.indexOf(quote, start + 1);
    if (end === -1) s.fail(`unterminated ${quote} quote`, start);
    s.pos = end + 1;
    const value = s.text.slice(start + 1, end);
    if (value.trim() === '') s.fail('empty scope name', start);
    return { value, column: start + 1 };
  }
  const start = s.pos;
  while (s.pos < s.text.length && !/\s/.test(s.text[s.pos]!)) s.pos++;
  if (s.pos === start) s.fail('expected a name after the colon, e.g. persona:sarah or persona:"Sarah the site selector"');
  return { value: s.text.slice(start, s.pos), column: start };
}

function parseScope(s: Scanner, word: string, wordStart: number): ThresholdScope {
  if (!(SCOPE_KINDS as readonly string[]).includes(word)) {
    s.fail(`unknown scope ${JSON.stringify(word)}; expected persona:, step:, location: or cache:`, wordStart);
  }
  s.pos++; // the colon
  const { value, column } = scopeValue(s);
  const kind = word as ScopeKind;
  if (kind === 'cache' && !(CACHE_STATUSES as readonly string[]).includes(value)) {
    s.fail(`unknown cache status ${JSON.stringify(value)}; expected one of: ${CACHE_STATUSES.join(', ')}`, column);
  }
  return { kind, value, column };
}

function parseLimit(s: Scanner, metric: string, kind: MetricKind): number {
  const numberStart = s.pos;
  const digits = s.match(NUMBER);
  if (digits === null) {
    s.fail(s.text[s.pos] === '-' ? 'a limit cannot be negative' : `expected a limit: ${UNITS_EXPECTED[kind]}`);
  }
  const n = Number(digits);
  const afterNumber = s.pos;
  s.skipSpace();
  const unitStart = s.pos;
  const unit = s.match(UNIT);
  if (unit === null) s.pos = afterNumber;
  const bad = (why: string): never => s.fail(`${why} for ${metric}; expected ${UNITS_EXPECTED[kind]}`, unit === null ? numberStart : unitStart);
  const u = unit?.toLowerCase() ?? '';
  switch (kind) {
    case 'latency':
      if (u === '' && n !== 0) s.fail(`${digits}: add a unit, e.g. ${digits}ms or ${digits}s`, numberStart);
      if (u === '' || u === 'ms') return n;
      if (u === 's') return n * 1000;
      if (u === 'm') return n * 60_000;
      return bad(`unit ${JSON.stringify(unit)} does not fit`);
    case 'rate':
      if (u === '%') {
        if (n > 100) s.fail(`a rate cannot be above 100%`, numberStart);
        return n / 100;
      }
      if (u === '') {
        if (n > 1) s.fail(`${digits} is not a fraction; write ${digits}% for a percentage`, numberStart);
        return n;
      }
      return bad(`unit ${JSON.stringify(unit)} does not fit`);
    case 'rps':
      if (u === '' || u === '/s' || u === 'rps') return n;
      return bad(`unit ${JSON.stringify(unit)} does not fit`);
    case 'count':
      if (u !== '') return bad(`unit ${JSON.stringify(unit)} does not fit`);
      if (!Number.isInteger(n)) s.fail(`${metric} counts whole requests; got ${digits}`, numberStart);
      return n;
  }
}

/** Parses one expression. Throws ThresholdSyntaxError (with a column) when it is malformed. */
export function parseThreshold(input: string): Threshold {
  const expression = input.trim();
  const s: Scanner = new Scanner(expression);
  if (s.done) s.fail('empty threshold; expected e.g. p95 < 2s or persona:sarah error_rate < 1%');

  let scope: ThresholdScope = { kind: 'global' };
  let wordStart = s.pos;
  let word = s.match(WORD);
  if (word !== null && s.text[s.pos] === ':') {
    scope = parseScope(s, word, wordStart);
    s.skipSpace();
    wordStart = s.pos;
    word = s.match(WORD);
    if (word !== null && s.text[s.pos] === ':') s.fail('only one scope per threshold', wordStart);
  }

  if (word === null) s.fail(`expected a metric: one of ${Object.keys(METRICS).join(', ')}`);
  const metric = ALIASES[word.toLowerCase()] ?? word.toLowerCase();
  const spec = METRICS[metric];
  if (spec === undefined) s.fail(`unknown metric ${JSON.stringify(word)}; expected one of: ${Object.keys(METRICS).join(', ')}`, wordStart);

  if (spec.generator && scope.kind !== 'global') {
    s.fail(`${metric} is measured on troupe itself for the whole run; remove the ${scope.kind}: scope`, 0);
  }

  s.skipSpace();
  const opStart = s.pos;
  const op = s.match(OPERATOR);
  if (op === null) s.fail(`expected an operator after ${word}: one of ${OPERATORS.join(' ')}`);
  if (op === '=') s.fail('"=" is not an operator; write == for equality', opStart);

  s.skipSpace();
  const limit = parseLimit(s, metric, spec.kind);
  s.skipSpace();
  if (!s.done) s.fail(`unexpected ${JSON.stringify(s.text.slice(s.pos))} after the limit`);
  return { expression, scope, metric, kind: spec.kind, operator: op as Operator, limit };
}

/** A fraction from `10%` or `0.1` (a plain number above 1 is read as a percentage: `10` → 10%). Null when malformed. */
export function parsePercent(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? (value > 1 ? value / 100 : value) : null;
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === '%' || n > 1 ? n / 100 : n;
}
