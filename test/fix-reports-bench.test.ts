import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheFromRawHeaders, errorCode } from '../src/bench/autocannon.js';
import { executeBench } from '../src/bench/run.js';
import { startCli, tempDir } from './helpers/cli.js';
import { waitForText } from './helpers/streams.js';

async function startServer(headers: [string, string][]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    // A raw header list keeps the order on the wire.
    res.writeHead(200, ['Content-Type', 'text/plain', ...headers.flat()]);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('bench reads the cache status by the engine rules: X-Cache before CF-Cache-Status, whatever the order on the wire', async (t) => {
  const server = await startServer([['CF-Cache-Status', 'MISS'], ['X-Cache', 'HIT']]);
  t.after(() => server.close());
  const out = await tempDir('troupe-fix-bench-');
  // In-process (what `troupe bench URL -c 2 --amount 50` calls; bench.test.ts spawns the command).
  const r = await executeBench({
    bench: { url: server.url, connections: 2, durationS: 10, amount: 50, method: 'GET', headers: {}, pipelining: 1, timeoutS: 10 },
    workers: 1,
    outDir: out,
    name: 'bench',
    thresholds: [],
  });
  assert.equal(r.status, 'complete');
  const dir = r.runDir;
  const lines = (await readFile(join(dir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 50, String(lines.length));
  assert.deepEqual([...new Set(lines.map((l) => l.cache))], ['hit']);
  assert.ok(lines.every((l) => Number.isInteger(l.startedAt)), 'startedAt is whole milliseconds');
});

test('cacheFromRawHeaders: a meaningless value does not stop the search; Age is the fallback', () => {
  assert.equal(cacheFromRawHeaders(['x-cache', 'Something', 'CF-Cache-Status', 'HIT']), 'hit');
  assert.equal(cacheFromRawHeaders(['Age', '12']), 'hit');
  assert.equal(cacheFromRawHeaders([Buffer.from('X-Cache'), Buffer.from('MISS'), 'Age', '3']), 'miss');
  assert.equal(cacheFromRawHeaders(['Content-Type', 'text/plain']), 'unknown');
});

test('errorCode: autocannon timeouts, then the engine classification', () => {
  assert.equal(errorCode(Object.assign(new Error('request timed out'), {})), 'timeout_total');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'conn_refused');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })), 'tls');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'HPE_INVALID_CONSTANT' })), 'protocol');
});

// `troupe report --format pdf` writes no csv/ folder: asserted on the in-process pdf-only build in reports-load.test.ts.

test('Ctrl-C during troupe capacity: the cut level is left out, capacity.json says interrupted, exit 130', { timeout: 60_000 }, async (t) => {
  const server = await startServer([]);
  t.after(() => server.close());
  const out = join(await tempDir('troupe-fix-capacity-'), 'cap');
  // capacity.json is what this test reads; the PDF and CSV are covered in capacity.test.ts.
  const run = startCli(['capacity', server.url, '--connections', '1,2,4', '--step-duration', '400ms', '-o', out, '--format', 'json']);
  // Interrupt the second level as soon as it has started: it is cut whenever the signal lands in it.
  await waitForText(run.child.stderr, /level connections 2/, 30_000);
  run.child.kill('SIGINT');
  const result = await run.done;
  assert.equal(result.code, 130, result.stderr);
  const json = JSON.parse(await readFile(join(out, 'capacity.json'), 'utf8'));
  assert.equal(json.interrupted, true);
  assert.deepEqual(json.levels.map((l: { level: number }) => l.level), [1], 'only the finished level is judged');
  assert.deepEqual([json.knee.verdict, json.knee.level], ['none-in-range', null], 'one finished level is no knee');
  assert.match(result.stderr, /interrupted: level 2 left out/);
});
