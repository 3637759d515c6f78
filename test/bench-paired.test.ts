/**
 * bench/paired.mjs runs troupe bench and autocannon at once against nginx and counts each from nginx's
 * access log: this keeps the script working (both counted over one window, the ratio theirs, nothing
 * left behind). The figures are the benchmark's to give, not asserted here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const SCRIPT = join(REPO_ROOT, 'bench', 'paired.mjs');

test('bench/paired.mjs counts both tools over one window from nginx, and leaves no temporary directory', () => {
  const leftBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('troupe-paired-')).length;
  const out = spawnSync(process.execPath, [SCRIPT, '--duration', '6', '--rounds', '1', '--connections', '4', '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.status, 0, out.stderr);
  const report = JSON.parse(out.stdout) as { a: string; b: string; target: string; rounds: { windowS: number; ratio: number; a: { requests: number }; b: { requests: number } }[]; median: number };
  assert.equal(report.a, 'autocannon');
  assert.equal(report.b, 'troupe bench');
  assert.match(report.target, /^nginx/);
  assert.equal(report.rounds.length, 1);
  const [round] = report.rounds;
  assert.ok(round!.windowS >= 0.5 && round!.windowS < 4, `window ${round!.windowS} s`);
  assert.ok(round!.a.requests > 0 && round!.b.requests > 0, JSON.stringify(round));
  assert.equal(round!.ratio, round!.b.requests / round!.a.requests);
  assert.equal(report.median, round!.ratio);
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('troupe-paired-')).length, leftBefore);

  const bad = spawnSync(process.execPath, [SCRIPT, '--duration', '1'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--duration: expected an integer ≥ 3, got 1/);
});
