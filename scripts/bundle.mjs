// Build step (after tsc): bundles the CLI (dist/src/cli/main.js and everything it imports, its
// dependencies included) into dist/cli/, which bin/troupe.js runs. Why: Node 20 has no compile cache,
// and resolving, linking and compiling ~60 modules of dist/src and ~190 files of node_modules (zod and
// its locales, yaml, csv-parse, commander) was 40–50 % of every CLI process's CPU. The API (`exports` →
// dist/src/index.js) stays unbundled; dist/src ships as before.
//
// What keeps working from the bundle:
// - import.meta.url: in each dist/src module it is rewritten to that module's own file
//   (`new URL('../src/version.js', import.meta.url)` from dist/cli/), so package.json, the demo's
//   files, the worker entries and every createRequire(import.meta.url) resolve from where they did.
// - The packages left out (EXTERNAL) read files relative to themselves (pdfkit's font metrics,
//   fontkit, dejavu's TTFs), are loaded through createRequire as one shared copy (undici), or are
//   heavy and only needed by rare paths (the live outputs, the browser, autocannon); they load from
//   node_modules as before. A bundled package that uses __dirname, __filename or import.meta fails
//   the build.
// - Chunks: every `await import()` of dist/src stays lazy (code splitting), so `--version` and
//   `--help` do not load what `run` needs.
//
// esbuild-wasm (a devDependency: JavaScript and WebAssembly, no platform binary, no install script).
// Written to dist/cli.tmp/ and renamed into place, so a failed build leaves no half-bundle behind.
import { createRequire } from 'node:module';
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = join(root, 'dist', 'cli');
const tmp = `${out}.tmp`;
const srcRoot = join(root, 'dist', 'src');

// CommonJS resolution, so NODE_PATH can point at an esbuild-wasm installed elsewhere.
let esbuild;
try {
  esbuild = createRequire(import.meta.url)('esbuild-wasm');
} catch {
  console.error('bundle.mjs: esbuild-wasm is not installed (a devDependency): run `npm install` first');
  process.exit(1);
}

const EXTERNAL = [
  // One copy shared with what loads it through createRequire (engine/transport.ts, engine/h1-client.ts).
  'undici',
  // Read data files next to their own modules (font metrics, TTFs); also only `report`/PDF loads them.
  'pdfkit',
  'fontkit',
  'dejavu-fonts-ttf',
  // Rare paths: live outputs, the HTML report's browser, the throughput tool, PDF checks.
  'prom-client',
  'snappyjs',
  '@opentelemetry/*',
  'autocannon',
  'puppeteer-core',
  'playwright-core',
  'unpdf',
];

const usesImportMeta = [];

/** Rewrites `import.meta.url` in a dist/src module to the URL of that module's file, from dist/cli/. */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      if (!args.path.startsWith(srcRoot + sep)) {
        // A package's own import.meta.url would be dist/cli/'s once bundled.
        if ((await readFile(args.path, 'utf8')).includes('import.meta')) usesImportMeta.push(relative(root, args.path));
        return undefined;
      }
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const fromOut = relative(out, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await rm(tmp, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [join(srcRoot, 'cli', 'main.js')],
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // No keepNames: it wraps every function and class expression in a __name() call that defines its
  // `name` as it is created, and closures made per request on the engine's hot path paid it each time
  // (3.5 % of troupe's CPU in persona mode against nginx, CPU profile). What it preserves, names of
  // identifiers renamed where they collide across modules, nothing relies on: troupe's errors set their
  // `name` explicitly, and commander tells its own errors apart by `code`.
  keepNames: false,
  // Less text for V8 to parse on every start (2.5 → 1.9 MB; ~0.04 CPU-s a command); identifiers are
  // not minified, so function names in a stack trace stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  external: EXTERNAL,
  // Bundled CommonJS packages call require() (node: built-ins, externals); ESM has none of its own.
  banner: { js: "import { createRequire as __troupeCreateRequire } from 'node:module'; const require = __troupeCreateRequire(import.meta.url);" },
  plugins: [ownImportMetaUrl],
  logLevel: 'warning',
  metafile: true,
});

// A bundled package that finds its files through __dirname/__filename would look in dist/cli/.
// Comments are stripped first (esbuild keeps a package's doc comments, which may name them).
const located = [];
for (const file of await readdir(tmp)) {
  const { code } = await esbuild.transform(await readFile(join(tmp, file), 'utf8'), { minifyWhitespace: true, legalComments: 'none', format: 'esm' });
  if (/\b__(dirname|filename)\b/.test(code)) located.push(file);
}
if (usesImportMeta.length > 0) located.push(`${usesImportMeta.join(', ')} (import.meta)`);
if (located.length > 0) {
  console.error(`bundle.mjs: ${located.join(', ')} use __dirname, __filename or import.meta (a bundled package finds files next to itself): add it to EXTERNAL`);
  await rm(tmp, { recursive: true, force: true });
  process.exit(1);
}

await rm(out, { recursive: true, force: true });
await rename(tmp, out);
const inputs = Object.keys(result.metafile.inputs);
const fromModules = inputs.filter((f) => f.includes('node_modules/')).length;
console.log(`bundle: ${relative(root, out)}/ from ${inputs.length - fromModules} dist/src modules and ${fromModules} node_modules files (${(await readdir(out)).length} files)`);
