/**
 * The CI gate end to end: the built binary, its exit codes, and the files and streams a CI job reads.
 * Runs use the shipped example against the embedded demo target (about a second each).
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { ResultRecord } from '../src/engine/records.js';
import * as api from '../src/index.js';
import { ExitCode, TroupeError } from '../src/errors.js';
import { RunMetrics } from '../src/metrics/run-metrics.js';
import { onlyRunDir, REPO_ROOT, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { InvalidArgumentError } from 'commander';
import { percentOption } from '../src/cli/options.js';
import { COMPARE_DEFAULTS, compareSummaries, readSummary } from '../src/reports/compare.js';
import { closedPortUrl, startCountingServer } from './helpers/servers.js';

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
}

/** Parses JUnit XML with a real XML parser; testcase is always a list. */
async function readJunit(path: string) {
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' || name === 'testsuite' });
  const doc = parser.parse(await readFile(path, 'utf8'));
  const suites = doc.testsuites.testsuite as Array<Record<string, unknown> & { testcase?: JunitCase[] }>;
  assert.equal(suites.length, 1, 'one testsuite per run');
  return { suite: suites[0]!, cases: suites[0]!.testcase ?? [] };
}

/** A baseline far faster than the demo target can be: every request 0.5 ms. */
async function fastBaseline(dir: string): Promise<string> {
  const metrics = new RunMetrics();
  for (let i = 0; i < 80; i++) {
    const r: ResultRecord = {
      type: 'result', id: `p/${i}`, persona: 'Sarah the site selector', location: 'x', iteration: 1, step: 'request', method: 'POST', url: 'http://x/',
      status: 200, ok: true, error: null, latencyMs: 0.5, ttfbMs: 0.4, bytes: 1000, cache: i < 64 ? 'hit' : 'miss', startedAt: 1_700_000_000_000 + i,
    };
    metrics.add(r);
  }
  const path = join(dir, 'baseline-summary.json');
  await writeFile(path, JSON.stringify({ runId: 'fast-baseline', name: 'fast', ...metrics.toSummary() }));
  return path;
}

/** The error a refused call ends with: a TroupeError with exit code 2. */
async function refusal(promise: Promise<unknown>): Promise<TroupeError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TroupeError, `expected a TroupeError, got ${String(error)}`);
  assert.equal(error.exitCode, ExitCode.usage, error.message);
  return error;
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['run', '--no-reports', ...args], { cwd: REPO_ROOT, env, timeoutMs: 60_000 });

