import { readFileSync } from 'node:fs';

/** troupe's own version, read once from package.json (dist/src/version.js → ../../package.json). */
export const TROUPE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
