import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCli } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { assertJsonFilesParse, readJson, readResultsFile, sleep } from './helpers/run-files.js';
import { startCountingServer, type CountingServer } from './helpers/servers.js';
import { waitForText } from './helpers/streams.js';

/** A target that answers nothing for a minute: every request stays in flight until cut. */
async function hangingProject(server: CountingServer) {
  return writeProject({
    config: [`target: ${server.url}`, 'request: { method: GET, path: "/{{location.route}}" }', 'locations: locations.csv', 'concurrency: 3', 'timeouts: { headers: 60s, total: 90s }', 'out: out', ''].join('\n'),
    personas: { 'p.yaml': 'name: Waiter\n' },
    locations: locationsCsv(10, (i) => `w${i}`),
  });
}

async function waitForInFlight(server: CountingServer, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (server.inFlight < n) {
    if (Date.now() > deadline) throw new Error(`only ${server.inFlight} requests in flight`);
    await sleep(20);
  }
}

test('after --grace, requests still in flight are cut, counted as aborted and not recorded; exit 130', { timeout: 60_000 }, async (t) => {
  const server = await startCountingServer({ delayMs: 60_000 });
  t.after(() => server.close());
  const project = await hangingProject(server);
  const run = startCli(['run', '--no-reports', '--grace', '500ms', '--no-progress'], { cwd: project });
  await waitForInFlight(server, 3);
  const signalled = Date.now();
  run.child.kill('SIGINT');
  const result = await run.done;
  const tookMs = Date.now() - signalled;
  t.diagnostic(`exited ${tookMs} ms after SIGINT with --grace 500ms`);
  assert.equal(result.code, 130, result.stderr);
  assert.ok(tookMs >= 500 && tookMs < 5000, `exited ${tookMs} ms after the signal`);
  const [runId] = await import('node:fs/promises').then((fs) => fs.readdir(join(project, 'out')));
  const runDir = join(project, 'out', runId!);
  const summary = await readJson(join(runDir, 'summary.json'));
  const manifest = await readJson(join(runDir, 'run.json'));
  assert.equal(summary.status, 'interrupted');
  assert.equal(summary.aborted, 3);
  assert.equal(summary.completed, 0);
  assert.equal(manifest.status, 'interrupted');
  assert.equal(manifest.aborted, 3);
  assert.match(manifest.reason, /3 request\(s\) still in flight after the grace period were cut/);
  assert.equal((await readResultsFile(runDir)).lines.length, 0, 'cut requests are not in results.ndjson');
  assert.equal(server.requests, 3, 'nothing new started after the signal');
});

test('a second SIGINT exits at once; files on disk stay valid', { timeout: 60_000 }, async (t) => {
  const server = await startCountingServer({ delayMs: 60_000 });
  t.after(() => server.close());
  const project = await hangingProject(server);
  const run = startCli(['run', '--no-reports', '--grace', '30s', '--no-progress'], { cwd: project });
  await waitForInFlight(server, 3);
  // The second signal must come after the first was handled: wait for the run to say it is stopping.
  const stopping = waitForText(run.child.stderr, /stopping: letting requests in flight finish/, 10_000);
  run.child.kill('SIGINT');
  await stopping;
  const second = Date.now();
  run.child.kill('SIGINT');
  const result = await run.done;
  const tookMs = Date.now() - second;
  t.diagnostic(`exited ${tookMs} ms after the second SIGINT`);
  assert.equal(result.code, 130);
  assert.ok(tookMs < 2000, `exited ${tookMs} ms after the second signal`);
  const [runId] = await import('node:fs/promises').then((fs) => fs.readdir(join(project, 'out')));
  const files = await assertJsonFilesParse(join(project, 'out', runId!));
  assert.ok(files.includes('run.json'));
  // Written synchronously before the exit: a run that stopped is never left saying `running`.
  const manifest = await readJson(join(project, 'out', runId!, 'run.json'));
  assert.equal(manifest.status, 'interrupted');
  assert.match(manifest.reason, /second signal/);
  assert.match(result.stderr, new RegExp(`resume with: .+ run --resume out/${runId}\n`));
});
