// Tiers: configurable score bands with a severity rank, and hysteresis so that a score wobbling
// on a boundary (69, 71, 69, 71 …) does not flap tiers, spam the live subscription or re-run playbooks.
import type { TierBand } from './types';

/** Bands ordered best first (highest lower bound first). */
export function bandsBestFirst(bands: readonly TierBand[]): TierBand[] {
  return [...bands].sort((a, b) => b.lowerBound - a.lowerBound);
}

/** The band whose [lowerBound, upper) contains the score, ignoring history. */
export function bandForScore(score: number, bands: readonly TierBand[]): TierBand {
  const ordered = bandsBestFirst(bands);
  if (ordered.length === 0) throw new Error('No tier bands configured');
  // Scores below every lower bound (only possible with an invalid model) fall into the worst band.
  return ordered.find((band) => score >= band.lowerBound) ?? ordered[ordered.length - 1];
}

/** [lower, upper) of a band; the best band's upper bound is +∞. */
export function bandBounds(band: TierBand, bands: readonly TierBand[]): { lower: number; upper: number } {
  const better = bands.filter((b) => b.lowerBound > band.lowerBound).map((b) => b.lowerBound);
  return { lower: band.lowerBound, upper: better.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...better) };
}

/**
 * The tier for a score. Without a previous tier (or one no longer in the bands, after a model
 * change; across model versions, see tierHeldFrom) it is the plain band lookup. With one, the
 * customer stays in it while
 * lower − hysteresis ≤ score < upper + hysteresis: with healthy ≥ 70 and hysteresis 2 a healthy
 * account becomes monitor only below 68, and a monitor account becomes healthy only at 72.
 */
export function tierFor(
  score: number,
  bands: readonly TierBand[],
  previousTierKey: string | null | undefined,
  hysteresis: number,
): TierBand {
  const previous = previousTierKey == null ? undefined : bands.find((band) => band.key === previousTierKey);
  if (previous) {
    const { lower, upper } = bandBounds(previous, bands);
    if (score >= lower - hysteresis && score < upper + hysteresis) return previous;
  }
  return bandForScore(score, bands);
}

/**
 * The previous tier that hysteresis may hold under `bands`: `previousTierKey` when `previousBands`,
 * those of the model version that scored the previous point, gave that tier the bounds `bands` give
 * it; otherwise none, and the score takes its plain band. A new tier scheme, or a band a model of
 * your own moves, places every score in its own band: a tier of the same name held from other bounds
 * would leave a score outside the tier it reads (a 50 kept "at_risk" where at_risk is 30–49). A
 * change that leaves the tier's bounds as they were (new weights or flags, another band split) keeps
 * its hysteresis, so a model change alone does not flap a score on its boundary.
 */
export function tierHeldFrom(
  previousTierKey: string | null | undefined,
  previousBands: readonly TierBand[] | null,
  bands: readonly TierBand[],
): string | null {
  if (previousTierKey == null || previousBands === null) return null;
  const before = tierByKey(previousBands, previousTierKey);
  const now = tierByKey(bands, previousTierKey);
  if (!before || !now) return null;
  if (previousBands === bands) return previousTierKey;
  const was = bandBounds(before, previousBands);
  const is = bandBounds(now, bands);
  return was.lower === is.lower && was.upper === is.upper ? previousTierKey : null;
}

/** Whether two tier schemes are the same bands (each key with the same label, bounds and severity), in whatever order they are listed. */
export function sameTiers(a: readonly TierBand[], b: readonly TierBand[]): boolean {
  return (
    a.length === b.length &&
    a.every((band) => {
      const other = tierByKey(b, band.key);
      return other !== undefined && other.label === band.label && other.lowerBound === band.lowerBound && other.severity === band.severity;
    })
  );
}

export function tierByKey(bands: readonly TierBand[], key: string | null | undefined): TierBand | undefined {
  return key == null ? undefined : bands.find((band) => band.key === key);
}

/** Bands ordered worst first (highest severity first). */
function bandsWorstFirst(bands: readonly TierBand[]): TierBand[] {
  return [...bands].sort((a, b) => b.severity - a.severity);
}

/** The worst band (e.g. critical): playbooks run for every customer in it. */
export function isWorstTier(bands: readonly TierBand[], key: string): boolean {
  return bandsWorstFirst(bands)[0]?.key === key;
}

/**
 * The second-worst band (e.g. at_risk in the default scheme, churning in the five-band thriving one).
 * Never the best band: in a two-band scheme the other band is where healthy accounts are.
 */
export function isSecondWorstTier(bands: readonly TierBand[], key: string): boolean {
  return bands.length >= 3 && bandsWorstFirst(bands)[1].key === key;
}

/**
 * The two worst bands, never the best one (a two-band scheme has one at-risk band, a one-band scheme
 * none): lifecycle AT_RISK, the worklist, a backtest's flags, and where high-value escalations apply.
 */
export function isAtRiskTier(bands: readonly TierBand[], key: string): boolean {
  return isWorstTier(bands, key) ? bands.length >= 2 : isSecondWorstTier(bands, key);
}

/** The best band (e.g. healthy, or thriving): where expansion plays start. */
export function isBestTier(bands: readonly TierBand[], key: string): boolean {
  return [...bands].sort((a, b) => a.severity - b.severity)[0]?.key === key;
}

/** WORSENED / IMPROVED / UNCHANGED between two tier keys; NEW when there was no known previous tier. */
export function tierDirection(
  bands: readonly TierBand[],
  fromKey: string | null | undefined,
  toKey: string,
): 'WORSENED' | 'IMPROVED' | 'UNCHANGED' | 'NEW' {
  const from = tierByKey(bands, fromKey);
  const to = tierByKey(bands, toKey);
  if (!from || !to) return 'NEW';
  if (to.severity > from.severity) return 'WORSENED';
  if (to.severity < from.severity) return 'IMPROVED';
  return 'UNCHANGED';
}

/** A tier change's direction, as recorded: a change between two tiers of equal severity is NEW. */
export function changeDirection(bands: readonly TierBand[], fromKey: string | null, toKey: string): 'WORSENED' | 'IMPROVED' | 'NEW' {
  const direction = tierDirection(bands, fromKey, toKey);
  return direction === 'UNCHANGED' ? 'NEW' : direction;
}
