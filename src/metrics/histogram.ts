/**
 * Latency histograms: HdrHistogram semantics and wire format (hdr-histogram-js, pure JS), with sparse counts.
 *
 * Why not a plain hdr-histogram-js instance per scope (measured on Node 20, 1 µs..1 h, 3 digits, 23,552 slots):
 *   - Int32 (`bitBucketSize: 32`): 93 KiB per instance from the first value on; 1,000 locations × 4 histograms
 *     would be ~370 MB before a single persona×location scope exists.
 *   - packed (`bitBucketSize: 'packed'`): 1.5 KiB empty, 17 KiB at 1k values, 46 KiB at 100k values, but
 *     ~580 ns per record (Int32: ~95 ns) and ~10 ms per percentile on a full histogram, because every
 *     count read walks its tree; summarising thousands of scopes would take minutes.
 * So this class keeps the library's slots (its counts-array indexes) itself, sized to what was recorded:
 *   - sparse: sorted non-empty slot indexes + counts (10 bytes a slot, binary search, ~30-70 ns a record),
 *     while that is smaller than the next form; most scopes stay here (10 values: ~0.5 KiB with headers);
 *   - chunked: one Float64Array per touched HdrHistogram bucket (8 KiB with 3 digits, 1 KiB with 2), allocated
 *     on first use (~10 ns a record); a busy histogram over 0.5 ms–5 s touches ~13 buckets (~104 KiB).
 * The library stays the reference: the layout is read from a library histogram built with the settings below;
 * slot indexes and value ranges, percentiles, mean and the encoding are checked equal to the library's in tests
 * (encode() writes its V2 compressed base64 byte for byte, see hdr-codec.ts). Counts only ever move between
 * identical slot layouts, so merging decoded histograms is exact: same counts, same numbers.
 */
import type { JsHistogram } from 'hdr-histogram-js';
// The JS classes only: the package's index also loads its WebAssembly build, ~11 MB of resident memory
// in every run that troupe never uses (issue 12, peak RSS).
import { constructorFromBucketSize } from 'hdr-histogram-js/dist/JsHistogramFactory.js';
import { RunDirError } from '../errors.js';
import { decodeSlots, encodeSlots, type DecodedSlots } from './hdr-codec.js';

/** Percentiles every latency summary reports, and their key names, in one place. */
export const PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;
export const PERCENTILE_KEYS = ['p50', 'p75', 'p90', 'p95', 'p99', 'p999'] as const;
export type PercentileKey = (typeof PERCENTILE_KEYS)[number];

export type SignificantDigits = 2 | 3;

const LOWEST_DISCERNIBLE_US = 1;
const HIGHEST_TRACKABLE_US = 3_600_000_000;

/** For the reports' "how measured" note. */
export const HISTOGRAM_PRECISION = {
  method: 'HdrHistogram (hdr-histogram-js, V2 compressed encoding), mergeable across runs and shards',
  unit: 'microseconds',
  significantDigits: 3,
  /** Persona×location scopes use 2 digits to stay small when there are 100,000 of them. */
  personaLocationSignificantDigits: 2,
  lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
  highestTrackableValue: HIGHEST_TRACKABLE_US,
  /** Values are rounded to whole µs (at least 1 µs) and clamped to 1 h. */
  clamp: { minMicros: LOWEST_DISCERNIBLE_US, maxMicros: HIGHEST_TRACKABLE_US },
  percentile:
    'nearest rank, reported as the highest value of its bucket (at most 0.1% high with 3 digits, 1% with 2) ' +
    'capped at the maximum; min and max are exact; the mean uses bucket midpoints',
} as const;

/** Latency statistics in milliseconds with 3 decimals (whole µs); null when nothing was recorded. */
export interface LatencyStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Slot layout of one precision, read from a library histogram built with the same settings. */
interface Layout {
  digits: SignificantDigits;
  /** A chunk (one HdrHistogram bucket's upper half) holds 2^halfMagnitude slots: slot >>> halfMagnitude picks it. */
  halfMagnitude: number;
  halfCount: number;
  chunks: number;
  /** subBucketCount - 1: values below it land in bucket 0. */
  bucket0Mask: number;
  slots: number;
}

