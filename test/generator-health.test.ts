/**
 * troupe's own health: the sampler on fake time with scripted figures (the rules), the threshold metrics,
 * and the merge of shards. The real runs (a loop blocked on purpose, a quiet one) are in generator-saturation.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeGeneratorHealth, SATURATION, type GeneratorHealth, type LoopDelay } from '../src/metrics/generator.js';
import { evaluateThresholds, parseThreshold, ThresholdSyntaxError } from '../src/metrics/thresholds.js';
import { GeneratorHealthMonitor, generatorHealth, type HealthProbe } from '../src/run/generator-health.js';
import { FakeClock } from './helpers/fake-clock.js';

/** A probe that reports what the test scripts, second by second (the last entry repeats). */
function scriptedProbe(script: { delay: LoopDelay; busy: number; cpuMsPerS: number }[], total: LoopDelay, clock: FakeClock): HealthProbe & { closed: boolean } {
  let i = 0;
  let cpuMs = 0;
  let last = clock.now();
  const current = () => script[Math.min(i, script.length - 1)]!;
  return {
    closed: false,
    intervalDelay: () => current().delay,
    totalDelay: () => total,
    intervalBusy() {
      const b = current().busy;
      return b;
    },
    cpuMicros() {
      const now = clock.now();
      cpuMs += (current().cpuMsPerS * (now - last)) / 1000;
      last = now;
      i++;
      return cpuMs * 1000;
    },
    close() {
      this.closed = true;
    },
  };
}

const calm: LoopDelay = { p50: 0.1, p99: 1.5, max: 3 };

describe('GeneratorHealthMonitor (fake clock, scripted probe)', () => {
  it('samples once per wall-clock second, aligned to whole seconds, with CPU as % of one core', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1) + 400); // starts 400 ms into a second
    const probe = scriptedProbe([{ delay: calm, busy: 0.3, cpuMsPerS: 250 }], calm, clock);
    const monitor = new GeneratorHealthMonitor({ clock, probe });
    monitor.start();
    await clock.advance(3_000);
    const health = monitor.stop();
    assert.ok(probe.closed, 'the probe is closed');
    assert.equal(clock.pending, 0, 'no timer left behind');
    const epoch = Date.UTC(2026, 0, 1);
    // 0.4→1.0 s (first, partial), 1→2, 2→3, 3→3.4 (last, partial): each row on the second it covers.
    assert.deepEqual(health.seconds.map((s) => s.at - epoch), [0, 1000, 2000, 3000]);
    for (const s of health.seconds) {
      assert.equal(s.cpuPct, 25, 'cpu 250 ms a second is 25 % of one core');
      assert.equal(s.busyPct, 30);
      assert.equal(s.lagP99Ms, 1.5);
    }
    assert.equal(health.monitoredMs, 3000);
    assert.deepEqual(health.cpuPct, { mean: 25, max: 25 });
    assert.deepEqual(health.busyPct, { mean: 30, max: 30 });
    assert.deepEqual(generatorHealth(health).reasons, []);
    assert.equal(generatorHealth(health).saturated, false);
  });

  it('a peak is never below the mean: a burst in the short first interval counts in the mean, not in a second', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1) + 900); // the first interval is 100 ms
    const probe = scriptedProbe([{ delay: calm, busy: 1, cpuMsPerS: 5000 }, { delay: calm, busy: 0.05, cpuMsPerS: 50 }], calm, clock);
    const monitor = new GeneratorHealthMonitor({ clock, probe });
    monitor.start();
    await clock.advance(2_100);
    const health = monitor.stop();
    // 500 ms of CPU in the first 100 ms, then 50 ms a second for 2 s: 600 ms over 2.1 s.
    assert.equal(health.cpuPct.mean, 28.571);
    assert.equal(health.cpuPct.max, 28.571, 'the whole seconds peaked at 5 %, below the mean');
    assert.ok(health.busyPct.max! >= health.busyPct.mean!, JSON.stringify(health.busyPct));
  });

  it('busy ≥ 90 % for 3 seconds in a row is saturation, warned once; 2 seconds are not', async () => {
    const busy = { delay: calm, busy: 0.95, cpuMsPerS: 950 };
    const idle = { delay: calm, busy: 0.2, cpuMsPerS: 200 };
    const run = async (script: (typeof busy)[]) => {
      const clock = new FakeClock();
      const warnings: string[] = [];
      const monitor = new GeneratorHealthMonitor({ clock, probe: scriptedProbe(script, calm, clock), onSaturated: (r) => warnings.push(r) });
      monitor.start();
      await clock.advance(script.length * 1000);
      return { health: generatorHealth(monitor.stop()), warnings };
    };
    const twice = await run([busy, busy, idle, busy, busy, idle]);
    assert.equal(twice.health.saturated, false, 'two busy seconds, a break, two more: not sustained');
    assert.equal(twice.health.longestBusyS, 2);
    assert.deepEqual(twice.warnings, []);

    const sustained = await run([idle, busy, busy, busy, busy, busy, idle]);
    assert.equal(sustained.health.saturated, true);
    assert.equal(sustained.health.longestBusyS, 5);
    assert.deepEqual(sustained.health.reasons, [`troupe was busy ≥ 90 % of a core for 5 s in a row (limit ${SATURATION.busySeconds} s)`]);
    assert.equal(sustained.warnings.length, 1, 'warned once, not each second');
    assert.match(sustained.warnings[0]!, /busy ≥ 90 % of a core for 3 s in a row/, 'warned when the streak reached the limit');
  });

  it('loop delay p99 ≥ 10 ms is saturation once 1 s was monitored; a shorter run is not judged on it', async () => {
    const lagging: LoopDelay = { p50: 4, p99: 25, max: 40 };
    const clock = new FakeClock();
    const short = new GeneratorHealthMonitor({ clock, probe: scriptedProbe([{ delay: lagging, busy: 0.5, cpuMsPerS: 500 }], lagging, clock) });
    short.start();
    await clock.advance(600);
    assert.equal(generatorHealth(short.stop()).saturated, false, '0.6 s: too few samples for a p99');

    const warnings: string[] = [];
    const long = new GeneratorHealthMonitor({ clock, probe: scriptedProbe([{ delay: lagging, busy: 0.5, cpuMsPerS: 500 }], lagging, clock), onSaturated: (r) => warnings.push(r) });
    long.start();
    await clock.advance(2_500);
    const health = generatorHealth(long.stop());
    assert.equal(health.saturated, true);
    assert.deepEqual(health.reasons, ['troupe event-loop delay p99 was 25 ms (limit 10 ms)']);
    assert.deepEqual(health.loopDelayMs, lagging);
    assert.equal(warnings.length, 1);
  });

  it('names the thread: with workers, the main thread and each worker', () => {
    const quiet = { loopDelayMs: calm, busyPct: { mean: 10, max: 20 }, monitoredMs: 5000, longestBusyS: 0 };
    const main = { ...quiet, cpuPct: { mean: 150, max: 180 }, seconds: [] };
    const health = generatorHealth(main, [{ worker: 2, ...quiet, longestBusyS: 4 }, { worker: 1, ...quiet, loopDelayMs: { p50: 1, p99: 12, max: 30 } }]);
    assert.deepEqual(health.workers!.map((w) => w.worker), [1, 2]);
    assert.deepEqual(health.reasons, ['worker 1 event-loop delay p99 was 12 ms (limit 10 ms)', 'worker 2 was busy ≥ 90 % of a core for 4 s in a row (limit 3 s)']);
  });
});

