// How an NPS answer (0–10) is counted: a promoter from PROMOTER_MIN_SCORE up, a detractor up to
// DETRACTOR_MAX_SCORE, a passive between. The summary, the changes feed and its index, scoring's SQL
// aggregates and their in-memory reference all read the bands here. SQL writes them as literals
// (interpolated, not bound): a statement reads the detractor index only when its condition is the
// index's own.
export const PROMOTER_MIN_SCORE = 9;
export const DETRACTOR_MAX_SCORE = 6;

/** Whether an answer's score makes it a promoter, a passive or a detractor. */
export function npsCategory(score: number): 'promoter' | 'passive' | 'detractor' {
  return score >= PROMOTER_MIN_SCORE ? 'promoter' : score > DETRACTOR_MAX_SCORE ? 'passive' : 'detractor';
}
