import { createHash } from 'node:crypto';

/**
 * mulberry32: a tiny, fast, seeded generator, uniform in [0, 1). Good enough for ordering, jitter and
 * deterministic demo data; seeded so runs (and failing tests) repeat.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A stream of its own for one key under a seed: SHA-256 of both seeds sfc32's 128-bit state, so that
 * keys never share a stream and a million visits' UUIDs do not collide the way 32-bit states would.
 */
export function streamFor(seed: number, key: string): () => number {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  // sfc32's first outputs still show the seed's structure; a few rounds mix it away.
  for (let i = 0; i < 12; i++) next();
  return next;
}
