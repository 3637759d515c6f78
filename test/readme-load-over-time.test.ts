/**
 * The README's "Load over time" config and commands, pasted (the one CLI test of the --stage and
 * --duration flags). Moved out of vu-load.timing.test.ts: nothing here measures time, so it runs in
 * the parallel group. The config run builds its reports: the PDF's active-VU chart is drawn only here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { REPO_ROOT, tempDir } from './helpers/cli.js';
import { asCheckout, readmeCommands, runShell } from './helpers/readme.js';

test('README "Load over time": the config and the commands, pasted, run (and the PDF charts the active VUs)', async () => {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const yaml = /<!-- load-over-time-config -->\s*```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'README has the config block');
  const withConfig = await tempDir('vu-readme-config-');
  await writeFile(join(withConfig, 'troupe.config.yaml'), yaml);
  await mkdir(join(withConfig, 'personas'));
  for (const f of await readdir(join(REPO_ROOT, 'personas'))) await copyFile(join(REPO_ROOT, 'personas', f), join(withConfig, 'personas', f));
  await mkdir(join(withConfig, 'fixtures'));
  await copyFile(join(REPO_ROOT, 'fixtures', 'locations.csv'), join(withConfig, 'fixtures', 'locations.csv'));
  const staged = await run({ cwd: withConfig, reports: true });
  assert.equal(staged.status, 'complete');
  assert.deepEqual(staged.artifactsFailed, []);
  assert.equal(staged.summary.vus?.peak, 20);
  assert.ok((await readdir(staged.runDir)).includes('report.pdf'));

  const lines = await readmeCommands('load-over-time-commands');
  assert.equal(lines.length, 3);
  const project = await tempDir('vu-readme-cli-');
  for (const line of lines) {
    const r = await runShell(asCheckout(line), project, 30_000);
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    if (line.includes('validate')) assert.match(r.stdout + r.stderr, /up to 10 VUs in 3 stage\(s\) for 120 s/);
  }
  const runs = await readdir(join(project, 'reports'));
  assert.equal(runs.length, 2);
  for (const dir of runs) {
    const summary = JSON.parse(await readFile(join(project, 'reports', dir, 'summary.json'), 'utf8'));
    assert.ok(summary.vus, `${dir} has vus`);
  }
  // A bad --stage is a usage error naming the flag and the value.
  const bad = await runShell(asCheckout('npx troupe run --stage 30:10 --no-reports'), project, 30_000);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--stage.*30/);
});
