import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configThresholds, distinctThresholds, flagThresholds, parseFlagThresholds, scopeCatalog, GATE_DEFAULTS } from '../src/inputs/threshold-config.js';
import { METRICS, parsePercent, parseThreshold, ThresholdSyntaxError } from '../src/inputs/threshold-parse.js';
import { evaluateThresholds, matchPersona, resolveThresholdScopes } from '../src/metrics/thresholds.js';
import { TroupeError } from '../src/errors.js';
import { summaryOf } from './helpers/summaries.js';

/** The column the parser blames, as the caret line shows it. */
function errorColumn(expression: string): number {
  try {
    parseThreshold(expression);
  } catch (err) {
    assert.ok(err instanceof ThresholdSyntaxError, String(err));
    const caretLine = err.message.split('\n').at(-1)!;
    assert.equal(caretLine.indexOf('^') - 2, err.column, 'caret sits under the column');
    return err.column;
  }
  assert.fail(`${expression} parsed`);
}

describe('parseThreshold', () => {
  it('parses every metric', () => {
    const samples: Record<string, string> = {
      p50: '100ms', p75: '100ms', p90: '100ms', p95: '100ms', p99: '100ms', 'p99.9': '100ms', min: '1ms', max: '1s', mean: '300ms',
      error_rate: '1%', success_rate: '99%', cache_hit_rate: '70%', checks: '99%', rps: '100', requests: '10', dropped: '0',
      generator_lag_p50: '1ms', generator_lag_p99: '5ms', generator_lag_max: '50ms', generator_cpu: '90%',
    };
    assert.deepEqual(Object.keys(samples).sort(), Object.keys(METRICS).sort(), 'every metric has a sample');
    for (const [metric, limit] of Object.entries(samples)) {
      const t = parseThreshold(`${metric} < ${limit}`);
      assert.equal(t.metric, metric);
      assert.deepEqual(t.scope, { kind: 'global' });
    }
    assert.equal(parseThreshold('p999 < 1s').metric, 'p99.9');
    assert.equal(parseThreshold('hit_rate > 50%').metric, 'cache_hit_rate');
    assert.equal(parseThreshold('avg < 1s').metric, 'mean');
  });

  it('converts units: ms, s, m, %, fractions, req/s', () => {
    assert.equal(parseThreshold('p95 < 2s').limit, 2000);
    assert.equal(parseThreshold('p95 < 1.5s').limit, 1500);
    assert.equal(parseThreshold('p99 <= 500ms').limit, 500);
    assert.throws(() => parseThreshold('p99 <= 500'), /500: add a unit, e.g. 500ms or 500s/, 'a bare number is not a duration');
    assert.equal(parseThreshold('p99 <= 0').limit, 0, '0 needs no unit');
    assert.equal(parseThreshold('max < 2m').limit, 120_000);
    assert.equal(parseThreshold('p95 < 2 s').limit, 2000, 'a space before the unit is fine');
    assert.equal(parseThreshold('error_rate < 1%').limit, 0.01);
    assert.equal(parseThreshold('error_rate < 0.5%').limit, 0.005);
    assert.equal(parseThreshold('cache_hit_rate >= 0.7').limit, 0.7);
    assert.equal(parseThreshold('rps > 100').limit, 100);
    assert.equal(parseThreshold('rps > 100/s').limit, 100);
    assert.equal(parseThreshold('dropped == 0').limit, 0);
  });

  it('parses every operator, with or without spaces', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!=']) {
      assert.equal(parseThreshold(`p95 ${op} 2s`).operator, op);
      assert.equal(parseThreshold(`p95${op}2s`).operator, op);
    }
  });

  it('parses every scope, quoted names included', () => {
    assert.deepEqual(parseThreshold('persona:sarah p95 < 1s').scope, { kind: 'persona', value: 'sarah', column: 8 });
    assert.deepEqual(parseThreshold('persona:"Sarah the site selector" p95 < 1s').scope, { kind: 'persona', value: 'Sarah the site selector', column: 9 });
    assert.deepEqual(parseThreshold("persona:'Sarah the site selector' p95 < 1s").scope, { kind: 'persona', value: 'Sarah the site selector', column: 9 });
    assert.deepEqual(parseThreshold('step:analyze p99 < 3s').scope, { kind: 'step', value: 'analyze', column: 5 });
    assert.deepEqual(parseThreshold('location:rochester-mn error_rate < 5%').scope, { kind: 'location', value: 'rochester-mn', column: 9 });
    assert.deepEqual(parseThreshold('cache:hit p95 < 50ms').scope, { kind: 'cache', value: 'hit', column: 6 });
    assert.equal(parseThreshold('  p95 < 2s  ').expression, 'p95 < 2s');
  });

  it('points at the problem in a malformed expression', () => {
    assert.equal(errorColumn(''), 0);
    assert.equal(errorColumn('p96 < 2s'), 0, 'unknown metric');
    assert.equal(errorColumn('p95 2s'), 4, 'missing operator');
    assert.equal(errorColumn('p95 = 2s'), 4, '= instead of ==');
    assert.equal(errorColumn('p95 <'), 5, 'missing limit');
    assert.equal(errorColumn('p95 < -1s'), 6, 'negative limit');
    assert.equal(errorColumn('p95 < 2x'), 7, 'unknown unit');
    assert.equal(errorColumn('p95 < 2%'), 7, 'a percentage for a latency');
    assert.equal(errorColumn('error_rate < 5ms'), 14, 'a duration for a rate');
    assert.equal(errorColumn('error_rate < 5'), 13, 'a rate above 1 without %');
    assert.equal(errorColumn('error_rate < 120%'), 13, 'a rate above 100%');
    assert.equal(errorColumn('dropped == 0.5'), 11, 'a fractional count');
    assert.equal(errorColumn('p95 < 2s please'), 9, 'trailing text');
    assert.equal(errorColumn('region:us p95 < 2s'), 0, 'unknown scope kind');
    assert.equal(errorColumn('cache:warm p95 < 2s'), 6, 'unknown cache status');
    assert.equal(errorColumn('persona:"Sarah p95 < 2s'), 8, 'unterminated quote');
    assert.equal(errorColumn('persona: p95 < 2s'), 8, 'empty scope name');
    assert.equal(errorColumn('persona:a step:b p95 < 2s'), 10, 'two scopes');
    assert.equal(errorColumn('< 2s'), 0, 'no metric');
  });

  it('says what was expected', () => {
    assert.throws(() => parseThreshold('p95 < 2x'), /unit "x" does not fit for p95; expected a duration/);
    assert.throws(() => parseThreshold('error_rate < 5'), /write 5% for a percentage/);
    assert.throws(() => parseThreshold('p96 < 2s'), /unknown metric "p96"; expected one of: p50, p75/);
    assert.throws(() => parseThreshold('p95 = 2s'), /write == for equality/);
  });

  it('parses percentages for tolerances', () => {
    assert.equal(parsePercent('10%'), 0.1);
    assert.equal(parsePercent('0.1'), 0.1);
    assert.equal(parsePercent(20), 0.2);
    assert.equal(parsePercent('ten'), null);
  });
});

