import { statSync } from 'node:fs';

/**
 * The module bin/troupe.js runs: the bundle (dist/cli/main.cjs, written by `npm run build` after tsc)
 * unless it is missing or stale, and then the compiled modules (dist/src/cli/main.js). Only a checkout
 * can hold a stale bundle — `npx tsc` alone leaves it behind — and only a checkout has tsconfig.json
 * (the package does not ship it): there tsc and the bundler write real times, and a bundle older than
 * the modules is never run. An installed package is built once, before packing, and npm's extraction
 * gives its files the times it wrote them, in no useful order: there the bundle always runs.
 */
export function cliEntry(root = new URL('../', import.meta.url)) {
  const bundle = new URL('dist/cli/main.cjs', root);
  const modules = new URL('dist/src/cli/main.js', root);
  const bundleTime = mtimeMs(bundle);
  if (bundleTime === undefined) return modules.href;
  if (mtimeMs(new URL('tsconfig.json', root)) === undefined) return bundle.href;
  return bundleTime >= (mtimeMs(modules) ?? 0) ? bundle.href : modules.href;
}

function mtimeMs(url) {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}