const ESC = '\u001b[';
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('troupe run as a CI gate', () => {
  it('exits 0 when thresholds hold; --json: stdout is one document, progress lines went to stderr, plain; JUnit, summary.md and the step summary agree', async (t) => {
    // 1 persona × 100 locations at concurrency 1, ~60 ms each: long enough for a 5-second progress line.
    const server = await startCountingServer({ delayMs: 60 });
    t.after(() => server.close());
    const dir = await tempDir();
    await writeFile(join(dir, 'solo.yaml'), 'name: Solo the only one\n');
    await writeFile(join(dir, 'locations.csv'), ['id', ...Array.from({ length: 100 }, (_, i) => `loc-${i}`)].join('\n'));
    await writeFile(join(dir, 'troupe.config.yaml'), [`target: ${server.url}`, 'personas: solo.yaml', 'locations: locations.csv', 'concurrency: 1', 'request: { method: GET, path: "/x/{{location.id}}" }'].join('\n'));
    const out = join(dir, 'runs');
    const ci = await tempDir();
    const junit = join(ci, 'reports', 'junit.xml');
    const stepSummary = join(ci, 'step-summary.md');
    await writeFile(stepSummary, '# earlier step\n');
    // NO_COLOR unset: no colour must come from stderr not being a terminal, not from NO_COLOR.
    const result = await runCli(['run', '--no-reports', '--out', out, '--threshold', 'p95 < 10s', '--threshold', 'persona:solo error_rate < 1%', '--json', '--junit', junit], { cwd: dir, env: { NO_COLOR: undefined, GITHUB_STEP_SUMMARY: stepSummary }, timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);

    const doc = JSON.parse(result.stdout);
    assert.equal(doc.global.requests, 100);
    assert.equal(doc.thresholds.passed, true);
    assert.deepEqual(doc.thresholds.results.map((r: { scope: string }) => r.scope), ['global', 'persona:Solo the only one']);
    assert.match(result.stderr, /persona\s+requests/, 'the table goes to stderr');
    assert.match(result.stderr, /thresholds: all 2 passed/);
    assert.match(result.stderr, /^progress: \d+\/100 requests/m);
    assert.ok(!result.stderr.includes('\r'), 'no carriage returns: stderr is not a terminal');
    assert.ok(!result.stderr.includes(ESC), 'no ANSI colour without FORCE_COLOR');

    const runDir = await onlyRunDir(out);
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.thresholds, doc.thresholds, 'summary.json holds the same verdict');

    const { suite, cases } = await readJunit(junit);
    assert.equal(suite['@_tests'], '2');
    assert.equal(suite['@_failures'], '0');
    assert.deepEqual(cases.map((c) => c['@_name']), ['p95 < 10s', 'persona:solo error_rate < 1%']);
    assert.ok(cases.every((c) => c.failure === undefined));

    const markdown = await readFile(join(runDir, 'summary.md'), 'utf8');
    assert.match(markdown, /## troupe run `run-.*`: ✅ passed/);
    assert.match(markdown, /\| ✅ \| `p95 < 10s` \| p95 was .* ms, limit < 10 s \|/);
    const appended = await readFile(stepSummary, 'utf8');
    assert.ok(appended.startsWith('# earlier step\n'), 'appended, not overwritten');
    assert.ok(appended.includes(markdown));
  });

  // One spawn for both exit-1 causes (failed thresholds and a regression against --baseline): the
  // exit code, stderr, --json and the JUnit file of each are asserted on it by the two tests below.
  let failing: Promise<{ result: CliResult; out: string; junit: string }> | undefined;
  const failingRun = () => (failing ??= (async () => {
    const out = await tempDir();
    const baseline = await fastBaseline(out);
    const junit = join(out, 'junit.xml');
    // FORCE_COLOR=1 on a piped stderr: colour, still no bars (stderr is not a terminal), and stdout still
    // one JSON document; the text assertions below read stderr with the colour taken out.
    const raw = await run(['--out', join(out, 'runs'), '--threshold', 'p95 < 1ms', '--threshold', 'error_rate < 1%', '--threshold', 'checks >= 99%', '--baseline', baseline, '--json', '--junit', junit], { NO_COLOR: undefined, FORCE_COLOR: '1' });
    assert.equal(raw.code, 1, raw.stderr);
    assert.ok(raw.stderr.includes(ESC), 'colour when forced');
    assert.ok(!raw.stderr.includes('\r'), 'still no bars: stderr is not a terminal');
    assert.ok(!raw.stdout.includes(ESC), 'no colour in the --json document');
    const result = { ...raw, stderr: plain(raw.stderr) };
    return { result, out, junit };
  })());
  const isRegressionCase = (c: JunitCase) => c['@_name'].endsWith(' vs baseline');

  it('exits 1 when a threshold fails; the JUnit failure carries measured vs limit; FORCE_COLOR=1 colours a piped stderr', async () => {
    const { result, out, junit } = await failingRun();
    assert.match(result.stderr, /thresholds: 2 of 3 failed/);
    assert.match(result.stderr, /✗ FAIL {2}p95 < 1ms {2}— {2}p95 was [\d.]+ ms, limit < 1 ms/);
    assert.match(result.stderr, /no data for checks: this run ran no checks/);

    const { suite, cases } = await readJunit(junit);
    const thresholdCases = cases.filter((c) => !isRegressionCase(c));
    assert.equal(thresholdCases.length, 3);
    assert.equal(thresholdCases.filter((c) => c.failure !== undefined).length, 2);
    assert.equal(suite['@_tests'], String(cases.length));
    assert.equal(suite['@_failures'], String(cases.filter((c) => c.failure !== undefined).length));
    const p95 = cases.find((c) => c['@_name'] === 'p95 < 1ms')!;
    assert.equal(p95.failure!['@_type'], 'threshold');
    assert.match(p95.failure!['@_message'], /^p95 was [\d.]+ ms, limit < 1 ms$/);
    assert.match(p95.failure!['#text'], /measured: [\d.]+ ms\nlimit: < 1 ms/);
    assert.equal(cases.find((c) => c['@_name'] === 'error_rate < 1%')!.failure, undefined);

    const runDir = await onlyRunDir(join(out, 'runs'));
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.thresholds.passed, false);
  });

  it('exits 1 on a regression against --baseline and writes compare.json and compare.csv into the run directory', async () => {
    const { result, out, junit } = await failingRun();
    assert.match(result.stderr, /compared with baseline fast-baseline/);
    assert.match(result.stderr, /global\s+p95\s+0\.5 ms\s+[\d.]+ ms\s+\+[\d.]+% worse\s+10%\s+regression/);
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.comparison.passed, false);

    const runDir = await onlyRunDir(join(out, 'runs'));
    const files = await readdir(runDir);
    for (const file of ['compare.json', 'compare.csv', 'summary.md', 'summary.json']) assert.ok(files.includes(file), `${file} in ${files.join(', ')}`);
    const csv = await readFile(join(runDir, 'compare.csv'), 'utf8');
    assert.match(csv, /^global,p95,0\.5\d*,[\d.]+,[\d.]+,[\d.]+,worse,0\.1,relative,80,80,true,true,/m);
    assert.match(await readFile(join(runDir, 'summary.md'), 'utf8'), /### Compared with baseline `fast-baseline`: ❌ \d+ regressions?/);

    const { cases } = await readJunit(junit);
    const p95 = cases.find((c) => c['@_name'] === 'p95 (global) vs baseline')!;
    assert.equal(p95.failure!['@_type'], 'regression');
    assert.match(p95.failure!['@_message'], /p95 worse: 0\.5 ms → [\d.]+ ms/);
    assert.ok(cases.some((c) => c.skipped !== undefined), 'personas below 30 requests are skipped, not judged');
  });

  it('exits 2 on a malformed threshold, with a caret under the problem, and creates no run directory', async () => {
    // In-process: the CLI prints this message after "troupe: " with exit 2 (a refusal's path through
    // the CLI is hostile-cli's and cli-bad-input's; the exit code is the error's).
    const out = await tempDir();
    const error = await refusal(api.run({ cwd: REPO_ROOT, out, thresholds: ['p95 < 2x'] }));
    assert.ok(error.message.startsWith('--threshold "p95 < 2x": unit "x" does not fit for p95'), error.message);
    assert.ok(error.message.includes('\n  p95 < 2x\n         ^'), error.message);
    assert.deepEqual(await readdir(out), []);
  });

  it('exits 2 on a threshold scoped to an unknown persona, before the run', async () => {
    // In-process: the CLI prints this message after "troupe: " (the malformed-threshold case above shows it).
    const out = await tempDir();
    const error = await refusal(api.run({ cwd: REPO_ROOT, out, thresholds: ['persona:"Nobody Here" p95 < 1s'] }));
    assert.match(error.message, /unknown persona "Nobody Here"; the personas are "Diego the field rep"/);
    assert.ok(error.message.includes('\n  persona:"Nobody Here" p95 < 1s\n           ^'), error.message);
    assert.deepEqual(await readdir(out), []);
  });

  it('exits 2 on a bad threshold in the config file, naming the file and key', async () => {
    const dir = await tempDir();
    const config = join(dir, 'gate.yaml');
    await writeFile(
      config,
      [`personas: ${join(REPO_ROOT, 'personas')}`, `locations: ${join(REPO_ROOT, 'fixtures', 'locations.csv')}`, 'thresholds:', '  - p95 < 2s', '  - "location:atlantis p95 < 2s"'].join('\n'),
    );
    const error = await refusal(api.validate({ cwd: dir, config }));
    assert.match(error.message, /gate\.yaml, at thresholds\[1\]: invalid threshold: unknown location "atlantis"/);
    assert.ok(error.message.includes('\n  location:atlantis p95 < 2s\n           ^'), error.message);
  });

  it('exits 2 when --baseline is not a run, before the run', async () => {
    const out = await tempDir();
    const error = await refusal(api.run({ cwd: REPO_ROOT, out, baseline: join(out, 'nope') }));
    assert.match(error.message, /--baseline ".*nope": not found; expected a run directory or a summary\.json/);
    assert.deepEqual(await readdir(out), []);
  });

  it('exits 3 when the target is unreachable before the run, thresholds or not', async () => {
    const out = await tempDir();
    const result = await run(['--out', out, '--target', await closedPortUrl(), '--threshold', 'p95 < 2s', '--json']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /unreachable: connection refused/);
    assert.equal(result.stdout, '');
    assert.deepEqual(await readdir(out), []);
  });
});

