// Part of the backtest workload: accounts whose steady habits the labelled population never draws,
// and an independently built population may: small accounts that come on random days (its low-cadence
// accounts keep fixed weekdays), accounts used about once a month, and large teams of occasional
// users; brand-new accounts, signed up on the first scored day; and accounts whose whole team takes
// a holiday of one to three weeks (the population's holidays are drawn for one archetype, with
// busy days either side). Each is scored daily for 90 days by the pure scoring core, as a daily
// scoring run would; none changes its habits, so every account flagged is a false alarm.
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

/** The habit simulated: see the file's header. */
export type SteadyShape = 'random_days' | 'brand_new' | 'monthly' | 'occasional_team' | 'holiday';

type Event = ActivityLog['engagementEvents'][number];

/** 1–6 events on `day`, each on one of four features, by `user()`. */
function dayOfUse(random: Random, day: number, user: () => string): Event[] {
  const count = 1 + Math.floor(random() * 6);
  return Array.from({ length: count }, (_, k) => ({
    occurredAt: new Date(START + day * DAY_MS + (9 + k) * 3_600_000),
    eventType: 'feature_used',
    feature: `f${Math.floor(random() * 4)}`,
    userId: user(),
  }));
}

/**
 * Account `index` of a shape, from `firstDay` to the end, in time order:
 * - random days: one or two users; each day in use with probability 2/7, 2.5/7 or 3/7;
 * - brand new: the same, every other one 0.8 a day instead;
 * - monthly: one or two users; a day of use 25 to 35 days after the last;
 * - occasional team: 20 to 60 users, each coming on a day with probability 1/14, 1/21 or 1/28;
 * - holiday: one to five users, on 95 % of the days, of the weekdays, or on random days 2.5 times a
 *   week in turn, away for 7 to 21 days (nobody at all) from a day drawn in the first 60 scored; every
 *   third one with an integration whose calls, naming no user, go on every weekday.
 */
function steadyAccount(shape: SteadyShape, index: number, random: Random, firstDay: number): ActivityLog {
  const end = HISTORY_DAYS + SCORED_DAYS;
  const events: Event[] = [];
  if (shape === 'monthly') {
    for (let day = firstDay + Math.floor(random() * 30); day < end; day += 25 + Math.floor(random() * 11))
      events.push(...dayOfUse(random, day, () => `u${Math.floor(random() * (1 + (index % 2)))}`));
  } else if (shape === 'occasional_team') {
    const users = 20 + Math.floor(random() * 41);
    const perUserDay = 1 / [14, 21, 28][index % 3];
    for (let day = firstDay; day < end; day++)
      for (let user = 0; user < users; user++) if (random() < perUserDay) events.push(...dayOfUse(random, day, () => `u${user}`));
  } else if (shape === 'holiday') {
    const users = 1 + Math.floor(random() * 5);
    const away = HISTORY_DAYS + Math.floor(random() * 60);
    const back = away + 7 + Math.floor(random() * 15);
    const habit = index % 3;
    for (let day = firstDay; day < end; day++) {
      const weekday = day % 7 < 5; // START is a Monday
      if (Math.floor(index / 3) % 3 === 0 && weekday)
        events.push({ occurredAt: new Date(START + day * DAY_MS + 2 * 3_600_000), eventType: 'api_call', feature: 'api', userId: null });
      const inUse = habit === 0 ? random() < 0.95 : habit === 1 ? weekday && random() < 0.95 : random() < 2.5 / 7;
      if (inUse && (day < away || day >= back)) events.push(...dayOfUse(random, day, () => `u${Math.floor(random() * users)}`));
    }
  } else {
    const usePerDay = shape === 'brand_new' && index % 2 === 0 ? 0.8 : (2 + (index % 3) * 0.5) / 7;
    const users = 1 + (index % 2);
    for (let day = firstDay; day < end; day++)
      if (random() < usePerDay) events.push(...dayOfUse(random, day, () => `u${Math.floor(random() * users)}`));
  }
  events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  return { engagementEvents: events };
}

/**
 * Scores `accounts` simulated accounts of a shape daily (at 20:00 UTC) for 90 days: after 150 days
 * of history, or, brand new, from their signup on the first of those days.
 */
export function simulateSteadyAccounts(
  model: ScoringModelConfig,
  shape: SteadyShape,
  { accounts = 75, seed = 1 }: { accounts?: number; seed?: number } = {},
): RandomDayFigures {
  const random = mulberry32(seed);
  const requests = metricRequests(model);
  const brandNew = shape === 'brand_new';
  const signedUpAt = new Date(START + (brandNew ? HISTORY_DAYS : 0) * DAY_MS);
  let everFlagged = 0;
  for (let index = 0; index < accounts; index++) {
    const activity = steadyAccount(shape, index, random, brandNew ? HISTORY_DAYS : 0);
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
        previousBands: model.tiers,
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
