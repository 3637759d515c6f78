import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInputs } from '../src/inputs/config.js';
import { prepareResume } from '../src/run/resume.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { sampleManifest } from './helpers/run-dir-valid.js';

const CONFIG = `name: j
target: http://127.0.0.1:9
personas: personas
locations: locations.csv
journey:
  - name: one
    request: { method: GET, path: /a }
  - name: two
    request: { method: GET, path: /b }
  - name: three
    request: { method: GET, path: /c }
`;

function line(id: string, step: string, latencyMs: number): string {
  const [persona, location, iteration] = id.split('/');
  return JSON.stringify({ id, persona: persona === 'pat' ? 'Pat' : persona, location, iteration: Number(iteration), step, method: 'GET', url: '/', status: 200, ok: true, error: null, latencyMs, ttfbMs: latencyMs, bytes: 2, cache: 'unknown', startedAt: 1 });
}

test('resume counts every step of complete journeys and re-runs the last journey, which may be incomplete', async () => {
  const project = await writeProject({ config: CONFIG, personas: { 'p.yaml': 'name: Pat\n' }, locations: locationsCsv(3) });
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const runDir = join(await tempDir(), 'run');
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'run.json'), JSON.stringify(sampleManifest({ runId: 'run', status: 'interrupted', configHash: inputs.configHash })));
  // Two complete visits (3 steps each), then a visit killed after its second step.
  const complete = ['pat/l1/1', 'pat/l2/1'].flatMap((id) => [line(id, 'one', 1), line(id, 'two', 2), line(id, 'three', 3)]);
  const partial = [line('pat/l3/1', 'one', 1), line('pat/l3/1', 'two', 2)];
  await writeFile(join(runDir, 'results.ndjson'), [...complete, ...partial].join('\n') + '\n');

  const state = await prepareResume(runDir, inputs);
  assert.deepEqual([...state.done].sort(), ['pat/l1/1', 'pat/l2/1'], 'the partial visit runs again');
  assert.equal(state.kept, 6);
  const summary = state.metrics.toSummary();
  assert.equal(summary.global.requests, 6, 'every step line counts, not one per work item');
  assert.equal(summary.steps['three']!.requests, 2);
  const remaining = (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n');
  assert.deepEqual(remaining, complete, 'the partial visit is cut from the file, so it is not counted twice');
});
