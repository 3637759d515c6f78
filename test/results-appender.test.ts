import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openResultsAppender } from '../src/run-dir/results-writer.js';
import { runDirPaths } from '../src/run-dir/layout.js';

test('results.ndjson batches reach the file byte for byte, ASCII or not, appended after what was there', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'latency-appender-'));
  try {
    const batches = ['{"id":"a/1"}\n', '{"id":"ü/2","url":"/straße?q=ø"}\n{"id":"🙂/3"}\n', '{"id":"\u2028/4"}\n', '', 'x'.repeat(300_000) + '\n'];
    let file = await openResultsAppender(dir);
    for (const text of batches.slice(0, 3)) file.append(text);
    await file.close();
    file = await openResultsAppender(dir);
    for (const text of batches.slice(3)) file.append(text);
    await file.close();
    const bytes = await readFile(runDirPaths(dir).results);
    assert.equal(bytes.length, Buffer.byteLength(batches.join('')));
    assert.equal(bytes.toString('utf8'), batches.join(''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
