/** The README's "Sessions" example, saved and run as pasted against the realistic API (must-show 6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './helpers/cli.js';
import { startRealisticApi } from './helpers/realistic-api.js';
import { asCheckout, readmeBlock, readmeCommands, runShell } from './helpers/readme.js';

test('README: the Sessions example logs in once per VU and once for the run; every step passes', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const project = await tempDir('troupe-readme-sessions-');
  await mkdir(join(project, 'personas'));
  await writeFile(join(project, 'troupe.config.yaml'), await readmeBlock('sessions-config'));
  await writeFile(join(project, 'personas', 'shopper.yaml'), await readmeBlock('sessions-persona'));
  const env = { API_URL: api.url, PASSWORD: 'secret', ADMIN_PASSWORD: 'secret' };
  const lines = await readmeCommands('sessions-commands');
  assert.equal(lines.length, 3);
  let last = '';
  for (const line of lines) {
    const r = await runShell(asCheckout(line), project, 60_000, env);
    assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    last = r.stderr;
  }
  // What the README says comes of it.
  assert.equal(api.stats.loginsByUser.get('shopper'), 4);
  assert.equal(api.stats.loginsByUser.get('admin'), 1);
  assert.equal(api.stats.logouts, 5);
  assert.equal(api.stats.byPath.get('/api/cart'), 6);
  assert.match(last, /setup: 5 session\(s\) incl\. the run-level one; 0 failed; 5 request\(s\), 0 error\(s\)/);
  assert.match(last, /teardown: 5 session\(s\)/);
  assert.match(last, /throughput .*, 0 request errors, 0 of \d+ checks failed/);
});
