import { statSync } from 'node:fs';

/**
 * The module bin/troupe.js runs: the bundle (dist/cli/main.js, written by `npm run build` after tsc;
 * it starts ~30 % faster) unless it is missing or older than the compiled modules it was built from —
 * `npx tsc` alone leaves the bundle behind, and then the modules themselves run (dist/src/cli/main.js),
 * never the stale bundle. In an installed package npm gives every file the same time: the bundle.
 */
export function cliEntry(root = new URL('../', import.meta.url)) {
  const bundle = new URL('dist/cli/main.js', root);
  const modules = new URL('dist/src/cli/main.js', root);
  const bundleTime = mtimeMs(bundle);
  return bundleTime !== undefined && bundleTime >= (mtimeMs(modules) ?? 0) ? bundle.href : modules.href;
}

function mtimeMs(url) {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}
