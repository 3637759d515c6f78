import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultRecord } from '../src/engine/records.js';
import { errorForStatus } from '../src/engine/classify-error.js';
import { runDirPaths } from '../src/run-dir/layout.js';
import { endsInCutOffLine, readResultEntries, readResults, type ReadResultsReport } from '../src/run-dir/results.js';
import { materialiseResultsTape, readTapeBlocks, ResultsTapeWriter, TAPE_RESPONSE_BYTES, tapeEndsCutOff, type TapeHeader, type TapeResponses } from '../src/run-dir/results-tape.js';
import { resultLine } from '../src/run-dir/results-writer.js';
import { CACHE_STATUSES } from '../src/engine/records.js';
import { tempDir } from './helpers/cli.js';

// Escapes in every constant field: the header's strings go into each line as JSON writes them.
const HEADER: TapeHeader = { persona: 'bench', location: '/a\\b\u2028"c"?x=1', step: 'request', method: 'GET', url: 'http://127.0.0.1:8080/a\\b\u2028"c"?x=1' };

function block(rows: [status: number, latencyMs: number, bytes: number, cache: ResultRecord['cache'], endAt: number][]): TapeResponses {
  const b: TapeResponses = { count: rows.length, latencyMs: new Float64Array(8), endAt: new Float64Array(8), bytes: new Float64Array(8), status: new Uint16Array(8), cache: new Uint8Array(8) };
  rows.forEach(([status, ms, bytes, cache, endAt], i) => {
    b.status[i] = status;
    b.latencyMs[i] = ms;
    b.bytes[i] = bytes;
    b.cache[i] = CACHE_STATUSES.indexOf(cache);
    b.endAt[i] = endAt;
  });
  return b;
}

/** The record a response on the tape stands for: the line it must become is resultLine of this. */
function expected(n: number, status: number, ms: number, bytes: number, cache: ResultRecord['cache'], endAt: number): ResultRecord {
  const latencyMs = Math.round(ms * 1000) / 1000;
  const error = errorForStatus(status);
  return {
    type: 'result', id: `bench/${n}`, persona: 'bench', location: HEADER.location, iteration: n, step: 'request', method: 'GET', url: HEADER.url,
    status, ok: error === null, error, latencyMs, ttfbMs: null, bytes, protocol: 'http/1.1', cache, startedAt: Math.round(endAt - latencyMs),
  };
}

const FAILED: ResultRecord = {
  type: 'result', id: 'bench/3', persona: 'bench', location: HEADER.location, iteration: 3, step: 'request', method: 'GET', url: HEADER.url,
  status: null, ok: false, error: 'timeout_total', message: 'timed out "x"\n', latencyMs: 10_000, ttfbMs: null, bytes: 0, cache: 'unknown', startedAt: 1_760_000_000_000,
};

/** A run directory whose tape holds two responses, a failure, then three responses, and the lines they must read as. */
async function tapeDir(): Promise<{ dir: string; lines: string[] }> {
  const dir = join(await tempDir('troupe-tape-'), 'run');
  await mkdir(dir);
  const tape = ResultsTapeWriter.create(dir, HEADER);
  const first: [number, number, number, ResultRecord['cache'], number][] = [[200, 1.2345678, 11, 'hit', 1_760_000_000_000.25], [503, 0.5, 0, 'miss', 1_760_000_000_001]];
  const second: [number, number, number, ResultRecord['cache'], number][] = [[404, 1234567.891, 7, 'unknown', 1_760_000_100_000], [200, 0, 0, 'stale', 1_760_000_100_001], [302, 0.0004, 3, 'bypass', 1_760_000_100_002]];
  tape.responses(block(first));
  tape.failed(resultLine(FAILED));
  tape.responses(block(second));
  tape.close();
  const lines = [
    ...first.map((row, i) => resultLine(expected(i + 1, ...row))),
    resultLine(FAILED),
    ...second.map((row, i) => resultLine(expected(i + 4, ...row))),
  ];
  return { dir, lines };
}

test('a tape reads back as the lines resultLine writes, numbered across blocks and failures, escapes and all', async () => {
  const { dir, lines } = await tapeDir();
  const paths = runDirPaths(dir);
  const texts: string[] = [];
  const results: unknown[] = [];
  for await (const b of readTapeBlocks(paths.resultsTape)) {
    texts.push(b.text);
    results.push(...b.results);
  }
  assert.equal(texts.join(''), lines.join(''));
  assert.deepEqual(results, lines.map((l) => JSON.parse(l)));
  // 8 + 4 + header, then 8 + 2 × 27, 8 + the failure's line, 8 + 3 × 27.
  const size = 12 + Buffer.byteLength(JSON.stringify(HEADER)) + 8 + 2 * TAPE_RESPONSE_BYTES + 8 + Buffer.byteLength(resultLine(FAILED)) + 8 + 3 * TAPE_RESPONSE_BYTES;
  assert.equal((await stat(paths.resultsTape)).size, size);
  assert.equal(await tapeEndsCutOff(paths.resultsTape), false);
});

