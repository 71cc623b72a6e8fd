// Normalisers turn a raw metric (days, counts, ratios, NPS) into 0…1 where 1 is healthy, so that
// signals measured in different units can be weighted against each other.
import type { Normaliser } from './types';

/** Clamps to 0…1; NaN counts as 0 so a broken input can never raise a score. */
export function clamp01(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

/** Normalises a finite raw value to 0…1. Missing values are handled by the caller's missing policy. */
export function normalise(value: number, normaliser: Normaliser): number {
  switch (normaliser.kind) {
    case 'target':
      return clamp01(value / normaliser.target);
    case 'inverse_target':
      return 1 - clamp01(value / normaliser.max);
    case 'recency': {
      const { fullDays, zeroDays } = normaliser;
      if (value <= fullDays) return 1;
      if (value >= zeroDays) return 0;
      return clamp01(1 - (value - fullDays) / (zeroDays - fullDays));
    }
    case 'linear':
      return clamp01((value - normaliser.min) / (normaliser.max - normaliser.min));
    case 'ratio':
      return clamp01(value);
  }
}
