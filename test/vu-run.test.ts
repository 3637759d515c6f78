/**
 * Load over time through the API and the CLI: bad schedules refused with the key path and value, a
 * persona's own concurrency keeping `order: persona` against the demo's cache (hit rates 0/100/100 %).
 * The README's examples (the CLI test of the flags) are in vu-load.timing.test.ts: they run for seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, validate } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';

async function refused(config: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const cwd = await writeProject({ config: `target: demo\npersonas: personas\nlocations: locations.csv\n${config}`, personas: { 'p.yaml': 'name: Pat\nparams: { radius_miles: 5 }\n' }, locations: 'id,address\nl1,a\n' });
  const err = await validate({ cwd, ...overrides }).then(
    () => null,
    (e: unknown) => e as Error & { exitCode?: number },
  );
  assert.ok(err, `accepted: ${config} ${JSON.stringify(overrides)}`);
  assert.equal(err.exitCode, 2, err.message);
  return err.message;
}

test('bad schedules are refused: key path, value and what was expected; the combinations k6 refuses', async () => {
  assert.match(await refused('stages:\n  - { duration: 30, target: 10 }\n'), /troupe\.config\.yaml.*stages\[0\]\.duration.*30.*unit/s);
  assert.match(await refused('stages:\n  - { duration: 30s, target: -1 }\n'), /stages\[0\]\.target.*-1.*integer from 0 to 10000/s);
  assert.match(await refused('stages:\n  - { duration: 30s, target: 1, ramp: 2 }\n'), /stages\[0\].*unknown key "ramp"/s);
  assert.match(await refused('stages: []\n'), /stages.*at least one stage/s);
  assert.match(await refused('duration: 10\n'), /duration.*10.*unit/s);
  assert.match(await refused('startVUs: 3\n'), /startVUs.*belongs to stages/s);
  assert.match(await refused('duration: 1m\nstages:\n  - { duration: 30s, target: 2 }\n'), /stages: in troupe\.config\.yaml and duration: .*give one of them/s);
  assert.match(await refused('iterations: 2\nstages:\n  - { duration: 30s, target: 2 }\n'), /iterations.*give one of them/s);
  assert.match(await refused('stages:\n  - { duration: 30s, target: 2 }\n', { concurrency: 5 }), /--concurrency.*stages set the number of VUs/s);
  assert.match(await refused('stages:\n  - { duration: 0s, target: 2 }\n'), /last 0 s/);
  assert.match(await refused('load: { phases: [{ duration: 1s, rate: 5 }] }\nduration: 1m\n'), /duration.*closed model/s);
  // --duration alone is the closed model's now; with the open model's `load:` it still needs --rate.
  assert.match(await refused('load: { phases: [{ duration: 1s, rate: 5 }] }\n', { duration: 1000 }), /--rate and --duration go together/);
  const ok = await validate({ cwd: await writeProject({ config: 'target: demo\npersonas: personas\nlocations: locations.csv\n', personas: { 'p.yaml': 'name: Pat\nparams: { radius_miles: 5 }\n' }, locations: 'id,address\nl1,a\n' }), concurrency: 3, duration: 60_000 });
  assert.deepEqual(ok.inputs.config.vus, { model: 'constant-vus', durationMs: 60_000, loop: true });
  // A project from `troupe init` says `iterations: 2`: `--duration` on the command line still loops for its time.
  const initLike = await writeProject({ config: 'target: demo\npersonas: personas\nlocations: locations.csv\niterations: 2\nconcurrency: 4\n', personas: { 'p.yaml': 'name: Pat\nparams: { radius_miles: 5 }\n' }, locations: 'id,address\nl1,a\n' });
  assert.deepEqual((await validate({ cwd: initLike, duration: 2_000 })).inputs.config.vus, { model: 'constant-vus', durationMs: 2_000, loop: true });
  // Both given as flags (or both in the file): one run of the plan, whichever ends first.
  assert.deepEqual((await validate({ cwd: initLike, duration: 2_000, iterations: 2 })).inputs.config.vus, { model: 'constant-vus', durationMs: 2_000, loop: false });
  // `--stage` likewise replaces the file's `iterations:` and `concurrency:`; with `--concurrency` as a flag too it is refused.
  const staged = (await validate({ cwd: initLike, stages: [{ duration: '1s', target: 3 }, { duration: '1s', target: 0 }] })).inputs.config.vus;
  assert.equal(staged?.model, 'ramping-vus');
  assert.match(await refused('', { stages: [{ duration: '1s', target: 3 }], concurrency: 5 }), /--stage and --concurrency/);
  assert.match(await refused('', { stages: [{ duration: '1s', target: 3 }], iterations: 5 }), /--stage and --iterations/);
});

test("a persona's own concurrency keeps order: persona: the first persona misses every location, the next ones hit (0/100/100 %)", async () => {
  const params = 'params: { radius_miles: 5 }\n';
  const cwd = await writeProject({
    // The engine keeps the plan's start order, not completion order: while the first persona's last
    // two misses are in flight, three VUs run the second persona's hits from l0. Those must not reach
    // l98 first: 33 rounds of hits (≥ 0.2 ms each) against a 2 ms miss. With 20 locations and a 5 ms
    // miss (6 rounds), the lean client's faster hits got there first once (0.9 for the second persona).
    config: 'target: demo\npersonas: personas\nlocations: locations.csv\norder: persona\nconcurrency: 5\ndemo: { missLatency: 2ms }\n',
    personas: { '1.yaml': `name: first\nconcurrency: 2\n${params}`, '2.yaml': `name: second\n${params}`, '3.yaml': `name: third\n${params}` },
    locations: `id,address\n${Array.from({ length: 100 }, (_, i) => `l${i},${i} Main St`).join('\n')}\n`,
  });
  const { summary } = await run({ cwd, out: await tempDir('vu-order-') });
  const rates = ['first', 'second', 'third'].map((p) => summary.personas[p]!.cache.hitRate);
  assert.deepEqual(rates, [0, 1, 1]);
});