function summaryWith(generator?: GeneratorHealth) {
  const scope = { requests: 10, errors: 0, latency: { count: 10, p99: 5 } } as never;
  return { global: scope, personas: {}, locations: {}, steps: {}, cacheStatus: {}, ...(generator ? { generator } : {}) } as never;
}

function health(overrides: Partial<GeneratorHealth> = {}): GeneratorHealth {
  return {
    method: 'test',
    loopDelayMs: { p50: 0.2, p99: 3, max: 8 },
    busyPct: { mean: 40, max: 60 },
    cpuPct: { mean: 45, max: 70 },
    monitoredMs: 4000,
    longestBusyS: 0,
    seconds: [],
    saturated: false,
    reasons: [],
    limits: { ...SATURATION },
    ...overrides,
  };
}

describe('generator thresholds', () => {
  it('parse: generator_lag_p50/p99/max take durations, generator_cpu a percentage; a scope is refused', () => {
    assert.equal(parseThreshold('generator_lag_p99 < 5ms').limit, 5);
    assert.equal(parseThreshold('generator_lag_max < 1s').limit, 1000);
    assert.equal(parseThreshold('generator_lag_p50 <= 1ms').kind, 'latency');
    assert.equal(parseThreshold('generator_cpu < 90%').limit, 0.9);
    assert.throws(() => parseThreshold('generator_lag_p99 < 5'), /add a unit/);
    assert.throws(() => parseThreshold('persona:sarah generator_lag_p99 < 5ms'), (err: unknown) => err instanceof ThresholdSyntaxError && /measured on troupe itself for the whole run; remove the persona: scope/.test(err.message));
  });

  it('judge the worst thread\'s delay and the process CPU; fail with "no data" on a summary without generator figures', () => {
    const ts = ['generator_lag_p99 < 5ms', 'generator_lag_max < 10ms', 'generator_cpu < 50%'].map(parseThreshold);
    const fine = evaluateThresholds(summaryWith(health()), ts);
    assert.equal(fine.passed, true, JSON.stringify(fine));
    assert.equal(fine.results[0]!.message, 'generator_lag_p99 was 3 ms, limit < 5 ms');
    assert.equal(fine.results[2]!.measured, 0.45);

    const worker = health({ workers: [{ worker: 1, loopDelayMs: { p50: 1, p99: 7.5, max: 9 }, busyPct: { mean: 80, max: 95 }, monitoredMs: 4000, longestBusyS: 1 }] });
    const judged = evaluateThresholds(summaryWith(worker), ts);
    assert.deepEqual(judged.results.map((r) => r.passed), [false, true, true]);
    assert.equal(judged.results[0]!.message, 'generator_lag_p99 was 7.5 ms, limit < 5 ms');

    const none = evaluateThresholds(summaryWith(), ts);
    assert.equal(none.passed, false);
    assert.match(none.results[0]!.message, /^no data for generator_lag_p99: this run has no generator figures/);
  });

  it('shards merge as the worst of each figure, saturated when any shard was', () => {
    const a = health();
    const b = health({ loopDelayMs: { p50: 1, p99: 14, max: 50 }, cpuPct: { mean: 95, max: 99 }, saturated: true, reasons: ['troupe event-loop delay p99 was 14 ms (limit 10 ms)'] });
    const merged = mergeGeneratorHealth([a, b])!;
    assert.deepEqual(merged.loopDelayMs, { p50: 1, p99: 14, max: 50 });
    assert.deepEqual(merged.cpuPct, { mean: 95, max: 99 });
    assert.equal(merged.saturated, true);
    assert.deepEqual(merged.reasons, ['shard 2: troupe event-loop delay p99 was 14 ms (limit 10 ms)']);
    assert.equal(merged.shards, 2);
    assert.equal(mergeGeneratorHealth([]), undefined);
  });
});
