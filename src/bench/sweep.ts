/**
 * The two ways a capacity level is measured: autocannon against a URL (in memory, no run directory), or
 * troupe's own engine on a persona config (one run directory per level under `<out>/levels/`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedInputs } from '../inputs/types.js';
import type { ResponseBlock, ResultRecord } from '../engine/records.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { ScopeSummary } from '../metrics/aggregate.js';
import { executeRun } from '../run/execute.js';
import type { TerminalInfo } from '../sinks/terminal.js';
import { systemClock } from '../engine/clock.js';
import { toJson, writeFileAtomic } from '../util/atomic-write.js';
import { runAutocannon, type BenchOptions } from './autocannon.js';
import { BenchTape } from './tape.js';
import { CAPACITY_FORMATS, capacityCsv, findKnee, type Knee, type KneeRule, type LevelKind, type LevelResult } from './capacity.js';

export type MeasureLevel = (level: number) => Promise<LevelResult>;

function levelResult(level: number, global: Pick<ScopeSummary, 'requests' | 'errors' | 'latency'>, seconds: number): LevelResult {
  return {
    level,
    requests: global.requests,
    errors: global.errors,
    errorRate: global.requests ? global.errors / global.requests : null,
    rps: seconds > 0 ? global.requests / seconds : 0,
    p50: global.latency.p50,
    p95: global.latency.p95,
    p99: global.latency.p99,
  };
}

export function measureUrl(bench: BenchOptions, kind: LevelKind, stepMs: number, signal?: AbortSignal): MeasureLevel {
  return async (level) => {
    const metrics = new RunMetrics();
    const options: BenchOptions = { ...bench, durationS: stepMs / 1000, ...(kind === 'connections' ? { connections: level } : { rate: level }) };
    delete options.amount;
    const url = new URL(options.url);
    // As `troupe bench` records (run.ts): responses as numbers into the cache-status scopes, failures as records.
    const sink = { record: (r: ResultRecord) => metrics.addUniform(r), responseRecords: false, responses: (block: ResponseBlock) => metrics.addResponses('bench', block) };
    const tape = new BenchTape(options.url, url.pathname + url.search, options.method.toUpperCase(), sink, systemClock);
    const totals = await runAutocannon(options, tape, signal);
    tape.flush();
    const global = metrics.uniformGlobal();
    return levelResult(level, { requests: global.requests, errors: global.errors, latency: global.latency.stats() }, totals.durationS);
  };
}

/** Closed model: `concurrency` = level for the step (the plan repeats as often as needed); rate: an open-model phase at `level`/s. */
export function measureConfig(inputs: LoadedInputs, kind: LevelKind, stepMs: number, outDir: string, terminal: TerminalInfo, signal?: AbortSignal): MeasureLevel {
  return async (level) => {
    const base = inputs.config;
    const perIteration = Math.max(1, inputs.personas.length * inputs.locations.length);
    const config =
      kind === 'connections'
        ? { ...base, concurrency: level, load: null, iterations: Math.max(base.iterations, Math.ceil(1_000_000 / perIteration)) }
        : { ...base, load: { phases: [{ durationMs: stepMs, rate: level }], arrival: 'uniform' as const, maxInFlight: Math.max(100, Math.ceil(level * 10)) } };
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), kind === 'connections' ? stepMs : stepMs * 3 + 10_000);
    const onOuter = () => stop.abort();
    signal?.addEventListener('abort', onOuter, { once: true });
    try {
      const result = await executeRun({
        inputs: { ...inputs, config: { ...config, outDir: join(outDir, 'levels'), name: `${kind}-${level}` } },
        signal: stop.signal,
        graceMs: 5000,
        progress: { stream: process.stderr, terminal, enabled: false },
      });
      const seconds = kind === 'connections' ? (result.summary.global.durationMs ?? stepMs) / 1000 : stepMs / 1000;
      return levelResult(level, result.summary.global, seconds);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onOuter);
    }
  };
}

export interface SweepResult {
  levels: LevelResult[];
  knee: Knee;
  files: string[];
  /** The signal stopped the sweep: the level it cut is left out, not judged on a part of its step. */
  interrupted: boolean;
}

/**
 * Every level in turn (stopping early only on the signal, which drops the level it cut), the knee, then
 * capacity.csv/json/pdf in `outDir` (or those of them `formats` names).
 */
export async function sweep(options: {
  target: string;
  kind: LevelKind;
  levels: number[];
  stepMs: number;
  rule: KneeRule;
  measure: MeasureLevel;
  outDir: string;
  /** Which of CAPACITY_FORMATS to write; all by default. */
  formats?: readonly string[];
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<SweepResult> {
  const startedAt = new Date();
  const results: LevelResult[] = [];
  for (const level of options.levels) {
    if (options.signal?.aborted) break;
    options.log(`level ${options.kind} ${level}: ${options.stepMs / 1000} s`);
    const r = await options.measure(level);
    if (options.signal?.aborted) {
      options.log(`  interrupted: level ${level} left out`);
      break;
    }
    options.log(`  ${r.rps.toFixed(1)} req/s, p95 ${r.p95?.toFixed(1) ?? '-'} ms, errors ${r.errors}/${r.requests}`);
    results.push(r);
  }
  const interrupted = options.signal?.aborted ?? false;
  const knee = findKnee(results, options.rule);
  await mkdir(options.outDir, { recursive: true });
  const formats = options.formats ?? CAPACITY_FORMATS;
  const files: string[] = [];
  if (formats.includes('csv')) {
    const csv = join(options.outDir, 'capacity.csv');
    await writeFileAtomic(csv, capacityCsv(options.kind, results, knee));
    files.push(csv);
  }
  if (formats.includes('json')) {
    const json = join(options.outDir, 'capacity.json');
    await writeFileAtomic(json, toJson({ target: options.target, kind: options.kind, stepMs: options.stepMs, rule: options.rule, startedAt: startedAt.toISOString(), interrupted, levels: results, knee }));
    files.push(json);
  }
  if (formats.includes('pdf')) {
    const pdf = join(options.outDir, 'capacity.pdf');
    // Loaded only when chosen: pdfkit and its fonts are most of the command's start-up.
    const { renderCapacityPdf } = await import('./capacity-pdf.js');
    await writeFileAtomic(pdf, await renderCapacityPdf({ target: options.target, kind: options.kind, stepDurationMs: options.stepMs, levels: results, knee, rule: options.rule, startedAt }));
    files.push(pdf);
  }
  return { levels: results, knee, files, interrupted };
}
