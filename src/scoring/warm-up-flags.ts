// Flags that only a scoring history raises. A red flag with a `startOnly` condition is raised near a
// decline's onset (the first fortnight a team is thinner than ever lately, the first week of halved
// use) and then kept while the decline lasts, since that condition is not asked again. A customer
// scored for the first time weeks into a decline (its signals loaded in one go, an import, the first
// run of a new installation), or after weeks without a score, has no history that saw the
// onset, and by now the start condition no longer holds: the same account would be flagged had it
// been scored all along, and not now.
//
// So, for a customer of a batch whose previous point is missing or more than a week old, when the
// score held a penalty back by a start condition, the model is run as of the instants a weekly
// scoring would have scored since its previous point, over the last WARM_UP_WEEKS weeks (metrics
// gathered, nothing written), and the flags that scoring would carry become the previous flags of
// this one. Any other customer is scored as before, so a history scored all along costs nothing more.
import { Db } from '../infra/sql';
import { gatherMetrics } from './gather-metrics.sql';
import { computeScore, flagsCarriedThrough, heldBackByStartCondition, metricRequests, readsPreviousFlags } from './model';
import type { MetricValues, ScoringModelConfig } from './model';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * How far back the weekly scoring is run: the usage baselines' 60 days and a little. A flag raised
 * earlier would have lifted by now, as the baselines no longer hold the days before the decline.
 */
export const WARM_UP_WEEKS = 9;

export interface WarmUpCandidate {
  id: string;
  metrics: MetricValues;
  /** The instant of the customer's previous point, null without one. */
  previousAsOf: Date | null;
  /** The flags its previous point carries into this scoring (null without one): asked only of the customers without a recent point. */
  previousFlags: () => ReadonlySet<string> | null;
  /** When the customer started (no score exists before). */
  startedAt: Date;
}

/**
 * The weekly instants over the last WARM_UP_WEEKS weeks before `asOf` that a weekly scoring since
 * `after` (exclusive) and `startedAt` would have scored, oldest first.
 */
export function warmUpInstants(asOf: Date, after: Date | null, startedAt: Date): Date[] {
  return Array.from({ length: WARM_UP_WEEKS }, (_, i) => new Date(asOf.getTime() - (WARM_UP_WEEKS - i) * WEEK_MS)).filter(
    (at) => at.getTime() >= startedAt.getTime() && (after === null || at.getTime() > after.getTime()),
  );
}

/**
 * The previous flags of each customer that needs a warm-up (see the module's comment), by id: what a
 * weekly scoring since its previous point would carry into this one. One gathering per weekly instant,
 * for those customers only.
 */
export async function warmedUpFlags(
  tx: Db,
  candidates: readonly WarmUpCandidate[],
  asOf: Date,
  config: ScoringModelConfig,
): Promise<Map<string, ReadonlySet<string> | null>> {
  const warmed = new Map<string, ReadonlySet<string> | null>();
  if (!readsPreviousFlags(config)) return warmed;
  // Scored without a point in the last week, and the score holds a flag back by a start condition.
  const chosen = candidates
    .filter((c) => c.previousAsOf === null || asOf.getTime() - c.previousAsOf.getTime() > WEEK_MS)
    .map((c) => ({ ...c, seed: c.previousFlags() }))
    .filter((c) => heldBackByStartCondition(config, computeScore(config, c.metrics, c.seed).penalties));
  // Each weekly instant with the customers scored then, gathered oldest first: a customer's metrics in time order.
  const idsByInstant = new Map<number, string[]>();
  for (const c of chosen) {
    for (const at of warmUpInstants(asOf, c.previousAsOf, c.startedAt)) {
      const ids = idsByInstant.get(at.getTime());
      if (ids) ids.push(c.id);
      else idsByInstant.set(at.getTime(), [c.id]);
    }
  }
  const metricsById = new Map(chosen.map((c) => [c.id, [] as MetricValues[]]));
  const requests = metricRequests(config);
  for (const [at, ids] of [...idsByInstant].sort(([a], [b]) => a - b)) {
    const gathered = await gatherMetrics(tx, ids, new Date(at), requests, config.lifecycle.churnWindowDays + 1);
    for (const id of ids) metricsById.get(id)!.push(gathered.get(id)?.metrics ?? {});
  }
  for (const candidate of chosen) warmed.set(candidate.id, flagsCarriedThrough(config, metricsById.get(candidate.id)!, candidate.seed));
  return warmed;
}
