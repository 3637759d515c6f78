/**
 * The locations of a run, held by column: ids as UTF-8 bytes in one buffer, row numbers and id hashes
 * in typed arrays, one array per kept column (repeated strings shared), and an open-addressing index
 * from id to row. A 1M-row file then costs ~40 bytes a row, most of it outside the JS heap (so V8's
 * old space does not grow to twice it), instead of an object graph of ~150 bytes a row. A `Location`
 * ({ id, row, fields }) is made only when something asks for a row: the plan's item, a visit.
 *
 * A table is plain data underneath (typed arrays and arrays as own properties): a worker thread
 * receives a structured clone and calls LocationTable.revive to get its methods back.
 */
import { Buffer } from 'node:buffer';
import type { Location, LocationFilter, LocationValue } from './types.js';

/** What the open model and the plan read: a length and an item by position. Arrays qualify. */
export interface LocationList {
  readonly length: number;
  at(index: number): Location | undefined;
}

/** The plain data of a table (what a structured clone keeps). */
export interface LocationTableData {
  size: number;
  /** Every column seen in the file, in first-seen order. */
  columns: string[];
  /** The columns whose values are held; `values[k]` is column `kept[k]`, one entry per row (undefined: absent). */
  kept: string[];
  values: LocationValue[][];
  rows: Uint32Array;
  /** Id i is idBytes[idEnds[i - 1] .. idEnds[i]) (from 0 for i = 0). */
  idBytes: Uint8Array;
  idEnds: Uint32Array;
  hashes: Uint32Array;
  /** Open addressing, linear probing: row index + 1, 0 for an empty slot; a power-of-two length. */
  slots: Int32Array;
}

/** Rows without a kept column share one frozen empty fields object. */
const NO_FIELDS: Record<string, LocationValue> = Object.freeze(Object.create(null) as Record<string, LocationValue>);

/** FNV-1a over UTF-16 code units: the same for the string at insert and at lookup. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const MIN_SLOTS = 1024;

/** A filter's picks as row indices in file order (null: every row). */
type Picks = Uint32Array | null;

export class LocationTable implements LocationList, Iterable<Location> {
  private readonly data: LocationTableData;
  private readonly bytes: Buffer;
  private readonly keptIndex: Map<string, number>;

  constructor(data: LocationTableData) {
    this.data = data;
    this.bytes = Buffer.from(data.idBytes.buffer, data.idBytes.byteOffset, data.idBytes.byteLength);
    this.keptIndex = new Map(data.kept.map((name, k) => [name, k]));
  }

  /** A table again from its structured clone (a worker thread's copy of the inputs); a table stays itself. */
  static revive(value: LocationTable | LocationTableData | { data: LocationTableData }): LocationTable {
    if (value instanceof LocationTable) return value;
    return new LocationTable('data' in value ? value.data : value);
  }

  /** A table of Location objects (a test's, an API caller's). Ids must be distinct. */
  static from(locations: readonly Location[]): LocationTable {
    const kept: string[] = [];
    const seen = new Set<string>();
    for (const l of locations) for (const key of Object.keys(l.fields)) if (!seen.has(key)) (seen.add(key), kept.push(key));
    const builder = new LocationTableBuilder(kept);
    const cells: LocationValue[] = new Array(kept.length);
    for (const l of locations) {
      kept.forEach((name, k) => (cells[k] = Object.hasOwn(l.fields, name) ? l.fields[name]! : (undefined as unknown as LocationValue)));
      if (builder.add(l.id, l.row, cells) >= 0) throw new RangeError(`duplicate location id ${JSON.stringify(l.id)}`);
    }
    return builder.build(kept);
  }

  get length(): number {
    return this.data.size;
  }

  /** Every column of the file (`id` included when it has one), kept or not. */
  get columns(): readonly string[] {
    return this.data.columns;
  }

  /** Columns whose values are held. */
  get keptColumns(): readonly string[] {
    return this.data.kept;
  }

  id(index: number): string {
    const { idEnds } = this.data;
    return this.bytes.toString('utf8', index === 0 ? 0 : idEnds[index - 1]!, idEnds[index]!);
  }

  row(index: number): number {
    return this.data.rows[index]!;
  }