describe('troupe compare', () => {
  it('exits 1 on a regression, passes within a wider tolerance; --out gets compare.csv', async () => {
    const dir = await tempDir();
    const baseline = await fastBaseline(dir);
    const slowDir = await tempDir();
    const slow = JSON.parse(await readFile(baseline, 'utf8'));
    // 15 % slower at every percentile: fails at 10 %, passes at 20 %.
    for (const scope of [slow.global, ...Object.values(slow.personas), ...Object.values(slow.steps)] as Array<{ latency: Record<string, number> }>) {
      for (const key of ['p50', 'p95', 'p99']) scope.latency[key] = 115;
    }
    const base = JSON.parse(await readFile(baseline, 'utf8'));
    for (const scope of [base.global, ...Object.values(base.personas), ...Object.values(base.steps)] as Array<{ latency: Record<string, number> }>) {
      for (const key of ['p50', 'p95', 'p99']) scope.latency[key] = 100;
    }
    await writeFile(join(dir, 'base.json'), JSON.stringify(base));
    await writeFile(join(slowDir, 'summary.json'), JSON.stringify({ ...slow, runId: 'slow-run' }));

    const failed = await runCli(['compare', join(dir, 'base.json'), slowDir, '--out', join(dir, 'cmp')], { cwd: REPO_ROOT });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /global\s+p95\s+100 ms\s+115 ms\s+\+15\.0% worse\s+10%\s+regression/);
    const csv = await readFile(join(dir, 'cmp', 'compare.csv'), 'utf8');
    assert.match(csv, /^global,p95,100,115,15,0\.15,worse,0\.1,relative,80,80,true,true,/m);

    // Within a wider tolerance it passes (the command exits 0 by the same `passed`), in-process: the
    // function the command calls, with what --max-regression 20% parses to.
    const comparison = compareSummaries(await readSummary(join(dir, 'base.json'), 'baseline'), await readSummary(slowDir, 'current'), { ...COMPARE_DEFAULTS, maxRegression: percentOption('20%') });
    assert.equal(comparison.passed, true);
    assert.equal(comparison.current.runId, 'slow-run');
    // A bad --max-regression is the flag parser's refusal (commander's exit 2 is cli-run.test.ts').
    assert.throws(() => percentOption('lots'), (e: Error) => e instanceof InvalidArgumentError && /expected a percentage such as 10%, got "lots"/.test(e.message));
  });
});

