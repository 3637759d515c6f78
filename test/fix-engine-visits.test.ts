import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ResultRecord } from '../src/engine/records.js';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { readShard } from '../src/run/merge.js';
import { ProgressSink } from '../src/sinks/progress.js';
import { FakeClock } from './helpers/fake-clock.js';
import { tempDir } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { startCountingServer } from './helpers/servers.js';
import { sampleManifest } from './helpers/run-dir-valid.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };

test('a resumed journey run counts completed visits, not result lines', async (t) => {
  const server = await startCountingServer({ delayMs: 0 });
  t.after(() => server.close());
  const config = `name: visits
target: ${server.url}
personas: personas
locations: locations.csv
out: ${JSON.stringify(await tempDir())}
concurrency: 1
journey:
  - name: one
    request: { method: GET, path: /a }
  - name: two
    request: { method: GET, path: /b }
  - name: three
    request: { method: GET, path: /c }
`;
  const project = await writeProject({ config, personas: { 'p.yaml': 'name: Pat\n' }, locations: locationsCsv(4) });
  const inputs = await loadInputs({ cwd: project, overrides: {} });
  const first = await executeRun({ inputs, progress: quiet });
  assert.equal(first.summary.completed, 4);

  // As if killed after two visits: their six lines stay, the run is marked interrupted.
  const results = join(first.runDir, 'results.ndjson');
  const lines = (await readFile(results, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 12);
  await writeFile(results, lines.slice(0, 6).join('\n') + '\n');
  const manifestPath = join(first.runDir, 'run.json');
  await writeFile(manifestPath, JSON.stringify({ ...JSON.parse(await readFile(manifestPath, 'utf8')), status: 'interrupted' }));

  const resumed = await executeRun({ inputs, progress: quiet, resume: first.runDir });
  assert.equal(resumed.status, 'complete');
  assert.equal(resumed.summary.global.requests, 12, 'every step line counts in the metrics');
  assert.equal(resumed.summary.completed, 4, `1 visit kept (the last one on disk may be partial, so it runs again) + 3 run = 4 (got ${resumed.summary.completed})`);
});

function result(persona: string, step: string, attempt?: number): ResultRecord {
  return {
    type: 'result', id: `${persona}/l1/1`, persona, location: 'l1', iteration: 1, step, method: 'GET', url: '/', status: 200, ok: true,
    error: null, latencyMs: 1, ttfbMs: 1, bytes: 0, cache: 'unknown', startedAt: 0, ...(attempt !== undefined ? { attempt } : {}),
  };
}

test('progress counts visits: one per first attempt of a persona\'s first step', async () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const clock = new FakeClock();
  const sink = new ProgressSink({
    stream,
    terminal: { isTTY: false, color: false },
    planned: new Map([['Journey', 4], ['Single', 4]]),
    firstStep: new Map([['Journey', 'one'], ['Single', 'request']]),
    alreadyDone: new Map([['Journey', 1]]),
    source: { progress: () => ({ done: 0, errors: 0, p95Ms: null, hitRate: null }) },
    lineIntervalMs: 10,
    clock,
  });
  await sink.start();
  // A 3-step journey visit whose second step was retried once, then a single-request visit.
  for (const record of [result('Journey', 'one', 1), result('Journey', 'two', 1), result('Journey', 'two', 2), result('Journey', 'three', 1), result('Single', 'request')]) sink.write(record);
  sink.write({ type: 'persona-end', persona: 'Single', at: 0 });
  await clock.advance(40);
  await sink.stop();
  assert.match(text, /^progress: 3\/8 visits \(37%\), 5 requests, 0 errors, /m, text);
});

test('merge: a shard killed before its summary counts its visits from results.ndjson, not its lines', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'run.json'), JSON.stringify(sampleManifest({ runId: 'shard', status: 'running', shard: { index: 1, count: 2 } })));
  const lines = ['a', 'b'].flatMap((l) => ['one', 'two', 'three'].map((step) => ({ ...result('Pat', step), id: `pat/${l}/1`, location: l })));
  await writeFile(join(dir, 'results.ndjson'), lines.map(({ type: _type, ...line }) => JSON.stringify(line)).join('\n') + '\n');
  const shard = await readShard(dir);
  assert.equal(shard.rebuilt, true);
  assert.equal(shard.summary.global.requests, 6);
  assert.equal(shard.summary.completed, 2);
});
