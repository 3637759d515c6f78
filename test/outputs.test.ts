/**
 * Outputs are named plug-ins with one lifecycle: an unknown name lists the valid ones (exit 2), a
 * failure to start stops the ones already started in reverse and names the output, and an end-of-run
 * output that fails is reported by name with exit 4 while the rest is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ExitCode, InputError, OutputError, UsageError } from '../src/errors.js';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { OutputManager, type Output } from '../src/sinks/output.js';
import { OUTPUTS, parseOutput, registerOutput, selectOutputs } from '../src/sinks/registry.js';
import { runCli } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };

async function demoProject() {
  return writeProject({
    config: ['name: outputs', 'target: demo', 'locations: locations.csv', 'request: { method: POST, path: /api/v1/analyze, json: { address: "{{location.route}}", radius_miles: 5 } }', 'concurrency: 2', 'demo: { missLatency: 0ms }', 'out: out', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n' },
    locations: locationsCsv(3),
  });
}

/** A fake live output that logs its lifecycle into `log`. */
function recorder(name: string, log: string[], fail?: 'start' | 'stop'): Output {
  return {
    name,
    when: 'live',
    start: async () => {
      if (fail === 'start') throw new Error('port already in use');
      log.push(`start ${name}`);
    },
    write: () => undefined,
    stop: async () => {
      log.push(`stop ${name}`);
      if (fail === 'stop') throw new Error('disk full');
    },
  };
}

test('an unknown output name is exit 2 and lists the valid ones, from a flag and from the config', () => {
  assert.throws(() => parseOutput('prometheos', { flag: '--output' }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, ExitCode.usage);
    assert.equal(err.message, `--output: unknown output "prometheos"; valid outputs: ${[...OUTPUTS.keys()].join(', ')}`);
    return true;
  });
  assert.throws(() => selectOutputs({ command: 'run', progress: false, reports: false, config: { specs: ['junit', 'htlm'], file: 'troupe.config.yaml' } }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /^troupe\.config\.yaml, at outputs\[1\]: unknown output "htlm"; valid outputs: ndjson, snapshots, progress, csv, pdf, html, junit, markdown, history, prometheus, prometheus-rw, otlp$/);
    return true;
  });
  assert.throws(() => parseOutput('progress', { flag: '--output' }, 'bench'), /valid outputs for bench: ndjson, snapshots, csv, pdf, html, junit, markdown, history, prometheus, prometheus-rw, otlp$/);
  assert.throws(() => parseOutput('otlp', { flag: '--output' }), /--output: output "otlp" needs otlp=ARG: URL/);
  assert.throws(() => parseOutput('csv=x', { flag: '--output' }), /output "csv" takes no argument/);
  assert.deepEqual(parseOutput('junit=out/j.xml', { flag: '--output' }), { name: 'junit', arg: 'out/j.xml' });
});

test('selectOutputs: the run directory\'s own outputs first, --no-reports drops csv and pdf, each request once', () => {
  const names = (s: Parameters<typeof selectOutputs>[0]) => selectOutputs(s).map((r) => (r.arg ? `${r.name}=${r.arg}` : r.name));
  assert.deepEqual(names({ command: 'run', progress: true, reports: true, config: { specs: ['markdown'], file: null } }), ['ndjson', 'snapshots', 'progress', 'csv', 'pdf', 'markdown']);
  assert.deepEqual(names({ command: 'run', progress: false, reports: false, flags: ['junit', 'junit', 'junit=a.xml'] }), ['ndjson', 'snapshots', 'junit', 'junit=a.xml']);
  assert.deepEqual(names({ command: 'bench', progress: true, reports: false, flags: ['csv'] }), ['ndjson', 'snapshots', 'csv']);
  // A path in a config file is relative to the file, as every path there; a flag's stays as given (relative to the current folder).
  assert.deepEqual(names({ command: 'run', progress: false, reports: false, config: { specs: ['junit=ci/j.xml'], file: '/p/troupe.yaml' }, flags: ['junit=x.xml'] }), ['ndjson', 'snapshots', 'junit=/p/ci/j.xml', 'junit=x.xml']);
});

