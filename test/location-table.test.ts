/**
 * The column store behind LoadedInputs.locations (issue 15): values, ids and row numbers as the
 * object-per-row loader gave them, unused columns dropped, duplicates named by row, and a table that
 * survives the structured clone a worker thread receives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inputError } from './helpers/refused.js';
import { LocationTable } from '../src/inputs/location-table.js';
import { csvReader, parseLocations, pickLocations } from '../src/inputs/locations.js';
import { uniqueSlugs } from '../src/inputs/slug.js';
import { buildPlan } from '../src/plan/plan.js';
import type { Persona } from '../src/inputs/types.js';

const CSV = 'id,name,zip,tags,notes\nnorth,North Store,02134,urban;retail,x\n\nsouth,South Store,10001,suburban,y\n  east  ,East Store,60606,URBAN,z\n';


const persona = (name: string, extra: Partial<Persona> = {}): Persona => ({ name, slug: name, weight: 1, headers: {}, params: {}, source: 'test', ...extra });

describe('LocationTable', () => {
  const { locations: table, columns } = parseLocations(CSV, 'places.csv', { keep: new Set(['zip', 'tags']) });

  it('holds ids, file row numbers and kept values; every column is still listed', () => {
    assert.equal(table.length, 3);
    assert.deepEqual(columns, ['id', 'name', 'zip', 'tags', 'notes']);
    assert.deepEqual([0, 1, 2].map((i) => [table.id(i), table.row(i)]), [['north', 2], ['south', 3], ['east', 4]], 'rows count records (a blank line is skipped); ids are trimmed');
    assert.equal(table.value(0, 'zip'), '02134', 'a leading zero keeps the value a string');
    assert.equal(table.value(1, 'zip'), 10001);
    assert.deepEqual(table.keptColumns, ['zip', 'tags']);
  });

  it('drops the columns nothing uses: no values, and not in a made Location', () => {
    assert.equal(table.value(0, 'name'), undefined);
    assert.equal(table.value(0, 'notes'), undefined);
    const north = table.at(0)!;
    assert.deepEqual({ ...north.fields }, { zip: '02134', tags: 'urban;retail' });
    assert.equal(Object.getPrototypeOf(north.fields), null, 'a column named like an Object method cannot reach the prototype');
    assert.equal(table.at(3), undefined);
    assert.equal(table.at(-1), undefined);
  });

  it('finds a row by id, and says -1 for an unknown one', () => {
    assert.equal(table.indexOf('south'), 1);
    assert.equal(table.indexOf('East'), -1, 'ids compare exactly');
    assert.equal(table.indexOf('nowhere'), -1);
    assert.deepEqual(table.get('east'), { id: 'east', row: 4, fields: Object.assign(Object.create(null), { zip: 60606, tags: 'URBAN' }) });
  });

  it('picks by tag (case-insensitively) or by ids, in file order, making Locations only when asked', () => {
    const urban = table.pick({ tag: 'Urban', column: 'tags' });
    assert.deepEqual([urban.length, urban.id(0), urban.id(1)], [2, 'north', 'east']);
    assert.deepEqual(table.pick({ ids: ['east', 'north', 'east', 'gone'] }).toArray().map((l) => l.id), ['north', 'east']);
    assert.equal(table.pick(undefined).length, 3);
    assert.equal(pickLocations(table, { tag: 'none', column: 'tags' }).length, 0);
  });

  it('names the row of a duplicate id and the row it was first used at (CSV, NDJSON and JSON)', () => {
    const csv = inputError(() => parseLocations(`${CSV}south,Again,1,u,n\n`, 'places.csv', { keep: new Set() }));
    assert.match(csv.message, /^places\.csv, row 5, at id: duplicate id "south", already used at row 3; expected unique ids/);
    const ndjson = inputError(() => parseLocations('{"id":"a"}\n\n{"id":"b"}\n{"id":"a"}\n', 'p.ndjson', { keep: new Set() }));
    assert.match(ndjson.message, /^p\.ndjson, row 4, at id: duplicate id "a", already used at row 1/);
    const json = inputError(() => parseLocations('[{"id":"a"},{"id":"b"},{"id":"b"}]', 'p.json', { keep: new Set() }));
    assert.match(json.message, /^p\.json, at \[2\]\.id: duplicate id "b", already used at \[1\]/);
  });

  it('a file without ids gets the slugs uniqueSlugs gives, duplicates numbered', () => {
    const names = ['Main St', 'Main St', 'main-st-2', 'Main St', '', '!!'];
    const text = `name,zip\n${names.map((n, i) => `${n},${i}`).join('\n')}\n`;
    const { locations } = parseLocations(text, 'p.csv', { keep: new Set(['zip']) });
    const labels = names.map((n, i) => n || String(i));
    assert.deepEqual(locations.toArray().map((l) => l.id), uniqueSlugs(labels, 'location'));
    assert.deepEqual(locations.toArray().map((l) => l.id), ['main-st', 'main-st-2', 'main-st-2-2', 'main-st-3', '4', 'location']);
  });

  it('many rows: every id is found again, the index growing past its first size', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `id-${i},${i % 7}`);
    const { locations } = parseLocations(`id,zip\n${rows.join('\n')}\n`, 'p.csv', { keep: new Set(['zip']) });
    assert.equal(locations.length, 5000);
    for (const i of [0, 1, 999, 2500, 4999]) assert.deepEqual([locations.indexOf(`id-${i}`), locations.value(i, 'zip'), locations.row(i)], [i, i % 7, i + 2]);
    assert.equal(locations.indexOf('id-5000'), -1);
  });

  it('reads the same table fed a byte at a time as at once (quoted newlines and UTF-8 across chunk edges)', () => {
    const text = 'id,address,zip\n"a","Straße 1, Köln",1\nb,"two\nlines ☕",02\n';
    const whole = parseLocations(text, 'p.csv', { keep: new Set(['address', 'zip']) }).locations;
    const reader = csvReader('p.csv', new Set(['address', 'zip']));
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) reader.write(bytes.subarray(i, i + 1));
    assert.deepEqual(reader.end().locations.toArray(), whole.toArray());
    assert.equal(whole.value(1, 'address'), 'two\nlines ☕');
  });

  it('survives a structured clone (a worker thread): revive gives the same rows and lookups', () => {
    const copy = LocationTable.revive(structuredClone(table) as unknown as LocationTable);
    assert.ok(copy instanceof LocationTable);
    assert.deepEqual(copy.toArray(), table.toArray());
    assert.equal(copy.indexOf('east'), 2);
  });

  it('from(Location[]) and the plan: item ids name persona, location id and iteration', () => {
    const from = LocationTable.from([{ id: 'x', row: 2, fields: { zip: 1 } }, { id: 'y', row: 3, fields: {} }]);
    assert.deepEqual(from.toArray().map((l) => [l.id, l.row, { ...l.fields }]), [['x', 2, { zip: 1 }], ['y', 3, {}]]);
    assert.throws(() => LocationTable.from([{ id: 'x', row: 2, fields: {} }, { id: 'x', row: 3, fields: {} }]), /duplicate location id "x"/);
    const plan = buildPlan([persona('p'), persona('q', { locations: { ids: ['east'] } })], table, { order: 'persona', iterations: 2, seed: 1 });
    assert.deepEqual([...plan].map((item) => item.id), ['p/north/1', 'p/south/1', 'p/east/1', 'p/north/2', 'p/south/2', 'p/east/2', 'q/east/1', 'q/east/2']);
  });
});