const layouts = new Map<SignificantDigits, Layout>();

function newLibraryHistogram(digits: SignificantDigits): JsHistogram {
  // Only read for its layout, so the smallest count size will do.
  const Histogram = constructorFromBucketSize(8);
  return new Histogram(LOWEST_DISCERNIBLE_US, HIGHEST_TRACKABLE_US, digits) as unknown as JsHistogram;
}

function layoutFor(digits: SignificantDigits): Layout {
  let layout = layouts.get(digits);
  if (layout === undefined) {
    const lib = newLibraryHistogram(digits);
    // Slot indexes are stored in a Uint16Array and computed with 32-bit integer maths.
    if (lib.countsArrayLength > 0xffff || lib.unitMagnitude !== 0 || HIGHEST_TRACKABLE_US >= 2 ** 32) {
      throw new Error(`unsupported histogram layout for ${digits} significant digits`);
    }
    layout = {
      digits,
      halfMagnitude: lib.subBucketHalfCountMagnitude,
      halfCount: lib.subBucketHalfCount,
      chunks: Math.ceil(lib.countsArrayLength / lib.subBucketHalfCount),
      bucket0Mask: lib.subBucketCount - 1,
      slots: lib.countsArrayLength,
    };
    layouts.set(digits, layout);
  }
  return layout;
}

/** The library's countsArrayIndex, in 32-bit integer maths (same results, checked in tests). `us` in 1..2^32-1. */
export function slotIndex(digits: SignificantDigits, us: number): number {
  return slotOf(layoutFor(digits), us);
}

function slotOf(layout: Layout, us: number): number {
  // floor(log2(us | mask)) - halfMagnitude; `|` yields an int32, clz32 reads it back as uint32.
  const bucket = 31 - Math.clz32(us | layout.bucket0Mask) - layout.halfMagnitude;
  return ((bucket + 1) << layout.halfMagnitude) + ((us >>> bucket) - layout.halfCount);
}

/** Lowest value (µs) of a slot's range: the library's valueFromIndex. */
function slotLowest(layout: Layout, slot: number): number {
  const chunk = slot >>> layout.halfMagnitude;
  if (chunk <= 1) return slot; // bucket 0 holds single values
  return ((slot & (layout.halfCount - 1)) + layout.halfCount) * 2 ** (chunk - 1);
}

/** Width (µs) of a slot's range: the library's sizeOfEquivalentValueRange. */
function slotWidth(layout: Layout, slot: number): number {
  const chunk = slot >>> layout.halfMagnitude;
  return chunk <= 1 ? 1 : 2 ** (chunk - 1);
}

/** Lowest and highest value (µs) of a slot, as the library's lowest/highestEquivalentValue (checked in tests). */
export function slotRange(digits: SignificantDigits, slot: number): { lowest: number; highest: number } {
  const layout = layoutFor(digits);
  const lowest = slotLowest(layout, slot);
  return { lowest, highest: lowest + slotWidth(layout, slot) - 1 };
}

/** Whole microseconds, at least 1, at most 1 h. NaN counts as 1 µs so that counts stay consistent. */
function toMicros(ms: number): number {
  const us = Math.round(ms * 1000);
  if (!(us >= LOWEST_DISCERNIBLE_US)) return LOWEST_DISCERNIBLE_US;
  return us > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : us;
}

const toMs = (us: number): number => Math.round(us) / 1000;

/** The library's count at a percentile: nearest rank, guarded against 1-ulp float error, at least 1. */
function rankAt(percentile: number, total: number): number {
  const fp = (Math.min(percentile, 100) / 100) * total;
  const ulp = Math.pow(2, Math.floor(Math.log2(fp)) - 52);
  return Math.max(Math.ceil(fp - ulp), 1);
}

const EMPTY_SLOTS = new Uint16Array(0);
const EMPTY_COUNTS = new Float64Array(0);
const SPARSE_BYTES_PER_SLOT = 10;
const CHUNK_BYTES_PER_SLOT = 8;

