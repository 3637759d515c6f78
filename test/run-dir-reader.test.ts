import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DamagedFileError } from '../src/errors.js';
import { readManifest, readSummary } from '../src/run-dir/json-files.js';
import { shownPath } from '../src/run-dir/paths.js';
import { endsInCutOffLine, readResultEntries, readResults, repairTail, type ReadResultsReport } from '../src/run-dir/results.js';

const line = (id: string) => JSON.stringify({ id, persona: 'p', ok: true, latencyMs: 1 });

async function fileWith(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-contract-reader-'));
  const path = join(dir, 'results.ndjson');
  await writeFile(path, text);
  return path;
}

async function collect(path: string, report?: ReadResultsReport): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of readResults(path, report ? { report } : {})) ids.push(r.id);
  return ids;
}

test('results reader: whole lines, a whole last line without newline, CRLF and blank lines', async () => {
  const path = await fileWith(`${line('a')}\r\n\n${line('b')}\n${line('c')}`);
  const report = { lines: -1, truncatedTail: true };
  assert.deepEqual(await collect(path, report), ['a', 'b', 'c']);
  assert.deepEqual(report, { lines: 3, truncatedTail: false });
  assert.equal(await endsInCutOffLine(path), false);
});

test('results reader: a cut-off last line is skipped and reported', async () => {
  const path = await fileWith(`${line('a')}\n${line('b')}\n{"id":"c","pers`);
  const report = { lines: 0, truncatedTail: false };
  assert.deepEqual(await collect(path, report), ['a', 'b']);
  assert.deepEqual(report, { lines: 2, truncatedTail: true });
  assert.equal(await endsInCutOffLine(path), true);
});

test('results reader: a bad line that is not the last throws E_RUN_DIR_DAMAGED naming the file and line', async () => {
  for (const bad of ['{"id":"x","pers', '42', '[]', '{"persona":"no id"}']) {
    const path = await fileWith(`${line('a')}\n${bad}\n${line('c')}\n`);
    await assert.rejects(collect(path), (err: unknown) => {
      assert.ok(err instanceof DamagedFileError, String(err));
      assert.equal(err.code, 'E_RUN_DIR_DAMAGED');
      assert.equal(err.exitCode, 2);
      assert.equal(err.line, 2);
      assert.ok(err.message.startsWith(`${path}, line 2: not a JSON result line (`), err.message);
      assert.ok(err.message.endsWith(' (the file is damaged; only a cut-off last line is tolerated)'), err.message);
      return true;
    });
  }
  // A bad last line that ends in a newline was not cut off by a kill: it is damage too.
  await assert.rejects(collect(await fileWith(`${line('a')}\nnot json\n`)), { code: 'E_RUN_DIR_DAMAGED', line: 2 });
});

test('results reader: an empty file reads as no lines; a missing one throws unless missingIsEmpty', async () => {
  const path = await fileWith('');
  const report = { lines: 5, truncatedTail: true };
  assert.deepEqual(await collect(path, report), []);
  assert.deepEqual(report, { lines: 0, truncatedTail: false });
  const missing = join(path, '..', 'none.ndjson');
  await assert.rejects(collect(missing), { code: 'ENOENT' });
  let n = 0;
  for await (const _ of readResults(missing, { missingIsEmpty: true })) n++;
  assert.equal(n, 0);
});

test('results reader, entries mode: text and byte offsets as in the file (multi-byte text, CRLF, chunk borders)', async () => {
  const long = 'é'.repeat(600_000); // 1.2 MB: crosses the 1 MB chunk border, multi-byte characters split
  const lines = [JSON.stringify({ id: 'a', message: 'ünïcode' }), JSON.stringify({ id: 'b', message: long }), JSON.stringify({ id: 'c' })];
  const text = `${lines[0]}\r\n${lines[1]}\n\n${lines[2]}\n`;
  const path = await fileWith(text);
  const buf = await readFile(path);
  const seen = [];
  for await (const e of readResultEntries(path)) {
    assert.equal(buf.subarray(e.offset, e.offset + Buffer.byteLength(e.text)).toString('utf8'), e.text);
    seen.push([e.result.id, e.line]);
  }
  assert.deepEqual(seen, [['a', 1], ['b', 2], ['c', 4]]);
});

test('repairTail drops a cut-off last line and completes a whole one', async () => {
  const cut = await fileWith(`${line('a')}\n{"id":"b`);
  assert.equal(await repairTail(cut), 'cut-off line dropped');
  assert.equal(await readFile(cut, 'utf8'), `${line('a')}\n`);
  const whole = await fileWith(`${line('a')}\n${line('b')}`);
  assert.equal(await repairTail(whole), 'newline added');
  assert.equal(await readFile(whole, 'utf8'), `${line('a')}\n${line('b')}\n`);
  assert.equal(await repairTail(whole), 'intact');
});

test('readManifest / readSummary: missing is null; invalid JSON is E_RUN_DIR_DAMAGED naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-contract-json-'));
  assert.equal(await readManifest(dir), null);
  assert.equal(await readSummary(join(dir, 'summary.json')), null);
  await writeFile(join(dir, 'run.json'), '{"runId": "x"');
  await writeFile(join(dir, 'summary.json'), '[1]');
  await assert.rejects(readManifest(dir), (err: unknown) => {
    assert.ok(err instanceof DamagedFileError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /run\.json: not valid JSON \(.+\) \(the file is damaged or not written by troupe\)$/);
    return true;
  });
  await assert.rejects(readSummary(join(dir, 'summary.json')), { code: 'E_RUN_DIR_DAMAGED', message: /summary\.json: not a JSON object/ });
});

test('shownPath: relative under the current directory, absolute elsewhere', () => {
  assert.equal(shownPath('/work/p/reports/x/results.ndjson', '/work/p'), 'reports/x/results.ndjson');
  assert.equal(shownPath('/tmp/x/results.ndjson', '/work/p'), '/tmp/x/results.ndjson');
  assert.equal(shownPath('/work/p', '/work/p'), '/work/p');
});
