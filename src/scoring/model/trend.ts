// Trend: where a score is heading, from the score now vs the score `trend.windowDays` earlier.
// Direction matters as much as level: 80 → 60 is a new risk, 35 → 55 a recovery.
import type { Trend } from './types';

/** IMPROVING above +threshold, DECLINING below −threshold, otherwise (or with no earlier score) STABLE. */
export function trendOf(score: number, earlierScore: number | null | undefined, threshold: number): Trend {
  if (earlierScore == null) return 'STABLE';
  const change = score - earlierScore;
  if (change > threshold) return 'IMPROVING';
  if (change < -threshold) return 'DECLINING';
  return 'STABLE';
}