describe('evaluateThresholds', () => {
  const summary = summaryOf([
    { persona: 'Sarah the site selector', location: 'rochester-mn', n: 100, latency: (i) => 10 + i, cache: 'hit' },
    { persona: 'Diego the field rep', location: 'austin-tx', step: 'analyze', n: 100, latency: () => 500, errors: 5, cache: 'miss' },
  ]);
  const judge = (...expressions: string[]) => evaluateThresholds(summary, expressions.map(parseThreshold));

  it('passes and fails with the measured value and the limit in the message', () => {
    const verdict = judge('p95 < 2s', 'persona:sarah p95 < 200ms', 'error_rate < 1%');
    assert.equal(verdict.passed, false);
    const [p95, sarah, errors] = verdict.results;
    assert.equal(p95!.passed, true);
    assert.equal(p95!.measured, 500);
    assert.equal(p95!.message, 'p95 was 500 ms, limit < 2 s');
    assert.equal(sarah!.passed, true);
    assert.equal(sarah!.scope, 'persona:Sarah the site selector');
    assert.ok(sarah!.measured! >= 104 && sarah!.measured! <= 105, String(sarah!.measured));
    assert.equal(errors!.passed, false);
    assert.equal(errors!.measured, 0.025);
    assert.equal(errors!.unit, 'fraction');
    assert.equal(errors!.message, 'error_rate was 2.5%, limit < 1%');
  });

  it('judges each scope kind and metric', () => {
    const v = judge(
      'persona:"Diego the field rep" error_rate == 5%',
      'persona:diego-the-field-rep success_rate >= 95%',
      'step:analyze p99 <= 500ms',
      'location:rochester-mn max < 200ms',
      'cache:hit p50 < 100ms',
      'cache_hit_rate == 50%',
      'requests >= 200',
      'rps > 1',
      'mean > 0',
    );
    assert.deepEqual(v.results.map((r) => [r.expression, r.passed]), v.results.map((r) => [r.expression, true]));
    assert.equal(v.passed, true);
  });

  it('fails a metric or scope with no data, saying so', () => {
    const v = judge('checks >= 99%', 'dropped == 0', 'persona:nobody p95 < 1s', 'cache:stale p95 < 1s', 'step:checkout p95 < 1s');
    assert.equal(v.passed, false);
    for (const r of v.results) {
      assert.equal(r.passed, false);
      assert.equal(r.measured, null);
      assert.match(r.message, /no data/);
    }
    assert.match(v.results[0]!.message, /ran no checks/);
    assert.match(v.results[1]!.message, /dropped arrivals are measured by the open model/);
  });

  it('reads checks (per persona and step) and dropped arrivals (open model) from the summary', () => {
    const persona = Object.keys(summary.personas)[0]!;
    const step = Object.keys(summary.steps)[0]!;
    const withData = {
      ...summary,
      checks: {
        personas: { [persona]: { passed: 995, failed: 5 } },
        steps: { login: { 'status 200': { passed: 500, failed: 0 } }, [step]: { 'status 200': { passed: 495, failed: 5 } } },
        personaSteps: {},
      },
      load: { dropped: 3, droppedByPersona: { [persona]: 3 } },
    };
    const v = evaluateThresholds(
      withData,
      ['checks >= 99%', `step:${step} checks >= 99.5%`, `persona:"${persona}" checks > 99%`, 'dropped == 0', `persona:"${persona}" dropped <= 3`].map(parseThreshold),
    );
    assert.deepEqual(v.results.map((r) => r.measured), [0.995, 0.99, 0.995, 3, 3]);
    assert.deepEqual(v.results.map((r) => r.passed), [true, false, true, false, true]);
  });

  it('passes with no thresholds', () => {
    assert.deepEqual(evaluateThresholds(summary, []), { passed: true, results: [] });
  });
});

