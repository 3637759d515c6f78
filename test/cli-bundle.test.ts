/**
 * The CLI runs from the bundle `npm run build` writes (dist/cli/main.cjs, scripts/bundle.mjs):
 * bin/troupe.js picks it while it is current and never runs a stale one, inside it every module still
 * finds what lies next to its own file in dist/src (package.json, the demo's files, the worker entries,
 * what createRequire resolves), and bin/run-bundle.js keeps V8's code cache beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT, runCli, tempDir } from './helpers/cli.js';

type CliEntry = (root?: URL) => string;
const { cliEntry } = (await import(pathToFileURL(join(REPO_ROOT, 'bin', 'cli-entry.js')).href)) as { cliEntry: CliEntry };
const BUNDLE_DIR = join(REPO_ROOT, 'dist', 'cli');
const execFileAsync = promisify(execFile);

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

test('bin/troupe.js runs the bundle, and the bundle is not older than any module it was built from', () => {
  assert.equal(cliEntry(), pathToFileURL(join(BUNDLE_DIR, 'main.cjs')).href, 'dist/cli/ is missing or older than dist/src: run `npm run build`');
  const built = statSync(join(BUNDLE_DIR, 'main.cjs')).mtimeMs;
  const newer = jsFiles(join(REPO_ROOT, 'dist', 'src')).filter((f) => statSync(f).mtimeMs > built);
  assert.deepEqual(newer, [], 'compiled after the bundle was built: run `npm run build`');
});

test('a missing or stale bundle is never run: bin falls back to the compiled modules', async () => {
  const root = await tempDir('troupe-bundle-');
  const bundle = join(root, 'dist', 'cli', 'main.cjs');
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
  const text = readFileSync(join(BUNDLE_DIR, 'main.cjs'), 'utf8');
  // CommonJS has no import.meta: every one was rewritten against the bundle's own URL.
  assert.equal(text.split('import.meta').length - 1, 0, 'an import.meta left in the CommonJS bundle');
  const all = text.split('__troupeBundleUrl').length - 1;
  const sites = [...text.matchAll(/new URL\("(\.\.\/src\/[^"]+\.js)",\s*__troupeBundleUrl\)/g)].map((m) => m[1]!);
  assert.equal(all, 1 + sites.length, 'a use of the bundle\'s URL that is neither the banner\'s nor a module\'s own');
  // version.ts, demo-inputs.ts, the run's worker URL, the createRequire sites: all found, all real files.
  for (const module of ['../src/version.js', '../src/inputs/demo-inputs.js', '../src/run/workers.js', '../src/engine/h1-wire.js']) assert.ok(sites.includes(module), `${module} not in the bundle`);
  const missing = sites.filter((s) => !existsSync(join(BUNDLE_DIR, s)));
  assert.deepEqual(missing, []);
});

test('the bundle runs with V8\'s code cache: written at exit when there is none or V8 rejects it, then used; run keeps its own', async () => {
  const dir = await tempDir('troupe-code-cache-');
  const bundle = join(dir, 'main.cjs');
  // A stand-in bundle: CommonJS, using what the real one takes from its wrapper.
  // Each start appends what its import() loaded: a script compiled from a code cache has lost its own
  // dynamic-import callback in Node 20, so the bundle imports through the loader's function.
  await writeFile(bundle, '__troupeLoadModule("node:os").then((os) => require("node:fs").appendFileSync(__filename + ".runs", `${typeof os.cpus} ${__dirname === require("node:path").dirname(__filename)}\\n`));\n');
  // One process per start, as the CLI's: inside one process V8 finds a script it compiled before in
  // memory and never looks at the cache on disk.
  const start = async (command: string, file = bundle) => {
    const script = `process.stdout.write((await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'bin', 'run-bundle.js')).href)})).runBundle(${JSON.stringify(pathToFileURL(file).href)}, { command: ${JSON.stringify(command)} }))`;
    return (await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 })).stdout;
  };
  const files = () => readdirSync(dir).sort();

  assert.equal(await start('validate'), 'absent');
  assert.deepEqual(files(), ['main.cjs', 'main.cjs.runs', 'main.cjs.v8cache'], 'written at exit, no temp file left');
  assert.equal(await start('report'), 'used', 'the other commands share it');
  const cached = await readFile(`${bundle}.v8cache`);
  assert.equal(await start('validate'), 'used');
  assert.deepEqual(await readFile(`${bundle}.v8cache`), cached, 'a cache V8 took is not written again');

  // Damaged, or from another Node version: V8 says so, the bundle still runs, and a new one replaces it.
  await writeFile(`${bundle}.v8cache`, Buffer.alloc(cached.length, 7));
  assert.equal(await start('validate'), 'rejected');
  assert.equal(await start('validate'), 'used');

  assert.equal(await start('run'), 'absent', 'run has its own cache');
  assert.ok(existsSync(`${bundle}.run.v8cache`));
  assert.equal(await start('run'), 'used');
  assert.deepEqual((await readFile(`${bundle}.runs`, 'utf8')).split('\n').filter(Boolean), Array(7).fill('function true'), 'the bundle ran every time, and its import() worked from a cache too');

  // A cache that cannot be written (here its name is taken by a folder; a global install owned by
  // root is the real case) is no error: the bundle runs without one, and no temp file is left.
  const other = join(dir, 'other');
  await mkdir(join(other, 'main.cjs.v8cache'), { recursive: true });
  await writeFile(join(other, 'main.cjs'), await readFile(bundle));
  assert.equal(await start('validate', join(other, 'main.cjs')), 'absent');
  assert.deepEqual(readdirSync(other).sort(), ['main.cjs', 'main.cjs.runs', 'main.cjs.v8cache']);
});

test('the bundled CLI reads its version from package.json and finds the demo\'s files from any folder', async () => {
  const cwd = await tempDir('troupe-bundle-');
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const [v, validate] = await Promise.all([runCli(['--version'], { cwd }), runCli(['validate'], { cwd })]);
  assert.equal(v.stdout, `${version}\n`);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /^ok: 5 personas, 16 locations/);
});
