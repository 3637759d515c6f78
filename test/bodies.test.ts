/**
 * Request bodies and response decoding (issues 11 and 15): `form:` arrives urlencoded as the server
 * expects, `multipart:` fields and files arrive intact (server-side sha256), upload paths are checked
 * at load; gzip and br bodies are asked for, decoded for checks and captures, and results carry wire
 * and decoded bytes; `bytes` means response body bytes in `run` and in `bench` alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { executeBench } from '../src/bench/run.js';
import type { ResultRecord } from '../src/engine/records.js';
import { run, validate, TroupeError } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { startRealisticApi } from './helpers/realistic-api.js';
import { startCountingServer } from './helpers/servers.js';

async function project(target: string, personas: Record<string, string>, extra = ''): Promise<string> {
  const dir = await tempDir('troupe-bodies-');
  await mkdir(join(dir, 'personas'));
  for (const [name, text] of Object.entries(personas)) await writeFile(join(dir, 'personas', name), text);
  await writeFile(join(dir, 'locations.csv'), 'id,city\nl1,Oslo\nl2,Lima\n');
  await writeFile(join(dir, 'troupe.config.yaml'), `target: ${target}\npersonas: personas\nlocations: locations.csv\nout: out\nconcurrency: 2\n${extra}`);
  return dir;
}

async function results(runDir: string): Promise<ResultRecord[]> {
  return (await readFile(join(runDir, 'results.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
}

test('form: bodies arrive urlencoded, templated, with their content type, as the server expects', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const persona = `name: Jo
params: { user: "jo & co" }
journey:
  - name: login
    request: { method: POST, path: /login, form: { user: "{{persona.params.user}}", password: secret, tags: [a, "{{location.city}}"] } }
    expect: [{ status: 200 }]
    capture: { token: { json: token } }
`;
  const result = await run({ cwd: await project(api.url, { 'jo.yaml': persona }) });
  assert.equal(result.summary.global.ok, 2);
  assert.equal(api.stats.loginsByUser.get('jo & co'), 2, 'the server parsed the form and logged the user in');
  assert.deepEqual(api.stats.bodies.get('/login')?.sort(), ['user=jo+%26+co&password=secret&tags=a&tags=Lima', 'user=jo+%26+co&password=secret&tags=a&tags=Oslo']);
});

test('multipart: fields and files arrive intact; paths are relative to the persona file; a missing file is exit 2 naming the key', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const dir = await project(api.url, {});
  await mkdir(join(dir, 'personas', 'files'));
  const csv = Buffer.from(Array.from({ length: 5000 }, (_, i) => `row ${i},${i * 7}\n`).join(''));
  await writeFile(join(dir, 'personas', 'files', 'data.csv'), csv);
  await writeFile(join(dir, 'personas', 'empty.bin'), Buffer.alloc(0));
  await writeFile(join(dir, 'personas', 'up.yaml'), `name: Uploader
journey:
  - name: upload
    request:
      method: POST
      path: /upload
      multipart:
        title: "report {{location.city}}"
        report: { file: files/data.csv, filename: "{{location.id}}.csv", contentType: text/csv }
        blank: { file: empty.bin }
    expect: [{ status: 200 }, { json: "files[0].sha256", equals: "${createHash('sha256').update(csv).digest('hex')}" }]
`);
  const result = await run({ cwd: dir });
  assert.equal(result.summary.global.ok, 2, JSON.stringify(result.summary.global.errorCodes));
  const uploads = api.stats.uploads.sort((a, b) => (a.fields.title! < b.fields.title! ? -1 : 1));
  assert.deepEqual(uploads.map((u) => u.fields), [{ title: 'report Lima' }, { title: 'report Oslo' }]);
  assert.deepEqual(uploads[1]!.files, [
    { field: 'report', filename: 'l1.csv', size: csv.length, sha256: createHash('sha256').update(csv).digest('hex') },
    { field: 'blank', filename: 'empty.bin', size: 0, sha256: createHash('sha256').update('').digest('hex') },
  ]);

  await writeFile(join(dir, 'personas', 'up.yaml'), 'name: Uploader\nrequest: { method: POST, path: /upload, multipart: { report: { file: files/nope.csv } } }\n');
  const missing = await validate({ cwd: dir }).catch((e: unknown) => e);
  assert.ok(missing instanceof TroupeError && missing.exitCode === 2);
  assert.match(missing.message, /^personas\/up\.yaml, at request\.multipart\.report\.file: upload file "files\/nope\.csv" not found \(looked for .*personas\/files\/nope\.csv, relative to the folder of personas\/up\.yaml\)/);

  await writeFile(join(dir, 'personas', 'up.yaml'), 'name: Uploader\nrequest: { method: POST, path: /upload, json: {}, form: { a: b } }\n');
  const both = await validate({ cwd: dir }).catch((e: unknown) => e);
  assert.match((both as Error).message, /has both json and form; expected at most one of json, body, form, multipart/);
});

test('compression: br and gzip bodies are decoded for checks and captures; results carry wire bytes < decoded bytes', async (t) => {
  const api = await startRealisticApi();
  t.after(() => api.close());
  const journey = (name: string, headers: string) => `name: ${name}
${headers}journey:
  - name: list
    request: { method: GET, path: /compressed }
    expect: [{ status: 200 }, { json: items, minCount: 200 }, { contains: "item 199" }]
    capture: { third: { json: "items[3].name" } }
  - name: echo
    request: { method: POST, path: /login, json: { user: "{{vars.third}}", password: secret } }
    expect: [{ status: 200 }]
`;
  const dir = await project(api.url, { 'a.yaml': journey('Default', ''), 'b.yaml': journey('Gzip only', 'headers: { Accept-Encoding: gzip }\n') });
  const result = await run({ cwd: dir });
  assert.equal(result.summary.global.errors, 0, JSON.stringify(result.summary.global.errorCodes));
  assert.deepEqual(Object.fromEntries(api.stats.encodings), { br: 2, gzip: 2 }, 'troupe asked for br (its default) and the persona\'s gzip');
  assert.equal(api.stats.loginsByUser.get('item 3'), 4, 'the capture read the decoded body');
  const lists = (await results(result.runDir)).filter((l) => l.step === 'list');
  for (const line of lists) {
    assert.ok(line.decodedBytes !== undefined && line.bytes < line.decodedBytes, `wire ${line.bytes} < decoded ${line.decodedBytes}`);
    assert.equal(line.protocol, 'http/1.1');
  }
  const { global } = result.summary;
  console.log(`compression: wire ${global.bytes} B, decoded ${global.decodedBytes} B over ${global.requests} requests`);
  assert.ok(global.decodedBytes !== undefined && global.decodedBytes > global.bytes);
  assert.equal(global.decodedBytes - global.bytes, lists.reduce((sum, l) => sum + l.decodedBytes! - l.bytes, 0), 'summary sums the lines');

  // compression: false: nothing asked for, nothing decoded.
  const plain = await run({ cwd: await project(api.url, { 'a.yaml': 'name: Plain\njourney:\n  - name: list\n    request: { method: GET, path: /compressed }\n' }, 'compression: false\n') });
  assert.equal(api.stats.encodings.get('identity'), 2);
  assert.ok((await results(plain.runDir)).every((l) => l.decodedBytes === undefined));
  assert.equal(plain.summary.global.decodedBytes, undefined);
});

test('bytes means response body bytes in run and in bench alike (headers not counted)', async (t) => {
  const body = 'x'.repeat(1234);
  const server = await startCountingServer({ delayMs: 0, body });
  t.after(() => server.close());
  const ran = await run({ cwd: await project(server.url, { 'a.yaml': 'name: A\njourney:\n  - name: get\n    request: { method: GET, path: /x }\n' }, 'iterations: 5\n') });
  assert.equal(ran.summary.global.requests, 10);
  assert.equal(ran.summary.global.bytes, 10 * body.length, 'run: body bytes');
  const out = await tempDir('troupe-bodies-bench-');
  const bench = await executeBench({
    bench: { url: `${server.url}/x`, connections: 2, durationS: 5, amount: 10, method: 'GET', headers: {}, pipelining: 1, timeoutS: 5 },
    workers: 1,
    outDir: out,
    name: 'bench',
    thresholds: [],
  });
  assert.equal(bench.summary.global.requests, 10);
  assert.equal(bench.summary.global.bytes, 10 * body.length, 'bench: body bytes too');
  assert.ok((await results(bench.runDir)).every((l) => l.bytes === body.length && l.protocol === 'http/1.1'));
});