/** Both sparse arrays in one ArrayBuffer: one buffer object fewer (~120 bytes) per histogram. */
function sparseArrays(capacity: number): { slots: Uint16Array; counts: Float64Array } {
  const buffer = new ArrayBuffer(capacity * SPARSE_BYTES_PER_SLOT);
  return { counts: new Float64Array(buffer, 0, capacity), slots: new Uint16Array(buffer, capacity * 8, capacity) };
}

/** Non-empty slots in ascending order, for everything but recording. */
interface SlotView {
  slots: Uint16Array;
  counts: Float64Array;
  used: number;
}

export class LatencyHistogram {
  readonly significantDigits: SignificantDigits;
  private readonly layout: Layout;
  // Sparse form: `counts[i]` belongs to `slots[i]`, slots sorted ascending. Unused once `chunks` is set.
  private slots: Uint16Array = EMPTY_SLOTS;
  private counts: Float64Array = EMPTY_COUNTS;
  private used = 0;
  /** Chunked form: chunks[slot >>> halfMagnitude][slot & (halfCount - 1)]. */
  private chunks: (Float64Array | undefined)[] | null = null;
  private chunkCount = 0;
  private total = 0;
  /**
   * Exact extremes in µs, so that a 500 ms timeout shows as 500 ms rather than as the top of its bucket. They
   * travel beside the encoded histogram (in the summary's stats); decode() without them falls back to bucket bounds.
   */
  private minUs = Infinity;
  private maxUs = 0;

  constructor(significantDigits: SignificantDigits = 3) {
    this.significantDigits = significantDigits;
    this.layout = layoutFor(significantDigits);
  }

  get count(): number {
    return this.total;
  }

  /** Bytes held in count storage (object headers excluded: ~0.3 KiB more). */
  get storageBytes(): number {
    if (this.chunks === null) return this.slots.length * SPARSE_BYTES_PER_SLOT;
    return this.chunkCount * this.layout.halfCount * CHUNK_BYTES_PER_SLOT + this.chunks.length * 8;
  }

  record(ms: number): void {
    const us = toMicros(ms);
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
    const slot = slotOf(this.layout, us);
    this.total++;
    if (this.chunks !== null) {
      const chunk = this.chunks[slot >>> this.layout.halfMagnitude] ?? this.newChunk(slot >>> this.layout.halfMagnitude);
      chunk[slot & (this.layout.halfCount - 1)]++;
    } else {
      this.addToSlot(slot, 1);
    }
  }

  private newChunk(index: number): Float64Array {
    const chunk = new Float64Array(this.layout.halfCount);
    this.chunks![index] = chunk;
    this.chunkCount++;
    return chunk;
  }

