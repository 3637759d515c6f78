/**
 * bench/per-response.mjs drives troupe's bench recording through its internals (watchResponses,
 * BenchTape, RunMetrics.addResponses, ResultsTapeWriter): this keeps it working as they change. The
 * figures themselves are the benchmark's to give, not asserted here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

test('bench/per-response.mjs measures every mode, counts every response, and leaves no temporary directory', () => {
  const leftBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('troupe-per-response-')).length;
  const out = spawnSync(process.execPath, [join(REPO_ROOT, 'bench', 'per-response.mjs'), '--responses', '3000', '--processes', '1', '--rounds', '1', '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.status, 0, out.stderr);
  const report = JSON.parse(out.stdout) as { figures: { mode: string; ns: number }[]; troupeMinusAutocannonNs: number };
  assert.deepEqual(report.figures.map((f) => f.mode), ['autocannon', 'queue', 'tape', 'metrics', 'troupe']);
  for (const f of report.figures) assert.ok(Number.isFinite(f.ns) && f.ns > 0, `${f.mode}: ${f.ns}`);
  assert.ok(Number.isFinite(report.troupeMinusAutocannonNs));
  const one = spawnSync(process.execPath, [join(REPO_ROOT, 'bench', 'per-response.mjs'), '--mode', 'troupe', '--responses', '2500', '--rounds', '2'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(one.status, 0, one.stderr);
  assert.equal(JSON.parse(one.stdout).counted, 5000, 'autocannon counted every response of both rounds');
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('troupe-per-response-')).length, leftBefore);
  const bad = spawnSync(process.execPath, [join(REPO_ROOT, 'bench', 'per-response.mjs'), '--responses', 'many'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--responses: expected a positive integer/);
});
