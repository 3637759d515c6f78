/**
 * `kill -9` during a run, then `--resume`, checked against the target's own count of requests: the
 * open model ends with exactly its schedule's arrivals, and the target sees each request once, plus
 * once more only for those it had received when troupe died without recording them (in flight, or in
 * the loss window). The first run is a spawned bin/troupe.js: killing it is the subject.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run as runInProcess } from '../src/index.js';
import { RESULTS_FLUSH } from '../src/run-dir/results-writer.js';
import { activeTimeMs } from '../src/run-dir/segments.js';
import type { RunManifest, RunSummary } from '../src/run-dir/types.js';
import { runCli, startCli } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';
import { readJson, readResultsFile, waitForResults } from './helpers/run-files.js';
import { startCountingServer, waitForIdle, type CountingServer } from './helpers/servers.js';

async function project(target: string, extra: string, locations: number): Promise<string> {
  return writeProject({
    config: `name: exact\ntarget: ${target}\nlocations: locations.csv\nrequest: { method: GET, path: "/item/{{location.id}}" }\nout: out\n${extra}\n`,
    personas: { 'a.yaml': 'name: Ana\n', 'b.yaml': 'name: Ben\nweight: 2\n' },
    locations: locationsCsv(locations),
  });
}

/**
 * Starts `troupe run`, kills it with SIGKILL once results.ndjson has `afterLines` lines, and waits
 * until the target has no request open (every request troupe had sent is counted). Returns the
 * run directory, the lines on disk and the target's count at that point.
 */
async function killAfter(server: CountingServer, dir: string, afterLines: number) {
  const run = startCli(['run', '--no-reports', '--no-progress'], { cwd: dir, timeoutMs: 30_000 });
  const runDir = await waitForResults(join(dir, 'out'), afterLines, 15_000);
  process.kill(run.child.pid!, 'SIGKILL');
  const killed = await run.done;
  assert.equal(killed.signal, 'SIGKILL');
  await waitForIdle(server, 5_000);
  const onDisk = (await readResultsFile(runDir)).lines.length;
  return { runDir, onDisk, seen: server.requests };
}

test('open model at 200/s, kill -9, --resume: lines = expected arrivals, no id twice, the target saw each once (+ those unrecorded at the kill)', { timeout: 40_000 }, async (t) => {
  const server = await startCountingServer({ delayMs: 2 });
  t.after(() => server.close());
  // 2 s at 200/s: 400 arrivals, uniform.
  const dir = await project(server.url, 'load: { phases: [{ duration: 2s, rate: 200 }] }', 40);
  const killed = await killAfter(server, dir, 100);
  const unrecorded = killed.seen - killed.onDisk;
  t.diagnostic(`killed with ${killed.onDisk} lines on disk; the target had received ${killed.seen} (${unrecorded} unrecorded)`);
  assert.ok(killed.onDisk < 400, `killed before the end: ${killed.onDisk}`);

  const resumed = await runInProcess({ cwd: dir, resume: killed.runDir });
  const summary = resumed.summary;
  const results = await readResultsFile(killed.runDir);
  const ids = results.lines.map((l) => l.id);
  assert.equal(results.cut, 0);
  assert.equal(ids.length, 400, 'one line per expected arrival');
  assert.equal(new Set(ids).size, 400, 'no id twice');
  assert.equal(summary.status, 'complete');
  assert.equal(summary.planned, 400);
  assert.equal(summary.completed, 400);
  assert.equal(summary.load!.arrivals, 400);
  assert.equal(summary.load!.started, 400);
  assert.equal(summary.load!.resumed, killed.onDisk);
  // Every request the target counted before the kill is a line on disk or was sent once more.
  assert.equal(server.requests, ids.length + unrecorded, `target ${server.requests}, lines ${ids.length}, unrecorded at the kill ${unrecorded}`);
  const manifest = await readJson<RunManifest>(join(killed.runDir, 'run.json'));
  const note = manifest.resumes![0]!;
  assert.equal(note.done, killed.onDisk);
  assert.equal(note.toSend, 400 - killed.onDisk);
  assert.ok(unrecorded <= note.atMost, `unrecorded ${unrecorded} within the stated bound ${note.atMost}`);
  assert.equal(manifest.segments!.length, 2);
  assert.equal(summary.segments!.length, 2);
  // The schedule continued where it stopped: the resumed half ran at the planned rate, not in a burst.
  assert.ok(summary.load!.elapsedMs >= 1_990 && summary.load!.elapsedMs < 3_500, `schedule time ${summary.load!.elapsedMs} ms, the pause left out`);
  // Those after the last recorded arrival keep their spacing (5 ms); only the `before` ones go at once.
  const second = manifest.segments![1]!;
  const spaced = note.toSend - note.before;
  assert.ok(second.durationMs > (spaced - 1) * 5 * 0.9, `the resumed stretch took ${second.durationMs} ms for ${spaced} spaced arrivals`);
  t.diagnostic(`resume: ${JSON.stringify(note)}; segments ${manifest.segments!.map((g) => `${g.durationMs} ms`).join(' + ')}; schedule time ${summary.load!.elapsedMs} ms`);
});

