// Build step (after tsc): bundles the CLI (dist/src/cli/main.js and everything it imports, its
// dependencies included) into one CommonJS file, dist/cli/main.cjs, which bin/troupe.js runs through
// bin/run-bundle.js with V8's code cache. Why: resolving, linking and compiling ~60 modules of dist/src
// and ~190 files of node_modules (zod and its locales, yaml, csv-parse, commander) was 40–50 % of every
// CLI process's CPU, and Node 20 has no compile cache for ES modules: one CommonJS file compiled by
// vm.Script can keep V8's code between runs (run-bundle.js), which took another third off `validate`
// and `run` (medians 0.45 → 0.28 and 0.96 → 0.71 CPU-s on the demo). The API (`exports` →
// dist/src/index.js) stays unbundled; dist/src ships as before.
//
// What keeps working from the bundle:
// - import.meta.url: in each dist/src module it is rewritten to that module's own file
//   (`new URL('../src/version.js', __troupeBundleUrl)` from dist/cli/main.cjs), so package.json, the
//   demo's files, the worker entries and every createRequire(import.meta.url) resolve from where they did.
// - The packages left out (EXTERNAL) read files relative to themselves (pdfkit's font metrics,
//   fontkit, dejavu's TTFs), are loaded through createRequire as one shared copy (undici), or are
//   heavy and only needed by rare paths (the live outputs, the browser, autocannon); they load from
//   node_modules as before. A bundled package that uses __dirname, __filename or import.meta fails
//   the build.
// - Laziness: every `await import()` of dist/src becomes a module that runs only when first imported,
//   so `--version` does not run what `run` needs; V8 parses the rest of the file lazily (the code cache
//   keeps what a run compiled). One file rather than chunks: Node's loader resolved and linked each of
//   ~130 chunks, and CommonJS has no code splitting.
// - Externals are still loaded by import() (some are ES modules only), through the function
//   run-bundle.js passes in (see externalImports below).
//
// esbuild-wasm (a devDependency: JavaScript and WebAssembly, no platform binary, no install script).
// Written to dist/cli.tmp/ and renamed into place, so a failed build leaves no half-bundle behind.
import { createRequire } from 'node:module';
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = join(root, 'dist', 'cli');
const outFile = join(out, 'main.cjs');
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

// The bundle's own URL; and the import() run-bundle.js passes in (plain `node dist/cli/main.cjs`, with
// no such parameter, gets Node's, which works outside a code-cached script).
const BANNER = "const __troupeBundleUrl = require('node:url').pathToFileURL(__filename).href; const __troupeImport = typeof __troupeLoadModule === 'function' ? __troupeLoadModule : (specifier) => import(specifier);";
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
      const text = externalImports(await readFile(args.path, 'utf8'));
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const fromOut = relative(out, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOut)}, __troupeBundleUrl).href`), loader: 'js' };
    });
  },
};

/**
 * `import()` of an external package (or of a computed URL) → `__troupeImport()`, the loader's own
 * import(): V8 drops the dynamic-import callback of a script it compiled from a code cache (Node 20:
 * "A dynamic import callback was not specified"), so bin/run-bundle.js passes a function from an ES
 * module, where import() always works. Bare names resolve from bin/ as from dist/cli/: the same
 * package root. import() of dist/src's own modules is bundled and needs none.
 */
function externalImports(text) {
  return text.replace(/\bimport\((\s*)(['"`])?([^'"`)]*)/g, (whole, space, quote, target) => {
    const external = quote === undefined || EXTERNAL.some((name) => (name.endsWith('/*') ? target.startsWith(name.slice(0, -1)) : target === name || target.startsWith(`${name}/`)));
    return external ? whole.replace('import(', '__troupeImport(') : whole;
  });
}

await rm(tmp, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [join(srcRoot, 'cli', 'main.js')],
  outfile: join(tmp, 'main.cjs'),
  bundle: true,
  format: 'cjs',
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
  // The bundle's own URL, which each module's rewritten import.meta.url is resolved against.
  banner: { js: BANNER },
  plugins: [ownImportMetaUrl],
  logLevel: 'warning',
  metafile: true,
});

// A bundled package that finds its files through __dirname/__filename would look in dist/cli/.
// Comments are stripped first (esbuild keeps a package's doc comments, which may name them).
const located = [];
for (const file of await readdir(tmp)) {
  const text = (await readFile(join(tmp, file), 'utf8')).replace(BANNER, '');
  const { code } = await esbuild.transform(text, { minifyWhitespace: true, legalComments: 'none', format: 'cjs' });
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
console.log(`bundle: ${relative(root, outFile)} from ${inputs.length - fromModules} dist/src modules and ${fromModules} node_modules files`);
