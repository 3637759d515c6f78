import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const MODULE = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'run', 'settle-heap.js')).href;

/** In a fresh process: settleHeap()'s answer and whether V8 ran a full (major) collection for it. */
function childSays(setFlag: boolean): { settled: boolean; major: boolean } {
  const script = `
    ${setFlag ? "(await import('node:v8')).setFlagsFromString('--expose-gc');" : ''}
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const { settleHeap } = await import(${JSON.stringify(MODULE)});
    let major = false;
    const seen = new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major = true; });
    seen.observe({ entryTypes: ['gc'] });
    const settled = settleHeap();
    await new Promise((r) => setTimeout(r, 20));
    seen.disconnect();
    process.stdout.write(JSON.stringify({ settled, major }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 }));
}

test('with --expose-gc set at run time (as bin/troupe.js does), settleHeap runs a full collection', () => {
  assert.deepEqual(childSays(true), { settled: true, major: true });
});

test('without the flag (a program using the API with its own V8 settings) it does nothing and says so', () => {
  assert.deepEqual(childSays(false), { settled: false, major: false });
});

test('the CLI entry sets the flag before anything loads', async () => {
  const { readFile } = await import('node:fs/promises');
  const bin = await readFile(join(REPO_ROOT, 'bin', 'troupe.js'), 'utf8');
  assert.ok(bin.indexOf("setFlagsFromString('--expose-gc')") >= 0 && bin.indexOf("setFlagsFromString('--expose-gc')") < bin.indexOf('await import('), 'bin/troupe.js sets --expose-gc before importing the CLI');
});
