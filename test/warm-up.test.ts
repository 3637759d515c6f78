/** The warm-up of the run's own request path (src/run/warm-up.ts): it runs, and nothing of it leaves the process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadInputs } from '../src/inputs/config.js';
import { buildPlan } from '../src/plan/plan.js';
import { Redactor } from '../src/redact.js';
import { WARM_PATH, uploadsFiles, warmRunPath } from '../src/run/warm-up.js';
import { run as runInProcess } from '../src/index.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';

async function project(target: string, other: string, thinkTime: string) {
  return writeProject({
    config: [
      'name: warm',
      `target: ${target}`,
      'personas: personas',
      'locations: locations.csv',
      'concurrency: 4',
      'journey:',
      '  - name: here',
      '    request: { method: GET, path: "/here/{{location.id}}" }',
      '  - name: elsewhere',
      `    request: { method: GET, url: "${other}/there/{{location.id}}" }`,
      '',
    ].join('\n'),
    personas: { 'p.yaml': `name: p\nthinkTime: ${thinkTime}\n` },
    locations: locationsCsv(40),
  });
}

test('the warm-up runs the plan\'s journeys without waiting their think times, and no request reaches the target or another host', async (t) => {
  const target = await startCountingServer({ delayMs: 0 });
  const other = await startCountingServer({ delayMs: 0 });
  t.after(() => Promise.all([target.close(), other.close()]));
  const dir = await project(target.url, other.url, '2s');
  const inputs = await loadInputs({ cwd: dir, overrides: {} });
  const plan = buildPlan(inputs.personas, inputs.locations, { order: inputs.config.order, iterations: inputs.config.iterations, seed: inputs.config.seed });
  const started = performance.now();
  const results = await warmRunPath(inputs, new Redactor(inputs.secrets, inputs.config.redact), plan);
  const ms = performance.now() - started;
  console.log(`warm-up of ${Math.min(WARM_PATH.visits, Math.ceil(plan.size / WARM_PATH.share))} visits (2 steps, think time 2s) in ${ms.toFixed(0)} ms`);
  assert.equal(results, 2 * Math.ceil(plan.size / WARM_PATH.share), 'every warm-up visit ran both steps');
  assert.ok(ms < 1500, `think times are not waited (${ms.toFixed(0)} ms)`);
  assert.deepEqual([target.requests, other.requests], [0, 0]);
});

test('a run\'s target and other hosts see exactly the planned requests: the warm-up adds none', async (t) => {
  const target = await startCountingServer({ delayMs: 0 });
  const other = await startCountingServer({ delayMs: 0 });
  t.after(() => Promise.all([target.close(), other.close()]));
  const dir = await project(target.url, other.url, '0ms');
  // The CLI's full collection of start-up's garbage (bin/troupe.js, run/startup-gc.ts), stood in for
  // here: it runs once the warm-up is done and before the first measured request.
  const collect = Symbol.for('troupe.collectGarbage');
  const seenAt: number[] = [];
  (globalThis as Record<symbol, unknown>)[collect] = () => seenAt.push(target.requests);
  t.after(() => delete (globalThis as Record<symbol, unknown>)[collect]);
  const result = await runInProcess({ cwd: dir, config: join(dir, 'troupe.config.yaml'), out: join(dir, 'out') });
  assert.equal(result.status, 'complete');
  assert.deepEqual([target.requests, other.requests], [40, 40]);
  assert.equal(seenAt[0], 0, 'start-up\'s garbage is collected before the first request reaches the target');
});

test('personas that upload files are not warmed (no file is read and pushed before the run)', () => {
  assert.equal(uploadsFiles({ name: 'a', journey: [{ name: 's', request: { method: 'POST', multipart: { note: 'hi', data: { file: '/tmp/x.bin', size: 5 } } } }] }), true);
  assert.equal(uploadsFiles({ name: 'b', setup: [{ request: { multipart: { f: { file: 'y' } } } }] }), true);
  assert.equal(uploadsFiles({ name: 'c', request: { method: 'POST', multipart: { note: 'only fields' } } }), false);
  assert.equal(uploadsFiles({ name: 'd', request: { method: 'POST', json: { file: 'not a part' } } }), false);
});