  /** A kept column's value at a row; undefined for a column not kept or absent in that row. */
  value(index: number, column: string): LocationValue | undefined {
    const k = this.keptIndex.get(column);
    return k === undefined ? undefined : this.data.values[k]![index];
  }

  /** The row index of an id, or -1. */
  indexOf(id: string): number {
    return probe(this.data, hashOf(id), id, (i) => this.id(i));
  }

  /** The location at a row index, made now (a fresh object; `fields` has no prototype). */
  at(index: number): Location | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.data.size) return undefined;
    return { id: this.id(index), row: this.data.rows[index]!, fields: this.fieldsAt(index) };
  }

  get(id: string): Location | undefined {
    const index = this.indexOf(id);
    return index < 0 ? undefined : this.at(index);
  }

  *[Symbol.iterator](): Iterator<Location> {
    for (let i = 0; i < this.data.size; i++) yield this.at(i)!;
  }

  /** Every location made now: for small tables (tests, messages). */
  toArray(): Location[] {
    return Array.from({ length: this.data.size }, (_, i) => this.at(i)!);
  }

  /** The ids as a read-only list (the threshold scope catalog's view): no string per row is made. */
  idList(): Pick<readonly string[], 'length' | 'includes' | 'slice'> {
    const ids = (start = 0, end = this.data.size): string[] => {
      const out: string[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, this.data.size); i++) out.push(this.id(i));
      return out;
    };
    return { length: this.data.size, includes: (id: string) => this.indexOf(id) >= 0, slice: ids };
  }

  /** The locations a filter picks, in file order (all of them without one), made one at a time as asked for. */
  pick(filter: LocationFilter | undefined): LocationPick {
    return new LocationPick(this, filter ? this.picks(filter) : null);
  }

  private picks(filter: LocationFilter): Uint32Array {
    if ('ids' in filter) {
      const found = new Set<number>();
      for (const id of filter.ids) {
        const index = this.indexOf(id);
        if (index >= 0) found.add(index);
      }
      return Uint32Array.from([...found]).sort();
    }
    const column = this.keptIndex.get(filter.column);
    const out: number[] = [];
    if (column === undefined) return new Uint32Array(0);
    const values = this.data.values[column]!;
    const tag = filter.tag.toLowerCase();
    // Kept strings are shared, so a tags column has few distinct values: each is split once.
    const known = new Map<LocationValue | undefined, boolean>();
    for (let i = 0; i < this.data.size; i++) {
      const value = values[i];
      let hit = known.get(value);
      if (hit === undefined) {
        hit = splitTags(value).includes(tag);
        if (known.size < 4096) known.set(value, hit);
      }
      if (hit) out.push(i);
    }
    return Uint32Array.from(out);
  }

  private fieldsAt(index: number): Record<string, LocationValue> {
    const { kept, values } = this.data;
    if (kept.length === 0) return NO_FIELDS;
    const fields = Object.create(null) as Record<string, LocationValue>;
    for (let k = 0; k < kept.length; k++) {
      const value = values[k]![index];
      if (value !== undefined) fields[kept[k]!] = value;
    }
    return fields;
  }
}

/** A persona's locations: row indices into the table, Locations made when asked for. */
export class LocationPick implements LocationList {
  constructor(
    private readonly table: LocationTable,
    private readonly indices: Picks,
  ) {}

  get length(): number {
    return this.indices ? this.indices.length : this.table.length;
  }

  /** The table's row index of the k-th pick. */
  index(k: number): number {
    return this.indices ? this.indices[k]! : k;
  }

  id(k: number): string {
    return this.table.id(this.index(k));
  }

  at(k: number): Location | undefined {
    if (!Number.isInteger(k) || k < 0 || k >= this.length) return undefined;
    return this.table.at(this.index(k));
  }

  toArray(): Location[] {
    return Array.from({ length: this.length }, (_, k) => this.at(k)!);
  }
}

/** A table, or Location objects made into one (tests and API callers pass arrays). */
export function asLocationTable(locations: LocationTable | readonly Location[]): LocationTable {
  return locations instanceof LocationTable ? locations : Array.isArray(locations) ? LocationTable.from(locations) : LocationTable.revive(locations as unknown as LocationTableData);
}

