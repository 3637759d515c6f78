/**
 * The CLI runs from the bundle `npm run build` writes (dist/cli/, scripts/bundle.mjs): bin/troupe.js
 * picks it while it is current and never runs a stale one, and inside it every module still finds what
 * lies next to its own file in dist/src (package.json, the demo's files, the worker entries, what
 * createRequire resolves).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, runCli, tempDir } from './helpers/cli.js';

type CliEntry = (root?: URL) => string;
const { cliEntry } = (await import(pathToFileURL(join(REPO_ROOT, 'bin', 'cli-entry.js')).href)) as { cliEntry: CliEntry };
const BUNDLE_DIR = join(REPO_ROOT, 'dist', 'cli');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

test('bin/troupe.js runs the bundle, and the bundle is not older than any module it was built from', () => {
  assert.equal(cliEntry(), pathToFileURL(join(BUNDLE_DIR, 'main.js')).href, 'dist/cli/ is missing or older than dist/src: run `npm run build`');
  const built = statSync(join(BUNDLE_DIR, 'main.js')).mtimeMs;
  const newer = jsFiles(join(REPO_ROOT, 'dist', 'src')).filter((f) => statSync(f).mtimeMs > built);
  assert.deepEqual(newer, [], 'compiled after the bundle was built: run `npm run build`');
});

test('a missing or stale bundle is never run: bin falls back to the compiled modules', async () => {
  const root = await tempDir('troupe-bundle-');
  const bundle = join(root, 'dist', 'cli', 'main.js');
  const modules = join(root, 'dist', 'src', 'cli', 'main.js');
  await mkdir(join(root, 'dist', 'src', 'cli'), { recursive: true });
  await writeFile(modules, '');
  const at = async (file: string, seconds: number) => utimes(file, seconds, seconds);
  const rootUrl = pathToFileURL(`${root}/`);
  assert.equal(cliEntry(rootUrl), pathToFileURL(modules).href, 'no bundle');
  await mkdir(join(root, 'dist', 'cli'));
  await writeFile(bundle, '');
  await at(modules, 2_000_000_000);
  await at(bundle, 1_000_000_000);
  // Installed (no tsconfig.json): npm's extraction times say nothing about the build order.
  assert.equal(cliEntry(rootUrl), pathToFileURL(bundle).href, 'installed package, bundle extracted first');
  // A checkout: the times are tsc's and the bundler's.
  await writeFile(join(root, 'tsconfig.json'), '{}');
  assert.equal(cliEntry(rootUrl), pathToFileURL(modules).href, 'checkout, bundle older than the modules (tsc ran after it)');
  await at(bundle, 2_000_000_000);
  assert.equal(cliEntry(rootUrl), pathToFileURL(bundle).href, 'checkout, same time');
  await at(bundle, 2_000_000_001);
  assert.equal(cliEntry(rootUrl), pathToFileURL(bundle).href, 'checkout, bundle newer');
});

test('in the bundle, import.meta.url is each module\'s own file in dist/src', () => {
  const sites: string[] = [];
  for (const file of readdirSync(BUNDLE_DIR).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(join(BUNDLE_DIR, file), 'utf8');
    const all = text.split('import.meta.url').length - 1;
    const banner = text.includes('__troupeCreateRequire(import.meta.url)') ? 1 : 0;
    const own = [...text.matchAll(/new URL\("(\.\.\/src\/[^"]+\.js)",\s*import\.meta\.url\)/g)].map((m) => m[1]!);
    assert.equal(all, banner + own.length, `${file}: an import.meta.url that is neither the banner's nor a module's own`);
    sites.push(...own);
  }
  // version.ts, demo-inputs.ts, the run's worker URL, the createRequire sites: all found, all real files.
  for (const module of ['../src/version.js', '../src/inputs/demo-inputs.js', '../src/run/workers.js', '../src/engine/h1-wire.js']) assert.ok(sites.includes(module), `${module} not in the bundle`);
  const missing = sites.filter((s) => !existsSync(join(BUNDLE_DIR, s)));
  assert.deepEqual(missing, []);
});

test('the bundled CLI reads its version from package.json and finds the demo\'s files from any folder', async () => {
  const cwd = await tempDir('troupe-bundle-');
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const [v, validate] = await Promise.all([runCli(['--version'], { cwd }), runCli(['validate'], { cwd })]);
  assert.equal(v.stdout, `${version}\n`);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /^ok: 5 personas, 16 locations/);
});
