import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

function fmix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A seeded random source. Every random choice of the generator goes through one of these so that a seed
 * fully determines the corpus. `fork(label)` derives an independent stream, which keeps one document's
 * draws from shifting every later document when a feature adds or removes a draw.
 */
export class Rng {
  private readonly gen: JumpableRandomGenerator;

  constructor(readonly seed: number) {
    // xoroshiro's first outputs follow its seed closely, and forked seeds are close to each other:
    // scramble the seed (murmur3 fmix32) and discard a few outputs.
    this.gen = xoroshiro128plus(fmix32(seed | 0));
    for (let i = 0; i < 8; i++) this.gen.next();
  }

  /** Integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  /** Float in [0, 1). */
  next(): number {
    return this.int(0, 0x3fffffff) / 0x40000000;
  }

  float(from: number, to: number): number {
    return from + (to - from) * this.next();
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Picks a key with probability proportional to its weight; throws when all weights are zero. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + Math.max(0, w), 0);
    if (total <= 0) throw new Error('all weights are zero');
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= Math.max(0, w);
      if (x < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }

  letters(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(65 + this.int(0, 25));
    return s;
  }

  /** An independent stream derived from this seed and a label (FNV-1a of the label mixed into the seed). */
  fork(label: string | number): Rng {
    let h = 0x811c9dc5 ^ this.seed;
    for (const ch of `${label}`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193);
    }
    return new Rng(h | 0);
  }
}
