/**
 * Real time: three shards given one start instant two seconds ahead send their first requests within
 * 50 ms of each other and of the instant; the merged run says how far apart they started. The shards run
 * in this process (run() with startAt, what --start-at sets): three CLI processes on a loaded 2-core
 * machine can take longer than the two seconds just to load, which would measure the machine, not the
 * wait. The flag's way into startAt is checked in start-at.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderRunTable } from '../src/reports/console.js';
import { buildReports } from '../src/reports/build.js';
import { runDirPaths } from '../src/run-dir/layout.js';
import { mergeRuns } from '../src/run/merge.js';
import { paint } from '../src/sinks/terminal.js';
import { PassThrough } from 'node:stream';
import { text as collect } from 'node:stream/consumers';
import { run } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { startCacheCountingServer } from './helpers/servers.js';

test('three shards with --start-at 2 s ahead send their first requests within 50 ms of each other and of the instant', async (t) => {
  const server = await startCacheCountingServer();
  t.after(() => server.close());
  const project = await writeProject({
    config: `name: together\ntarget: ${server.url}\npersonas: personas\nlocations: locations.csv\nrequest: { method: GET, path: "/{{persona.slug}}/{{location.id}}" }\nconcurrency: 2\n`,
    personas: { 'a.yaml': 'name: A\n' },
    locations: `id\n${Array.from({ length: 9 }, (_, k) => `l${k + 1}`).join('\n')}\n`,
  });
  const out = await tempDir('merge-start-');
  // Two seconds: enough for three processes to load on a busy machine and wait, not much more.
  const at = Date.now() + 2000;
  const iso = new Date(at).toISOString();
  const progress = [1, 2, 3].map(() => new PassThrough());
  const logs = progress.map((p) => p.setEncoding('utf8') && collect(p));
  const shards = await Promise.all([1, 2, 3].map((i) => run({ cwd: project, shard: { index: i, count: 3 }, startAt: iso, out: join(out, `s${i}`), progress: progress[i - 1] })));
  for (const p of progress) p.end();
  for (const [i, s] of shards.entries()) {
    assert.equal(s.status, 'complete');
    assert.equal(s.summary.start!.plannedAt, iso);
    assert.equal(s.summary.start!.lateMs, undefined, `shard ${i + 1} reached the instant in time`);
    assert.match(await logs[i]!, new RegExp(`^troupe: waiting until ${iso.replace(/\./g, '\\.')} to start \\(in [12] s\\)\\n`), 'one line, not a countdown, off a terminal');
  }
  const dirs = shards.map((s) => s.runDir);
  const merged = await mergeRuns({ dirs, out: join(out, 'merged'), thresholds: () => [] });
  const m = merged.summary.merge!;
  const firsts = m.starts.map((s) => Date.parse(s.firstRequestAt!) - at);
  console.log(`first requests at ${firsts.map((f) => `${f >= 0 ? '+' : ''}${f} ms`).join(', ')} from the instant; spread ${m.firstRequestSpreadMs} ms; schedules started ${m.startSpreadMs} ms apart`);
  assert.equal(m.plannedAt, iso);
  assert.ok(m.firstRequestSpreadMs !== null && m.firstRequestSpreadMs <= 50, `spread ${m.firstRequestSpreadMs} ms`);
  for (const f of firsts) assert.ok(f >= -5 && f <= 50, `a first request ${f} ms from the instant`);
  assert.deepEqual(m.firstRequestFromPlannedMs, { min: Math.min(...firsts), max: Math.max(...firsts) });

  // The merged report says it: console, and the HTML report's "how this was measured".
  const sentence = `Merged from 3 shards started at the instant ${iso}: first requests ${Math.round(m.firstRequestSpreadMs!)} ms apart`;
  assert.ok(renderRunTable(merged.summary, paint({ isTTY: false, color: false })).includes(sentence), 'console');
  await buildReports(merged.runDir, ['html']);
  assert.ok((await readFile(runDirPaths(merged.runDir).html, 'utf8')).includes(sentence), 'report.html');
});
