/**
 * Hostile and broken input, through the built CLI: each bad file ends with a message naming the file
 * and the row or key path, exit 2 and no run directory. (test/cli-bad-input.test.ts has the first
 * cases; these are the ones added with the reliability work.) Valid but odd input works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { slugify, uniqueSlugs } from '../src/inputs/slug.js';
import { listDir, onlyRunDir, runCli, tempDir } from './helpers/cli.js';
import { writeProject } from './helpers/project.js';
import { startFaultServer } from './helpers/servers.js';

const BAD = 'test/fixtures/bad';

/** [flags, file named in the message, where in it and what]. */
const CASES: Array<[string[], string, RegExp]> = [
  [['--locations', `${BAD}/latin1.csv`], 'latin1.csv', /row 2: is not valid UTF-8 \(byte 0xE9 at column 6\)/],
  [['--locations', `${BAD}/binary.csv`], 'binary.csv', /row 1: is not valid UTF-8/],
  [['--locations', `${BAD}/nul.csv`], 'nul.csv', /row 2: has a NUL byte, so it looks like a binary file/],
  [['--personas', `${BAD}/latin1-persona.yaml`], 'latin1-persona.yaml', /row 1: is not valid UTF-8/],
  [['--locations', `${BAD}/header-only.csv`], 'header-only.csv', /has no locations/],
  [['--locations', `${BAD}/only-bom.csv`], 'only-bom.csv', /the file is empty/],
  [['--locations', `${BAD}/empty-file.csv`], 'empty-file.csv', /the file is empty/],
  [['--locations', `${BAD}/empty.json`], 'empty.json', /invalid JSON/],
  [['--locations', `${BAD}/empty.ndjson`], 'empty.ndjson', /has no locations/],
  [['--personas', `${BAD}/empty-personas.yaml`], 'empty-personas.yaml', /the file is empty/],
  [['--locations', `${BAD}/duplicate-header.csv`], 'duplicate-header.csv', /row 1: column "name" appears twice/],
  [['--locations', `${BAD}/unnamed-column.csv`], 'unnamed-column.csv', /row 1: column 2 of the header has no name/],
  [['--locations', `${BAD}/not-array.json`], 'not-array.json', /expected a JSON array/],
  [['--locations', `${BAD}/not-object.ndjson`], 'not-object.ndjson', /row \d+: got .*expected an object/],
  [['--locations', `${BAD}/nested.json`], 'nested.json', /at \[\d+\]\.\w+: got .*nested values are not supported/],
  [['--locations', `${BAD}/locations.txt`], 'locations.txt', /unsupported file type ".txt"/],
  [['--personas', `${BAD}/persona-scalar.yaml`], 'persona-scalar.yaml', /at \[0\]: got "just a string"/],
  [['--config', `${BAD}/project/redirects-max.yaml`], 'redirects-max.yaml', /at redirects\.max: got -1/],
  [['--config', `${BAD}/project/redirects-unknown-key.yaml`], 'redirects-unknown-key.yaml', /at redirects\.hops: unknown key/],
  [['--config', `${BAD}/project/allow-hosts-url.yaml`], 'allow-hosts-url.yaml', /at allowHosts\[0\]: got "http:\/\/api\.example\.com\/path", expected a host/],
  [['--config', `${BAD}/project/insecure-string.yaml`], 'insecure-string.yaml', /at insecure: got "yes", expected a boolean/],
];

async function assertRefused(flags: string[], file: string, where: RegExp, cwd?: string): Promise<void> {
  const out = await tempDir();
  const result = await runCli(['run', ...flags, '--out', `${out}/reports`], { ...(cwd ? { cwd } : {}) });
  assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
  assert.ok(result.stderr.includes(file), `names the file ${file}: ${result.stderr}`);
  assert.match(result.stderr, where);
  assert.ok(result.stderr.length < 2000, `a short message, not a dump (${result.stderr.length} chars)`);
  assert.equal(result.stdout, '');
  assert.deepEqual(await listDir(out), [], 'no run directory');
}

for (const [flags, file, where] of CASES) {
  test(`bad input: ${flags.join(' ')} → exit 2 naming ${file}`, () => assertRefused(flags, file, where));
}

test('the bad-input corpus has at least 25 files', async () => {
  const count = async (dir: string): Promise<number> => {
    let n = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) n += e.isDirectory() ? await count(join(dir, e.name)) : 1;
    return n;
  };
  const n = await count(BAD);
  assert.ok(n >= 25, `${n} files`);
});

test('a 50 MB line (made at test time) ends with exit 2 naming the file and row', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const path = join(dir, 'huge-line.csv');
  const file = await open(path, 'w');
  await file.write('id,name\na,');
  const chunk = Buffer.alloc(1024 * 1024, 0x78);
  for (let i = 0; i < 50; i++) await file.write(chunk);
  await file.write(',one too many\n');
  await file.close();
  await assertRefused(['--locations', path], 'huge-line.csv', /row 2: has 3 values, expected 2/);
});

test('valid but odd input works: BOM, CRLF, quoted commas and quotes, Unicode and emoji', async () => {
  const result = await runCli(['validate', '--locations', 'test/fixtures/valid/odd-locations.csv', '--personas', 'personas']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /3 locations/);
});

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
  const result = await runCli(['run', '--no-progress'], { cwd: project });
  assert.equal(result.code, 0, result.stderr);
  const runDir = await onlyRunDir(join(project, 'out'));
  const files = (await readdir(join(runDir, 'personas'))).sort();
  assert.equal(files.length, names.length, files.join(' '));
  assert.deepEqual(files, slugs.map((s) => `${s}.json`).sort());
  // Nothing escaped the run directory.
  assert.deepEqual((await readdir(project)).sort(), ['locations.csv', 'out', 'personas', 'troupe.config.yaml']);
  const byName = new Map<string, string>();
  for (const f of files) byName.set(JSON.parse(await readFile(join(runDir, 'personas', f), 'utf8')).persona, f);
  assert.equal(byName.size, names.length, 'each snapshot belongs to its own persona');
});
