// The test command: every test file in parallel (two at a time), except the timing-sensitive ones
// (*.timing.test.js: real-time rates, timeout precision, signals), which run afterwards one at a time
// so a CPU-heavy neighbour (PDF rendering) cannot skew what they measure.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('dist', 'test');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
const timing = files.filter((f) => f.endsWith('.timing.test.js'));
const parallel = files.filter((f) => !timing.includes(f));

let failed = false;
for (const [concurrency, group] of [[2, parallel], [1, timing]]) {
  if (group.length === 0) continue;
  const args = ['--test', `--test-concurrency=${concurrency}`, ...group.map((f) => join(dir, f))];
  const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
