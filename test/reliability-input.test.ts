/**
 * Hostile persona names (path pieces, reserved device names, emoji, case twins, very long) become
 * safe, unique snapshot file names, and a run with them writes nothing outside its run directory.
 * The bad-input file cases that were here are in test/bad-inputs.test.ts (in-process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/index.js';
import { slugify, uniqueSlugs } from '../src/inputs/slug.js';
import { writeProject } from './helpers/project.js';
import { startFaultServer } from './helpers/servers.js';

test('hostile persona names become safe, unique snapshot file names', async (t) => {
  const names = ['../../etc/passwd', 'CON', 'a/b', 'A/B', '🎭🎭', 'Ünïcödé Ñame', 'x'.repeat(300), `${'x'.repeat(300)}y`, 'nul', '.hidden', 'Sarah', 'sarah'];
  const slugs = uniqueSlugs(names);
  assert.equal(new Set(slugs).size, names.length, `unique: ${slugs.join(' ')}`);
  for (const slug of slugs) {
    assert.match(slug, /^[a-z0-9][a-z0-9-]{0,59}$/, slug);
    assert.ok(!/^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/.test(slug), slug);
  }
  assert.equal(slugify('../../etc/passwd'), 'etc-passwd');
  assert.equal(slugify('CON'), 'con-1');
  assert.equal(slugify('🎭🎭'), 'persona');

  const faults = await startFaultServer();
  t.after(() => faults.close());
  const personas: Record<string, string> = {};
  names.forEach((name, i) => (personas[`p${i}.yaml`] = `name: ${JSON.stringify(name)}\n`));
  const project = await writeProject({
    config: `target: ${faults.url}\nrequest: { method: GET, path: /ok }\nlocations: locations.csv\nout: out\n`,
    personas,
    locations: 'id,name\nx,X\n',
  });
  const result = await run({ cwd: project });
  assert.equal(result.status, 'complete');
  const runDir = result.runDir;
  assert.deepEqual(await readdir(join(project, 'out')), [result.runId], 'one run directory, under out/');
  const files = (await readdir(join(runDir, 'personas'))).sort();
  assert.equal(files.length, names.length, files.join(' '));
  assert.deepEqual(files, slugs.map((s) => `${s}.json`).sort());
  // Nothing escaped the run directory.
  assert.deepEqual((await readdir(project)).sort(), ['locations.csv', 'out', 'personas', 'troupe.config.yaml']);
  const byName = new Map<string, string>();
  for (const f of files) byName.set(JSON.parse(await readFile(join(runDir, 'personas', f), 'utf8')).persona, f);
  assert.equal(byName.size, names.length, 'each snapshot belongs to its own persona');
});