  /** Sparse form only; does not touch `total`. */
  private addToSlot(slot: number, n: number): void {
    const slots = this.slots;
    let lo = 0;
    let hi = this.used - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = slots[mid];
      if (s < slot) lo = mid + 1;
      else if (s > slot) hi = mid - 1;
      else {
        this.counts[mid] += n;
        return;
      }
    }
    if (this.used === slots.length) {
      if (this.used >= 64 && this.chunkedIsSmaller()) {
        this.toChunks();
        this.addToChunk(slot, n);
        return;
      }
      this.grow();
    }
    // Insert at `lo`: new slots are rare once a histogram has warmed up.
    this.slots.copyWithin(lo + 1, lo, this.used);
    this.counts.copyWithin(lo + 1, lo, this.used);
    this.slots[lo] = slot;
    this.counts[lo] = n;
    this.used++;
  }

  private addToChunk(slot: number, n: number): void {
    const index = slot >>> this.layout.halfMagnitude;
    (this.chunks![index] ?? this.newChunk(index))[slot & (this.layout.halfCount - 1)] += n;
  }

  private grow(): void {
    const capacity = Math.min(this.layout.slots, Math.max(8, Math.ceil(this.slots.length * 1.5)));
    const { slots, counts } = sparseArrays(capacity);
    slots.set(this.slots.subarray(0, this.used));
    counts.set(this.counts.subarray(0, this.used));
    this.slots = slots;
    this.counts = counts;
  }

  /**
   * Switch when chunks would take at most twice the sparse arrays' bytes: chunks record 4-7× faster,
   * and a histogram that has grown this far tends to keep growing.
   */
  private chunkedIsSmaller(): boolean {
    let chunks = 0;
    let last = -1;
    for (let i = 0; i < this.used; i++) {
      const chunk = this.slots[i] >>> this.layout.halfMagnitude;
      if (chunk !== last) {
        chunks++;
        last = chunk;
      }
    }
    return chunks * this.layout.halfCount * CHUNK_BYTES_PER_SLOT <= 2 * this.used * SPARSE_BYTES_PER_SLOT;
  }

  private toChunks(): void {
    const { slots, counts, used } = this;
    this.chunks = new Array<Float64Array | undefined>(this.layout.chunks).fill(undefined);
    this.chunkCount = 0;
    this.slots = EMPTY_SLOTS;
    this.counts = EMPTY_COUNTS;
    this.used = 0;
    for (let i = 0; i < used; i++) this.addToChunk(slots[i], counts[i]);
  }

  /** Non-empty slots in ascending order (a copy in the chunked form). */
  private view(): SlotView {
    if (this.chunks === null) return { slots: this.slots, counts: this.counts, used: this.used };
    let used = 0;
    for (const chunk of this.chunks) if (chunk !== undefined) for (const n of chunk) if (n > 0) used++;
    const slots = new Uint16Array(used);
    const counts = new Float64Array(used);
    let k = 0;
    this.chunks.forEach((chunk, index) => {
      if (chunk === undefined) return;
      const base = index << this.layout.halfMagnitude;
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] > 0) {
          slots[k] = base + i;
          counts[k++] = chunk[i];
        }
      }
    });
    return { slots, counts, used };
  }

  /** Adds another histogram's counts. Both must have the same precision. */
  merge(other: LatencyHistogram): void {
    if (other.significantDigits !== this.significantDigits) {
      throw new RunDirError(
        `cannot merge a histogram with ${other.significantDigits} significant digits into one with ${this.significantDigits}`,
      );
    }
    if (other.total === 0) return;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
    this.total += other.total;
    const b = other.view();
    if (this.chunks === null && other.chunks !== null) this.toChunks();
    if (this.chunks !== null) {
      for (let j = 0; j < b.used; j++) this.addToChunk(b.slots[j], b.counts[j]);
      return;
    }
    const a = this.view();
    const { slots, counts } = sparseArrays(Math.min(this.layout.slots, a.used + b.used));
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.used && j < b.used) {
      const sa = a.slots[i];
      const sb = b.slots[j];
      if (sa < sb) {
        slots[k] = sa;
        counts[k++] = a.counts[i++];
      } else if (sb < sa) {
        slots[k] = sb;
        counts[k++] = b.counts[j++];
      } else {
        slots[k] = sa;
        counts[k++] = a.counts[i++] + b.counts[j++];
      }
    }
    while (i < a.used) {
      slots[k] = a.slots[i];
      counts[k++] = a.counts[i++];
    }
    while (j < b.used) {
      slots[k] = b.slots[j];
      counts[k++] = b.counts[j++];
    }
    this.slots = slots;
    this.counts = counts;
    this.used = k;
    if (k >= 64 && this.chunkedIsSmaller()) this.toChunks();
  }

  /**
   * Value at a percentile (nearest rank), in ms; 0 when empty. As in HdrHistogram, the highest value of the
   * rank's bucket, but never above the exact maximum.
   */
  percentileMs(percentile: number): number {
    if (this.total === 0) return 0;
    if (percentile <= 0) return this.minMs;
    const { slots, counts, used } = this.view();
    const rank = rankAt(percentile, this.total);
    let seen = 0;
    let i = 0;
    while (i < used - 1) {
      seen += counts[i];
      if (seen >= rank) break;
      i++;
    }
    return toMs(this.bucketTop(slots[i]));
  }

  /** Highest value of a slot's bucket, capped at the exact maximum. */
  private bucketTop(slot: number): number {
    const top = slotLowest(this.layout, slot) + slotWidth(this.layout, slot) - 1;
    return top < this.maxUs ? top : this.maxUs;
  }

  /** Exact minimum in ms; 0 when empty. */
  get minMs(): number {
    return this.total === 0 ? 0 : toMs(this.minUs);
  }

  /** Exact maximum in ms; 0 when empty. */
  get maxMs(): number {
    return this.total === 0 ? 0 : toMs(this.maxUs);
  }

  /** Mean of bucket midpoints, as the library computes it, in ms; 0 when empty. */
  get meanMs(): number {
    return this.total === 0 ? 0 : (this.stats().mean as number);
  }

  /** All summary statistics in one pass over the slots. */
  stats(): LatencyStats {
    if (this.total === 0) {
      return { count: 0, min: null, mean: null, p50: null, p75: null, p90: null, p95: null, p99: null, p999: null, max: null };
    }
    const layout = this.layout;
    const { slots, counts, used } = this.view();
    const values: number[] = [];
    let next = 0;
    let rank = rankAt(PERCENTILES[0], this.total);
    let seen = 0;
    let sum = 0;
    for (let i = 0; i < used; i++) {
      const count = counts[i];
      // The library's medianEquivalentValue: lowest + floor(width / 2).
      sum += (slotLowest(layout, slots[i]) + Math.floor(slotWidth(layout, slots[i]) / 2)) * count;
      seen += count;
      while (next < PERCENTILES.length && seen >= rank) {
        values.push(toMs(this.bucketTop(slots[i])));
        next++;
        if (next < PERCENTILES.length) rank = rankAt(PERCENTILES[next], this.total);
      }
    }
    return {
      count: this.total,
      min: this.minMs,
      mean: toMs(sum / this.total),
      p50: values[0],
      p75: values[1],
      p90: values[2],
      p95: values[3],
      p99: values[4],
      p999: values[5],
      max: this.maxMs,
    };
  }

  /** HdrHistogram V2 compressed base64 (what hdr-histogram-js writes), readable by any HdrHistogram library. */
  encode(): string {
    const { slots, counts, used } = this.view();
    return encodeSlots(
      {
        significantDigits: this.significantDigits,
        lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
        highestTrackableValue: HIGHEST_TRACKABLE_US,
      },
      slots,
      counts,
      used,
    );
  }

  /**
   * Reads an encoded histogram. `exact` restores the exact min and max (ms, as in LatencyStats); without it,
   * or when it does not fit the histogram, min and max are the bounds of the lowest and highest buckets.
   */
  static decode(encoded: string, exact?: { min: number | null; max: number | null }): LatencyHistogram {
    let decoded: DecodedSlots;
    try {
      decoded = decodeSlots(encoded);
    } catch (error) {
      throw new RunDirError(`cannot decode a latency histogram: ${(error as Error).message}`);
    }
    const digits = decoded.significantDigits;
    if ((digits !== 2 && digits !== 3) || decoded.lowestDiscernibleValue !== LOWEST_DISCERNIBLE_US) {
      throw new RunDirError(
        `unsupported latency histogram: ${digits} significant digits, lowest value ${decoded.lowestDiscernibleValue} ` +
          `(expected 2 or 3 digits, lowest value ${LOWEST_DISCERNIBLE_US})`,
      );
    }
    const histogram = new LatencyHistogram(digits);
    const used = decoded.slots.length;
    if (used === 0) return histogram;
    if (decoded.slots[used - 1]! >= histogram.layout.slots) {
      throw new RunDirError('cannot decode a latency histogram: it holds values above 1 hour');
    }
    ({ slots: histogram.slots, counts: histogram.counts } = sparseArrays(used));
    histogram.slots.set(decoded.slots);
    histogram.counts.set(decoded.counts);
    histogram.used = used;
    for (const n of decoded.counts) histogram.total += n;
    const lowest = slotRange(digits, decoded.slots[0]!);
    const highest = slotRange(digits, decoded.slots[used - 1]!);
    histogram.minUs = lowest.lowest;
    histogram.maxUs = highest.highest;
    const min = exact?.min == null ? NaN : Math.round(exact.min * 1000);
    const max = exact?.max == null ? NaN : Math.round(exact.max * 1000);
    if (min >= lowest.lowest && min <= lowest.highest) histogram.minUs = min;
    if (max >= highest.lowest && max <= highest.highest) histogram.maxUs = max;
    if (used >= 64 && histogram.chunkedIsSmaller()) histogram.toChunks();
    return histogram;
  }
}
