import { asLocationTable, type LocationPick, type LocationTable } from '../inputs/location-table.js';
import type { Location, Order, Persona } from '../inputs/types.js';
import type { WorkItem } from './types.js';
import { mulberry32 } from '../util/random.js';

/**
 * The whole work plan of a closed-model run: personas × their locations × iterations.
 * It is a pure function of its inputs and is addressed by index, so a plan of millions of items costs
 * a few bytes per item (the shuffled order) instead of one object per item. Sharding and resume are
 * filters over the same ids.
 */
export interface Plan {
  readonly size: number;
  readonly personas: readonly Persona[];
  /** Planned item count per persona name. */
  readonly perPersona: ReadonlyMap<string, number>;
  itemAt(index: number): WorkItem;
  [Symbol.iterator](): Iterator<WorkItem>;
}

export interface PlanOptions {
  order: Order;
  iterations: number;
  seed: number;
}

interface PersonaBlock {
  persona: Persona;
  /** Row indices into the location table: an item's location id is read when the item is made. */
  locations: LocationPick;
  /** Items of this persona = locations × iterations. */
  size: number;
}

export function workItemId(persona: Persona, location: Pick<Location, 'id'>, iteration: number): string {
  return `${persona.slug}/${location.id}/${iteration}`;
}

export function buildPlan(personas: readonly Persona[], locations: LocationTable | readonly Location[], options: PlanOptions): Plan {
  const table = asLocationTable(locations);
  const blocks: PersonaBlock[] = personas.map((persona) => {
    const eligible = table.pick(persona.locations);
    return { persona, locations: eligible, size: eligible.length * options.iterations };
  });
  const size = blocks.reduce((sum, b) => sum + b.size, 0);
  const perPersona = new Map(blocks.map((b) => [b.persona.name, b.size]));

  // Within a persona the iteration is the outer loop: iteration 1 visits every location before iteration 2.
  const itemOf = (block: PersonaBlock, k: number): WorkItem => {
    const n = block.locations.length;
    const location = block.locations.id(k % n);
    const iteration = Math.floor(k / n) + 1;
    return { id: `${block.persona.slug}/${location}/${iteration}`, persona: block.persona.name, location, iteration };
  };

  const personaMajor = (index: number): WorkItem => {
    let k = index;
    for (const block of blocks) {
      if (k < block.size) return itemOf(block, k);
      k -= block.size;
    }
    throw new RangeError(`plan index ${index} out of range 0..${size - 1}`);
  };

  let itemAt: (index: number) => WorkItem;
  if (options.order === 'persona') itemAt = personaMajor;
  else {
    const interleaved = interleave(blocks, itemOf);
    if (options.order === 'interleaved') itemAt = interleaved;
    else {
      const permutation = seededPermutation(size, options.seed);
      itemAt = (index) => interleaved(permutation[index]!);
    }
  }

  return {
    size,
    personas,
    perPersona,
    itemAt: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`plan index ${index} out of range 0..${size - 1}`);
      return itemAt(index);
    },
    *[Symbol.iterator]() {
      for (let i = 0; i < size; i++) yield itemAt(i);
    },
  };
}

/**
 * Round-robin over personas: item k of each persona in turn, skipping personas that have run out.
 * Index → item is computed from round boundaries so it needs no materialised list.
 */
function interleave(blocks: PersonaBlock[], itemOf: (b: PersonaBlock, k: number) => WorkItem): (index: number) => WorkItem {
  const sizes = [...new Set(blocks.map((b) => b.size))].filter((s) => s > 0).sort((a, b) => a - b);
  // Rounds [prev, s) have exactly `active` personas (those with size >= s).
  const segments: { fromRound: number; toRound: number; startIndex: number; active: PersonaBlock[] }[] = [];
  let prev = 0;
  let startIndex = 0;
  for (const s of sizes) {
    const active = blocks.filter((b) => b.size >= s);
    segments.push({ fromRound: prev, toRound: s, startIndex, active });
    startIndex += (s - prev) * active.length;
    prev = s;
  }
  return (index) => {
    for (const seg of segments) {
      const count = (seg.toRound - seg.fromRound) * seg.active.length;
      if (index < seg.startIndex + count) {
        const offset = index - seg.startIndex;
        const round = seg.fromRound + Math.floor(offset / seg.active.length);
        return itemOf(seg.active[offset % seg.active.length]!, round);
      }
    }
    throw new RangeError(`plan index ${index} out of range`);
  };
}

/** Deterministic Fisher–Yates over 0..n-1 with a small seeded PRNG; 4 bytes per item. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * The plan run over and over (a closed-model run for a duration or in stages): pass p (0-based) is the
 * plan in its order with every iteration number moved up by p × `iterations`, so that the items of later
 * passes get distinct, deterministic ids (`persona/location/iteration`) and resume and sharding stay
 * filters over the same ids. Ends at once for an empty plan.
 */
export function* loopedPlan(plan: Plan, iterations: number): Generator<WorkItem> {
  if (plan.size === 0) return;
  const slugs = new Map(plan.personas.map((p) => [p.name, p.slug]));
  for (let pass = 0; ; pass++) {
    for (const item of plan) {
      if (pass === 0) yield item;
      else {
        const iteration = item.iteration + pass * iterations;
        yield { ...item, iteration, id: `${slugs.get(item.persona)}/${item.location}/${iteration}` };
      }
    }
  }
}