test('a run directory with a tape is read from it: readResults, entries with the offsets results.ndjson will have, the cut-off check', async () => {
  const { dir, lines } = await tapeDir();
  const paths = runDirPaths(dir);
  // An empty results.ndjson beside it (the bench opened none, but a reader must not prefer it).
  await writeFile(paths.results, '');
  const report: ReadResultsReport = { lines: 0, truncatedTail: false };
  const read = [];
  for await (const r of readResults(paths.results, { report })) read.push(r);
  assert.deepEqual(read, lines.map((l) => JSON.parse(l)));
  assert.deepEqual(report, { lines: 6, truncatedTail: false });
  const entries = [];
  for await (const e of readResultEntries(paths.results)) entries.push(e);
  assert.equal(await endsInCutOffLine(paths.results), false);

  const made = await materialiseResultsTape(dir);
  assert.deepEqual(made, { lines: 6, truncatedTail: false });
  const text = await readFile(paths.results, 'utf8');
  assert.equal(text, lines.join(''));
  await assert.rejects(stat(paths.resultsTape), { code: 'ENOENT' }, 'the tape is gone once results.ndjson holds its lines');
  const bytes = Buffer.from(text);
  for (const e of entries) assert.equal(bytes.subarray(e.offset, e.offset + Buffer.byteLength(e.text)).toString(), e.text, `line ${e.line}`);
  assert.deepEqual(entries.map((e) => e.line), [1, 2, 3, 4, 5, 6]);
  assert.equal(await materialiseResultsTape(dir), null, 'nothing to do without a tape');
  assert.equal(await readFile(paths.results, 'utf8'), text);
});

test('a tape cut off by a kill reads as its whole blocks, says so, and materialises the same', async () => {
  const { dir, lines } = await tapeDir();
  const paths = runDirPaths(dir);
  const full = (await stat(paths.resultsTape)).size;
  const headerEnd = 12 + Buffer.byteLength(JSON.stringify(HEADER));
  const firstEnd = headerEnd + 8 + 2 * TAPE_RESPONSE_BYTES;
  const failureEnd = firstEnd + 8 + Buffer.byteLength(resultLine(FAILED));
  // Cut inside the last block's numbers, inside its head, inside the failure, inside the header.
  for (const [cut, whole] of [[full - 1, 3], [failureEnd + 5, 3], [failureEnd, 3], [firstEnd + 10, 2], [headerEnd - 3, 0], [5, 0]] as const) {
    const copy = join(dir, '..', `cut-${cut}`);
    await mkdir(copy);
    await writeFile(runDirPaths(copy).resultsTape, (await readFile(paths.resultsTape)).subarray(0, cut));
    const report: ReadResultsReport = { lines: 0, truncatedTail: false };
    const read = [];
    for await (const r of readResults(runDirPaths(copy).results, { report, missingIsEmpty: true })) read.push(r);
    const clean = cut === failureEnd;
    assert.deepEqual(read, lines.slice(0, whole).map((l) => JSON.parse(l)), `cut at ${cut}`);
    assert.equal(report.truncatedTail, !clean, `cut at ${cut}`);
    assert.equal(await endsInCutOffLine(runDirPaths(copy).results), !clean, `cut at ${cut}`);
    assert.deepEqual(await materialiseResultsTape(copy), { lines: whole, truncatedTail: !clean });
    assert.equal(await readFile(runDirPaths(copy).results, 'utf8'), lines.slice(0, whole).join(''));
  }
});

test('a file that is not a tape is damage, named', async () => {
  const dir = join(await tempDir('troupe-tape-'), 'run');
  await mkdir(dir);
  await writeFile(runDirPaths(dir).resultsTape, 'not a tape at all, just text\n');
  await assert.rejects(async () => {
    for await (const _ of readResults(runDirPaths(dir).results)) void _;
  }, /results\.tape: not a results tape/);
  await truncate(runDirPaths(dir).resultsTape, 0);
  const report: ReadResultsReport = { lines: 0, truncatedTail: false };
  for await (const _ of readResults(runDirPaths(dir).results, { report })) void _;
  assert.deepEqual(report, { lines: 0, truncatedTail: true }, 'an empty tape: killed before its header was written');
});