describe('scopes checked before a run', () => {
  const personas = [
    { name: 'Sarah the site selector', slug: 'sarah-the-site-selector' },
    { name: 'Sam the scout', slug: 'sam-the-scout' },
  ];
  const catalog = scopeCatalog(personas, [{ id: 'rochester-mn' }]);

  it('matches a persona by name, slug or first words', () => {
    assert.deepEqual(matchPersona('Sarah the site selector', personas), { name: 'Sarah the site selector' });
    assert.deepEqual(matchPersona('sarah the SITE selector', personas), { name: 'Sarah the site selector' });
    assert.deepEqual(matchPersona('sarah-the-site-selector', personas), { name: 'Sarah the site selector' });
    assert.deepEqual(matchPersona('sarah', personas), { name: 'Sarah the site selector' });
    assert.equal(matchPersona('sar', personas), null);
    assert.deepEqual(matchPersona('s', [...personas, { name: 'S two', slug: 's-two' }, { name: 'S three', slug: 's-three' }]), { ambiguous: ['S two', 'S three'] });
  });

  it('resolves persona refs to full names and rejects unknown scopes at the name', () => {
    const [t] = resolveThresholdScopes([parseThreshold('persona:sarah p95 < 1s')], catalog);
    assert.deepEqual(t!.scope, { kind: 'persona', value: 'Sarah the site selector', column: 8 });
    const expectColumn = (expression: string, column: number, pattern: RegExp) => {
      assert.throws(() => resolveThresholdScopes([parseThreshold(expression)], catalog), (err: unknown) => {
        assert.ok(err instanceof ThresholdSyntaxError);
        assert.equal(err.column, column);
        assert.match(err.message, pattern);
        return true;
      });
    };
    expectColumn('persona:linda p95 < 1s', 8, /unknown persona "linda"; the personas are "Sarah the site selector", "Sam the scout"/);
    expectColumn('location:nowhere p95 < 1s', 9, /unknown location "nowhere"; the locations are "rochester-mn"/);
    expectColumn('step:analyze p95 < 1s', 5, /unknown step "analyze"; the steps are "request"/);
  });

  it('turns errors into exit-2 errors naming the flag or the config key', () => {
    assert.throws(() => flagThresholds(['p95 < 2x'], catalog), (err: unknown) => {
      assert.ok(err instanceof TroupeError);
      assert.equal(err.exitCode, 2);
      assert.equal(err.message, '--threshold "p95 < 2x": unit "x" does not fit for p95; expected a duration with a unit, such as 500ms, 2s or 1.5s\n  p95 < 2x\n         ^');
      return true;
    });
    const gate = { ...GATE_DEFAULTS, thresholds: ['p95 < 2s', 'persona:linda p95 < 1s'] };
    assert.throws(() => configThresholds(gate, 'troupe.config.yaml', catalog), (err: unknown) => {
      assert.ok(err instanceof TroupeError);
      assert.equal(err.code, 'E_CONFIG');
      assert.match(err.message, /^troupe\.config\.yaml, at thresholds\[1\]: invalid threshold: unknown persona "linda"/);
      assert.match(err.message, /\n {2}persona:linda p95 < 1s\n {10}\^$/);
      return true;
    });
  });

  it('parses without a catalogue for merge and bench, naming where a bad expression came from', () => {
    assert.equal(parseFlagThresholds(['persona:anyone p95 < 1s'])[0]!.scope.kind, 'persona');
    assert.throws(() => parseFlagThresholds(['p95 < 2s', 'p95 < 2x'], 'shard threshold'), (err: unknown) => {
      assert.ok(err instanceof TroupeError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^shard threshold "p95 < 2x": unit "x" does not fit for p95/);
      return true;
    });
  });
});

