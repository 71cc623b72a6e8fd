// A small seeded PRNG for the demo data set: the same seed always yields the same customers and
// signals, so a demo (or a test built on it) is reproducible. Not for anything security-related.

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: 32 bits of state, fast, and good enough for synthetic data. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over the text: turns (seed, customer, date, …) into a 32-bit seed. */
export function hashToSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * An independent stream per purpose (`randomFor(seed, 'day', customerId, date)`): a customer's
 * signals on one date do not depend on how many numbers were drawn for other customers or dates,
 * so a re-run over a shifted window regenerates the overlapping days identically.
 */
export function randomFor(...parts: Array<string | number>): Random {
  const random = mulberry32(hashToSeed(parts.join('|')));
  // Drop the first draws: neighbouring seeds give correlated first outputs in mulberry32.
  random();
  random();
  return random;
}

/** Uniform float in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Uniform integer in [min, max], both inclusive. */
export function integerBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function chance(random: Random, probability: number): boolean {
  return random() < probability;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** Picks a key with probability proportional to its weight. */
export function pickWeighted<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = random() * total;
  for (const [key, weight] of entries) {
    threshold -= weight;
    if (threshold < 0) return key;
  }
  return entries[entries.length - 1][0];
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