/** Splits a tags cell: `urban;retail`, `urban, retail`, `urban|retail` or `urban retail`. */
export function splitTags(value: LocationValue | undefined): string[] {
  if (value === null || value === undefined) return [];
  return String(value)
    .split(/[;,|\s]+/)
    .filter((t) => t !== '')
    .map((t) => t.toLowerCase());
}

function probe(data: Pick<LocationTableData, 'slots' | 'hashes'>, hash: number, id: string, idAt: (index: number) => string): number {
  const { slots, hashes } = data;
  const mask = slots.length - 1;
  for (let s = hash & mask; slots[s] !== 0; s = (s + 1) & mask) {
    const index = slots[s]! - 1;
    if (hashes[index] === hash && idAt(index) === id) return index;
  }
  return -1;
}

/**
 * The first `length` elements: a view when at most a quarter would be wasted (no copy of a 4 MB array
 * beside itself at the end of a load), a copy otherwise.
 */
function trimmed<T extends Uint32Array | Uint8Array>(array: T, length: number): T {
  return (length * 4 >= array.length * 3 ? array.subarray(0, length) : array.slice(0, length)) as T;
}

/** A growable Uint32Array (doubling), trimmed to its length by done(). */
class U32 {
  array = new Uint32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.array.length) {
      const next = new Uint32Array(this.array.length * 2);
      next.set(this.array);
      this.array = next;
    }
    this.array[this.length++] = value;
  }
  done(): Uint32Array {
    return trimmed(this.array, this.length);
  }
}

/**
 * Fills a table row by row while a file is parsed; `add` says whether the id was already there (and
 * where), so the parser can name both rows in its message.
 */
export class LocationTableBuilder {
  private readonly rows = new U32();
  private readonly hashes = new U32();
  private readonly ends = new U32();
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private slots = new Int32Array(MIN_SLOTS);
  private readonly values: LocationValue[][];

  constructor(private readonly kept: readonly string[]) {
    this.values = kept.map(() => []);
  }

  get size(): number {
    return this.rows.length;
  }

  row(index: number): number {
    return this.rows.array[index]!;
  }

  private id(index: number): string {
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends.array[index - 1]!, this.ends.array[index]!);
  }

  /** The row index of an id added before, or -1. */
  indexOf(id: string): number {
    return probe({ slots: this.slots, hashes: this.hashes.array }, hashOf(id), id, (i) => this.id(i));
  }

  /**
   * Adds a row: its id, its row number and its kept cells (in `kept` order; the array is copied from,
   * so a caller may reuse it). Returns -1, or the index of the row that already has this id (nothing added).
   */
  add(id: string, row: number, cells: readonly LocationValue[] | null): number {
    const hash = hashOf(id);
    const mask = this.slots.length - 1;
    let s = hash & mask;
    for (; this.slots[s] !== 0; s = (s + 1) & mask) {
      const index = this.slots[s]! - 1;
      if (this.hashes.array[index] === hash && this.id(index) === id) return index;
    }
    const index = this.rows.length;
    // At most 3 UTF-8 bytes per UTF-16 unit: room is made before writing.
    if (this.used + id.length * 3 > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + id.length * 3));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    this.used += this.bytes.write(id, this.used, 'utf8');
    this.ends.push(this.used);
    this.rows.push(row);
    this.hashes.push(hash);
    for (let k = 0; k < this.kept.length; k++) this.values[k]!.push(cells![k]!);
    this.slots[s] = index + 1;
    if ((index + 1) * 2 > this.slots.length) this.grow();
    return -1;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    const hashes = this.hashes.array;
    for (let index = 0; index < this.rows.length; index++) {
      let s = hashes[index]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = index + 1;
    }
    this.slots = slots;
  }

  /** The table, its arrays trimmed to what they hold. */
  build(columns: readonly string[]): LocationTable {
    return new LocationTable({
      size: this.rows.length,
      columns: [...columns],
      kept: [...this.kept],
      values: this.values,
      rows: this.rows.done(),
      idBytes: trimmed(new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length), this.used),
      idEnds: this.ends.done(),
      hashes: this.hashes.done(),
      slots: this.slots,
    });
  }
}