describe('scope catalog', () => {
  it('knows journey step names, and `request` for personas without a journey', () => {
    const catalog = scopeCatalog(
      [
        { name: 'A', slug: 'a', journey: [{ name: 'login' }, { name: 'search' }] },
        { name: 'B', slug: 'b' },
      ],
      [{ id: 'x' }],
    );
    assert.deepEqual([...catalog.steps].sort(), ['login', 'request', 'search']);
    assert.equal(flagThresholds(['step:search p95 < 1s'], catalog)[0]!.scope.kind, 'step');
    assert.throws(() => flagThresholds(['step:checkout p95 < 1s'], catalog), /unknown step "checkout"/);
  });
});

it('the same threshold from the config and a flag is judged once; other limits, operators and scopes are kept', () => {
  const all = parseFlagThresholds(['p95 < 500ms', 'p95<0.5s', 'p95 < 400ms', 'p95 <= 500ms', 'persona:sarah p95 < 500ms', 'error_rate < 1%', 'error_rate < 1%']);
  const kept = distinctThresholds(all);
  assert.deepEqual(kept.map((t) => t.expression), ['p95 < 500ms', 'p95 < 400ms', 'p95 <= 500ms', 'persona:sarah p95 < 500ms', 'error_rate < 1%']);
  assert.equal(kept[0], all[0], 'the first of the repeats is kept');
});
