// Part of the backtest workload: small steady accounts that come on random days, which the labelled
// population (its low-cadence accounts keep fixed weekdays) never draws, and an independently built
// population may; and brand-new accounts, signed up on the first scored day. Each is scored daily for
// 90 days by the pure scoring core, as a daily scoring run would; none changes its habits, so every
// account flagged is a false alarm.
import { mulberry32, Random } from '../../src/demo/seeded-random';
import {
  ActivityLog,
  appliedPenalties,
  assessCustomer,
  DAY_MS,
  metricRequests,
  metricsFromActivity,
  ScoringModelConfig,
} from '../../src/scoring/model';

const HISTORY_DAYS = 150;
const SCORED_DAYS = 90;
const START = Date.UTC(2026, 0, 5);

export interface RandomDayFigures {
  accounts: number;
  scoredDays: number;
  /** Accounts in one of the two worst tiers (and not onboarding) at least once over the scored days. */
  everFlagged: number;
}

/**
 * Account `index`: one or two users; each day in use with probability 2/7, 2.5/7 or 3/7 (a brand-new
 * account: every other one 0.8 instead); 1–6 events on such a day, each on one of four features,
 * from `firstDay` to the end.
 */
function randomDayAccount(index: number, random: Random, firstDay: number, brandNew: boolean): ActivityLog {
  const usePerDay = brandNew && index % 2 === 0 ? 0.8 : (2 + (index % 3) * 0.5) / 7;
  const users = 1 + (index % 2);
  const events: ActivityLog['engagementEvents'] = [];
  for (let day = firstDay; day < HISTORY_DAYS + SCORED_DAYS; day++) {
    if (random() >= usePerDay) continue;
    const count = 1 + Math.floor(random() * 6);
    for (let k = 0; k < count; k++)
      events.push({
        occurredAt: new Date(START + day * DAY_MS + (9 + k) * 3_600_000),
        eventType: 'feature_used',
        feature: `f${Math.floor(random() * 4)}`,
        userId: `u${Math.floor(random() * users)}`,
      });
  }
  return { engagementEvents: events };
}

/**
 * Scores `accounts` simulated accounts daily (at 20:00 UTC) for 90 days: after 150 days of history,
 * or, `brandNew`, from their signup on the first of those days.
 */
export function simulateRandomDayAccounts(
  model: ScoringModelConfig,
  { accounts = 75, seed = 1, brandNew = false }: { accounts?: number; seed?: number; brandNew?: boolean } = {},
): RandomDayFigures {
  const random = mulberry32(seed);
  const requests = metricRequests(model);
  const signedUpAt = new Date(START + (brandNew ? HISTORY_DAYS : 0) * DAY_MS);
  let everFlagged = 0;
  for (let index = 0; index < accounts; index++) {
    const activity = randomDayAccount(index, random, brandNew ? HISTORY_DAYS : 0, brandNew);
    let previousTierKey: string | null = null;
    let previousPenalties: ReadonlySet<string> | null = null;
    let lastActivityAt: Date | null = null;
    let next = 0;
    let flagged = false;
    for (let day = HISTORY_DAYS; day < HISTORY_DAYS + SCORED_DAYS; day++) {
      const asOf = new Date(START + day * DAY_MS + 20 * 3_600_000);
      // Events are in time order: advance to the last one at or before asOf.
      while (next < activity.engagementEvents.length && activity.engagementEvents[next].occurredAt <= asOf)
        lastActivityAt = activity.engagementEvents[next++].occurredAt;
      const assessment = assessCustomer({
        model,
        metrics: metricsFromActivity(activity, requests, asOf),
        asOf,
        signedUpAt,
        startedAt: signedUpAt,
        churnedAt: null,
        firstActivityAt: activity.engagementEvents[0]?.occurredAt ?? null,
        lastActivityAt,
        previousTierKey,
        earlierScore: null,
        previousPenalties,
      });
      previousTierKey = assessment.tier.key;
      previousPenalties = appliedPenalties(assessment.result.penalties);
      flagged ||= assessment.flagged;
    }
    if (flagged) everFlagged++;
  }
  return { accounts, scoredDays: SCORED_DAYS, everFlagged };
}
