/**
 * Large inputs in bounded memory (issue 15): locations keep only the columns a template or a filter
 * reads, and summary.json leaves persona × location scopes to csv/locations.csv, rebuilt from results.
 * Memory itself is measured by bench/memory.mjs, not here.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../src/errors.js';
import { inputError } from './helpers/refused.js';
import { loadInputs, run } from '../src/index.js';
import { loadLocations, parseLocations } from '../src/inputs/locations.js';
import { referencedColumns } from '../src/inputs/template.js';
import { tempDir } from './helpers/cli.js';
import { readCsv } from './fixtures/reports/read.js';
import { startCountingServer, type CountingServer } from './helpers/servers.js';

const CSV = 'id,name,address,zip,segment,notes\na,Alpha,1 Main St,02134,urban;retail,x\nb,Beta,2 Main St,10001,suburban,y\nc,Gamma,3 Main St,60606,urban,z\n';


describe('compact locations', () => {
  it('keeps only the named columns; the header still lists every column', () => {
    const { locations, columns } = parseLocations(CSV, 'places.csv', { keep: new Set(['zip']) });
    assert.deepEqual(columns, ['id', 'name', 'address', 'zip', 'segment', 'notes']);
    assert.deepEqual(locations.toArray().map((l) => [l.id, l.row, { ...l.fields }]), [
      ['a', 2, { zip: '02134' }],
      ['b', 3, { zip: 10001 }],
      ['c', 4, { zip: 60606 }],
    ]);
  });

  it('rows with no kept column share one empty fields object (no object per row)', () => {
    const { locations } = parseLocations(CSV, 'places.csv', { keep: new Set() });
    assert.equal(Object.keys(locations.at(0)!.fields).length, 0);
    assert.ok(locations.toArray().every((l) => l.fields === locations.at(0)!.fields));
  });

  it('without keep, every column stays (the programmatic default)', () => {
    const { locations } = parseLocations(CSV, 'places.csv');
    assert.deepEqual(Object.keys(locations.at(0)!.fields), ['id', 'name', 'address', 'zip', 'segment', 'notes']);
  });

  it('a bad row is named by file and row even when its faulty columns are dropped', () => {
    const short = inputError(() => parseLocations(`${CSV}d,Delta,4 Main St\n`, 'places.csv', { keep: new Set(['zip']) }));
    assert.match(short.message, /^places\.csv, row 5: has 3 values, expected 6 like the header \(id, name, address, zip, segment, notes\)/);
    const duplicate = inputError(() => parseLocations(`${CSV}b,Again,9 Main St,1,u,n\n`, 'places.csv', { keep: new Set() }));
    assert.match(duplicate.message, /^places\.csv, row 5, at id: duplicate id "b", already used at row 3/);
    const quoting = inputError(() => parseLocations('id,notes\na,"open\n', 'places.csv', { keep: new Set() }));
    assert.match(quoting.message, /^places\.csv, row 2: bad CSV quoting/);
  });

  it('NDJSON and JSON rows drop unused keys too, and still name a bad line', () => {
    const ndjson = '{"id":"a","zip":"02134","notes":"x"}\n\n{"id":"b","zip":1,"notes":"y"}\n';
    assert.deepEqual(parseLocations(ndjson, 'p.ndjson', { keep: new Set(['zip']) }).locations.toArray().map((l) => ({ ...l.fields })), [{ zip: '02134' }, { zip: 1 }]);
    assert.match(inputError(() => parseLocations(`${ndjson}{oops\n`, 'p.ndjson', { keep: new Set() })).message, /^p\.ndjson, row 4: invalid JSON on line 4/);
    assert.deepEqual(Object.keys(parseLocations('[{"id":"a","zip":1,"notes":"x"}]', 'p.json', { keep: new Set(['notes']) }).locations.at(0)!.fields), ['notes']);
  });

  it('without an id column, ids still come from name or address although those columns are dropped', () => {
    const { locations } = parseLocations('name,address,zip\nAlpha Store,1 Main St,1\n,2 Main St,2\n', 'p.csv', { keep: new Set(['zip']) });
    assert.deepEqual(locations.toArray().map((l) => l.id), ['alpha-store', '2-main-st']);
    assert.deepEqual(Object.keys(locations.at(0)!.fields), ['zip']);
  });

  it('referencedColumns finds {{location.COLUMN}} anywhere, never id, and skips malformed placeholders', () => {
    const columns = referencedColumns([{ path: '/x/{{location.id}}', query: { z: '{{ location.zip }}' } }, [{ request: { json: { deep: ['{{location.segment}}'] } } }], { headers: { 'X-A': '{{location.}}' } }]);
    assert.deepEqual([...columns].sort(), ['segment', 'zip']);
  });
});

describe('loadInputs keeps what the run renders or filters on', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('troupe-compact-');
    await mkdir(join(dir, 'personas'));
    await writeFile(join(dir, 'places.csv'), CSV);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const config = (persona: string, request = '  path: "/q/{{location.id}}"\n') =>
    Promise.all([
      writeFile(join(dir, 'personas', 'p.yaml'), persona),
      writeFile(join(dir, 'troupe.config.yaml'), `name: c\ntarget: http://127.0.0.1:9\npersonas: personas\nlocations: places.csv\nrequest:\n  method: GET\n${request}`),
    ]);

  it('a column used only by a persona journey step and a tag filter column are kept; the rest dropped', async () => {
    await config('name: walker\nlocations: { tag: urban, column: segment }\njourney:\n  - name: look\n    request:\n      method: GET\n      path: "/look"\n      query:\n        zip: "{{location.zip}}"\n');
    const inputs = await loadInputs({ cwd: dir, overrides: {}, env: {} });
    assert.deepEqual(inputs.locations.toArray().map((l) => [l.id, Object.keys(l.fields).sort()]), [
      ['a', ['segment', 'zip']],
      ['b', ['segment', 'zip']],
      ['c', ['segment', 'zip']],
    ]);
  });

  it('a column the config request uses is kept; an unknown column is still refused with the full column list', async () => {
    await config('name: reader\n', '  path: "/q/{{location.address}}"\n');
    const inputs = await loadInputs({ cwd: dir, overrides: {}, env: {} });
    assert.deepEqual(Object.keys(inputs.locations.at(0)!.fields), ['address']);
    await config('name: reader\n', '  path: "/q/{{location.nope}}"\n');
    await assert.rejects(loadInputs({ cwd: dir, overrides: {}, env: {} }), /the locations have no column "nope"; columns are: id, name, address, zip, segment, notes/);
  });
});

describe('summary.json without persona × location scopes', () => {
  let server: CountingServer;
  let dir: string;
  before(async () => {
    server = await startCountingServer({ delayMs: 0 });
    dir = await tempDir('troupe-compact-run-');
    await mkdir(join(dir, 'personas'));
    await writeFile(join(dir, 'places.csv'), CSV);
    await writeFile(join(dir, 'personas', 'a.yaml'), 'name: Ann\n');
    await writeFile(join(dir, 'personas', 'b.yaml'), 'name: Bob\nlocations: [a, c]\n');
    await writeFile(join(dir, 'troupe.config.yaml'), 'name: c\npersonas: personas\nlocations: places.csv\nout: out\nconcurrency: 2\nrequest:\n  method: GET\n  path: "/q/{{location.id}}"\n');
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('csv/locations.csv and the persona snapshots still have every persona × location figure', async () => {
    // The csv output alone (reports: true would render a PDF too, which nothing here reads).
    const result = await run({ cwd: dir, target: server.url, outputs: ['csv'], env: {} });
    assert.equal(result.status, 'complete');
    assert.equal(server.requests, 5);
    const summary = JSON.parse(await readFile(join(result.runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    assert.equal('personaLocations' in summary, false, 'summary.json leaves persona × location scopes out');
    assert.deepEqual(Object.keys(summary['locations'] as object).sort(), ['a', 'b', 'c']);

    const rows = (await readCsv(result.runDir, 'locations.csv')).filter((r) => r['scope'] === 'persona_location');
    assert.deepEqual(rows.map((r) => [r['persona'], r['location'], r['requests']]), [
      ['Ann', 'a', '1'],
      ['Ann', 'b', '1'],
      ['Ann', 'c', '1'],
      ['Bob', 'a', '1'],
      ['Bob', 'c', '1'],
    ]);
    assert.ok(rows.every((r) => r['p50_ms'] !== ''), 'each pair has its latency');

    const snapshot = JSON.parse(await readFile(join(result.runDir, 'personas', 'bob.json'), 'utf8')) as { locations: Record<string, { requests: number; p50: number | null }> };
    assert.deepEqual(Object.keys(snapshot.locations), ['a', 'c']);
    assert.ok(Object.values(snapshot.locations).every((l) => l.requests === 1 && l.p50 !== null));
  });
});

describe('streamed CSV', () => {
  let dir: string;
  before(async () => (dir = await tempDir('troupe-stream-csv-')));
  after(() => rm(dir, { recursive: true, force: true }));

  // ~2.6 MB: rows, quoted cells with commas and newlines, and multi-byte UTF-8 cross the 1 MB chunk edges.
  const rows = Array.from({ length: 30_000 }, (_, i) => `r${i},"Straße ${i}, Köln","line one\nline two ☕",${10000 + i},${i % 3 ? 'urban' : 'rural'}`);
  const text = `id,address,notes,zip,tags\n${rows.join('\n')}\n`;

  it('reads a multi-chunk file as the whole-buffer parser does, with its size and sha256', async () => {
    const path = join(dir, 'big.csv');
    await writeFile(path, text);
    const keep = new Set(['zip', 'notes']);
    const loaded = await loadLocations(path, { cwd: dir, keep });
    const whole = parseLocations(Buffer.from(text), 'big.csv', { keep });
    assert.deepEqual(loaded.columns, whole.columns);
    assert.deepEqual(loaded.locations, whole.locations);
    assert.equal(loaded.locations.at(29_999)!.fields['notes'], 'line one\nline two ☕');
    assert.equal(loaded.file.size, Buffer.byteLength(text));
    assert.equal(loaded.file.sha256, createHash('sha256').update(text).digest('hex'));
  });

  it('names the first problem of the whole file: a bad byte late in the file before a short row early on', async () => {
    const path = join(dir, 'bad.csv');
    const lines = text.split('\n');
    lines[2] = 'r1,short';
    await writeFile(path, Buffer.concat([Buffer.from(lines.join('\n')), Buffer.from([0xff, 0x0a])]));
    await assert.rejects(loadLocations(path, { cwd: dir }), (err: Error) => err instanceof InputError && /^bad\.csv, row 60002: is not valid UTF-8/.test(err.message));
  });
});