describe('examples/ci', () => {
  it('the CI config validates and the nightly workflow gates on the exit code with a baseline artifact', async () => {
    const { parse } = await import('yaml');
    const check = await api.validate({ cwd: REPO_ROOT, config: 'examples/ci/troupe.ci.yaml' });
    assert.ok(check.personas > 0 && check.locations > 0);

    const workflow = parse(await readFile(join(REPO_ROOT, 'examples', 'ci', 'github-actions-nightly.yml'), 'utf8'));
    assert.ok(workflow.on.schedule[0].cron);
    const steps = workflow.jobs['load-test'].steps as Array<{ uses?: string; run?: string; with?: Record<string, string>; if?: string }>;
    const run = steps.find((s) => s.run?.includes('npx troupe run'))!;
    assert.match(run.run!, /--baseline baseline\/summary\.json/);
    assert.match(run.run!, /--target "\$STAGING_URL"/);
    assert.match(run.run!, /exit \$code/, 'the job fails with troupe');
    const uploads = steps.filter((s) => s.uses?.startsWith('actions/upload-artifact'));
    assert.ok(uploads.some((s) => s.with!['name'] === 'troupe-baseline' && s.with!['path']!.endsWith('summary.json')));
    assert.ok(uploads.some((s) => s.with!['path']!.includes('report.pdf')));
    assert.ok(steps.some((s) => s.uses?.startsWith('actions/download-artifact') && s.with!['name'] === 'troupe-baseline'));
    // The history artifact goes round (downloaded, appended by --history, uploaded) and the trend page is kept.
    assert.match(run.run!, /--history history/);
    assert.ok(steps.some((s) => s.uses?.startsWith('actions/download-artifact') && s.with!['name'] === 'troupe-history' && s.with!['path'] === 'history'));
    assert.ok(uploads.some((s) => s.with!['name'] === 'troupe-history' && s.with!['path'] === 'history/'));
    assert.ok(steps.some((s) => s.run?.includes('npx troupe trend history/')));
    assert.ok(uploads.some((s) => s.with!['path']!.includes('reports/trend/')));
  });
});