test('closed model at full speed, kill -9 at a random moment, --resume: the target counts at most the plan + the documented window; rps is over active time', { timeout: 40_000 }, async (t) => {
  const server = await startCountingServer({ delayMs: 0 });
  t.after(() => server.close());
  const concurrency = 8;
  const planned = 2 * 500;
  const dir = await project(server.url, `concurrency: ${concurrency}`, 500);
  const at = Math.round(planned * (0.2 + Math.random() * 0.5));
  const killed = await killAfter(server, dir, at);
  t.diagnostic(`killed with ${killed.onDisk} of ${planned} lines on disk (aimed at ${at}); the target had received ${killed.seen}`);
  assert.ok(killed.onDisk < planned, 'killed before the end');

  const resumed = await runCli(['run', '--no-reports', '--no-progress', '--resume', killed.runDir], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(resumed.code, 0, resumed.stderr);
  const window = concurrency + RESULTS_FLUSH.lines - 1;
  assert.match(resumed.stderr, new RegExp(`troupe: resuming: ${killed.onDisk} visits already in results\\.ndjson, ${planned - killed.onDisk} visits to send\\. .* at most ${window} in all \\(up to ${concurrency} in flight when it stopped, up to ${RESULTS_FLUSH.lines - 1} completed but not yet written at a kill -9\\)\\.`));
  const results = await readResultsFile(killed.runDir);
  assert.equal(results.lines.length, planned);
  assert.equal(new Set(results.lines.map((l) => l.id)).size, planned);
  const extra = server.requests - planned;
  t.diagnostic(`the target counted ${server.requests} requests for a plan of ${planned}: ${extra} sent twice (window ${window})`);
  assert.ok(extra >= 0 && extra <= window, `${extra} requests sent twice; the documented window is ${window}`);
  assert.equal(extra, killed.seen - killed.onDisk, 'exactly those the target had received and troupe had not recorded');

  const summary = await readJson<RunSummary>(join(killed.runDir, 'summary.json'));
  const active = activeTimeMs(summary.segments!);
  assert.equal(summary.activeMs, Math.round(active * 1000) / 1000);
  const byActive = summary.global.requests / (active / 1000);
  const byWall = summary.global.requests / (summary.durationMs / 1000);
  t.diagnostic(`rps ${summary.global.rps}; requests ÷ active time ${byActive.toFixed(1)}; ÷ wall time ${byWall.toFixed(1)}; pause ${(summary.durationMs - active).toFixed(0)} ms`);
  assert.ok(Math.abs(summary.global.rps! - byActive) / byActive < 0.02, `rps ${summary.global.rps} vs requests ÷ active time ${byActive}`);
  assert.ok(summary.durationMs > active, 'wall time includes the pause');
});
