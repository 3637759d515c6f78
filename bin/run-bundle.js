import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * Runs the CLI bundle (dist/cli/main.cjs, a CommonJS file: scripts/bundle.mjs) with V8's code cache.
 *
 * Why: Node 20 keeps no compiled code between runs, and compiling the bundle was a third of what
 * `troupe validate` or a short `run` spent. V8 can serialise the code it compiled for a script
 * (vm.Script#createCachedData) and start from it next time. The cache sits next to the bundle: the
 * bundle is rebuilt into a new folder, so a cache never outlives its bundle; where the folder is not
 * writable (a global install owned by root) troupe runs without one.
 *
 * The cache is written at exit, so it holds what that command compiled, and only when there was none
 * or V8 rejected it (another Node version, other V8 flags). `run` keeps its own
 * (main.cjs.run.v8cache): it compiles the most, and from a cache the first command wrote — often
 * `--version` — it spent 0.75 CPU-s on the demo against 0.63 from its own. Every other command shares
 * main.cjs.v8cache. A cache goes to a temp file renamed into place, so two commands starting at once
 * never read half of one; one that cannot be read or written is no error: V8 compiles from source.
 *
 * Returns how the cache was used ('used', 'rejected', 'absent'), for the tests.
 */
export function runBundle(bundleUrl, { command = process.argv[2] } = {}) {
  const file = fileURLToPath(bundleUrl);
  const cacheFile = command === 'run' ? `${file}.run.v8cache` : `${file}.v8cache`;
  const source = readFileSync(file, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The wrapper Node gives a CommonJS module, so the bundle sees require, module and __filename; and
  // an import() of this ES module's, which the bundle loads its external packages with (some are ES
  // modules only): a script compiled from a code cache loses its own dynamic-import callback in Node 20.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __troupeLoadModule) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const state = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used';
  if (state !== 'used') process.once('exit', () => writeCache(cacheFile, script));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (specifier) => import(specifier));
  return state;
}

function writeCache(cacheFile, script) {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    rmSync(temp, { force: true });
  }
}