test('OutputManager: when one output fails to start, the ones started are stopped in reverse and the error names it', async () => {
  const log: string[] = [];
  const manager = new OutputManager([recorder('a', log), recorder('b', log), recorder('broken', log, 'start'), recorder('never', log)]);
  await assert.rejects(manager.start(), (err: unknown) => {
    assert.ok(err instanceof OutputError);
    assert.equal(err.output, 'broken');
    assert.equal(err.exitCode, ExitCode.artifactFailed);
    assert.equal(err.message, 'output "broken" could not start: port already in use');
    return true;
  });
  assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a']);
});

test('OutputManager: a live output that fails to stop does not keep the others from stopping; the error names it', async () => {
  const log: string[] = [];
  const manager = new OutputManager([recorder('a', log), recorder('leaky', log, 'stop'), recorder('c', log)]);
  await manager.start();
  await assert.rejects(manager.stopLive(), { name: 'OutputError', message: 'output "leaky" could not be completed: disk full' });
  assert.deepEqual(log, ['start a', 'start leaky', 'start c', 'stop c', 'stop leaky', 'stop a']);
});

test('a registered output that fails to start: the run stops before the engine, started outputs are stopped in reverse', async (t) => {
  const log: string[] = [];
  t.after(registerOutput('fake-first', { description: 'test', when: 'live', create: () => recorder('fake-first', log) }));
  t.after(registerOutput('fake-broken', { description: 'test', when: 'live', create: () => recorder('fake-broken', log, 'start') }));
  const project = await demoProject();
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const outputs = selectOutputs({ command: 'run', progress: false, reports: false, flags: ['fake-first', 'fake-broken'] });
  await assert.rejects(executeRun({ inputs, progress: quiet, outputs }), (err: unknown) => err instanceof OutputError && err.output === 'fake-broken');
  assert.deepEqual(log, ['start fake-first', 'stop fake-first']);
  const [id] = await readdir(join(project, 'out'));
  const dir = join(project, 'out', id!);
  assert.equal((await stat(join(dir, 'results.ndjson'))).size, 0, 'no request was sent');
  const manifest = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
  assert.equal(manifest.status, 'failed');
  assert.equal(manifest.reason, 'output "fake-broken" could not start: port already in use');
});

test('an end-of-run output that fails: exit 4 naming it, and the other artifacts are written', async (t) => {
  t.after(registerOutput('fake-report', {
    description: 'test',
    when: 'end',
    create: () => ({ name: 'fake-report', when: 'end', start: async () => undefined, stop: async (end) => { if (end) throw new Error('renderer crashed'); } }),
  }));
  const project = await demoProject();
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const outputs = selectOutputs({ command: 'run', progress: false, reports: false, flags: ['fake-report', 'markdown'] });
  const result = await executeRun({ inputs, progress: quiet, outputs });
  assert.equal(result.status, 'complete');
  assert.equal(result.artifacts.failed.length, 1);
  const [failure] = result.artifacts.failed;
  assert.equal(failure!.exitCode, ExitCode.artifactFailed);
  assert.equal(failure!.message, 'output "fake-report" could not be written: renderer crashed');
  assert.ok((await stat(join(result.runDir, 'summary.md'))).size > 0, 'markdown was still written');
});

test('troupe run --output with an unknown name: exit 2 before anything is sent, listing the valid outputs', async () => {
  const project = await demoProject();
  const result = await runCli(['run', '--no-progress', '--output', 'prometheos'], { cwd: project });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^troupe: --output: unknown output "prometheos"; valid outputs: ndjson, snapshots, progress, csv, pdf, html, junit, markdown, history, prometheus, prometheus-rw, otlp\n/);
  await assert.rejects(readdir(join(project, 'out')), { code: 'ENOENT' }, 'no run directory');
});
