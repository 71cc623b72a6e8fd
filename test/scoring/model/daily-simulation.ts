// Test factory: a synthetic engagement calendar and a day-by-day scoring loop that strings the
// pure functions together the way the scoring service does (metrics → score → tier with
// hysteresis → trend → lifecycle → playbooks), so product promises can be checked without a database.
import {
  DAY_MS,
  appliedPenalties,
  assessCustomer,
  decidePlaybookActions,
  expansionHoldDays,
  lastActivityAt,
  metricRequests,
  metricsFromActivity,
} from '../../../src/scoring/model';
import type { ActivityLog, LifecycleStage, PlannedAction, ScoreResult, ScoringModelConfig, Trend } from '../../../src/scoring/model';

/** Monday 5 January 2026, 00:00 UTC: day 0 of every calendar, so day % 7 ∈ {5, 6} is the weekend. */
export const CALENDAR_START = new Date('2026-01-05T00:00:00Z');

export const dayStart = (day: number): Date => new Date(CALENDAR_START.getTime() + day * DAY_MS);

export const isWeekday = (day: number): boolean => day % 7 < 5;

const FEATURES = ['dashboards', 'reports', 'alerts', 'exports'];

/**
 * Three events on every day `isActive(day)` says yes: a login at 09:00, and two feature_used events
 * at 13:00 and 17:00 rotating through four features (so any two days cover all four), by three users.
 */
export function activityCalendar(days: number, isActive: (day: number) => boolean): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < days; day++) {
    if (!isActive(day)) continue;
    const at = (hour: number) => new Date(dayStart(day).getTime() + hour * 60 * 60 * 1000);
    engagementEvents.push({ occurredAt: at(9), eventType: 'login', feature: null, userId: 'u1' });
    engagementEvents.push({ occurredAt: at(13), eventType: 'feature_used', feature: FEATURES[(2 * day) % 4], userId: 'u2' });
    engagementEvents.push({ occurredAt: at(17), eventType: 'feature_used', feature: FEATURES[(2 * day + 1) % 4], userId: 'u3' });
  }
  return { engagementEvents };
}

/**
 * `users` people over `days` days: on each day, person `user` has `eventsOf(day, user)` feature_used
 * events (0: not there that day), from 09:00 plus an hour per person, a minute apart, rotating
 * through `features` features.
 */
export function peopleActivity(
  days: number,
  users: number,
  features: number,
  eventsOf: (day: number, user: number) => number,
): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < days; day++)
    for (let user = 0; user < users; user++)
      for (let k = 0; k < eventsOf(day, user); k++)
        engagementEvents.push({
          occurredAt: new Date(dayStart(day).getTime() + (9 + user) * 3_600_000 + k * 60_000),
          eventType: 'feature_used',
          feature: `f${(day + user + k) % features}`,
          userId: `u${user}`,
        });
  return { engagementEvents };
}

/**
 * An account whose integration syncs every day at 03:00 (an event that names no user), and on each day
 * `teamOn(day)`'s people from 10:00, an hour apart, each on two features a minute apart.
 */
export function syncedAccount(days: number, teamOn: (day: number) => string[]): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < days; day++) {
    engagementEvents.push({
      occurredAt: new Date(dayStart(day).getTime() + 3 * 3_600_000),
      eventType: 'api_call',
      feature: 'api',
      userId: null,
    });
    for (const [i, userId] of teamOn(day).entries()) {
      const at = dayStart(day).getTime() + (10 + i) * 3_600_000;
      engagementEvents.push({ occurredAt: new Date(at), eventType: 'feature_used', feature: `f${(day + i) % 3}`, userId });
      engagementEvents.push({ occurredAt: new Date(at + 60_000), eventType: 'feature_used', feature: `f${(day + i + 1) % 3}`, userId });
    }
  }
  return { engagementEvents };
}

export interface DailyScoring {
  day: number;
  asOf: Date;
  score: number;
  tierKey: string;
  trend: Trend;
  lifecycleStage: LifecycleStage;
  daysSinceLastActivity: number | null;
  result: ScoreResult;
  actions: PlannedAction[];
}

export interface SimulationOptions {
  /** Days to score, from day 0. */
  days: number;
  /** Hour (UTC, may be fractional) of the daily scoring run; 24 = end of the day. */
  scoringHour: number;
  customer?: { arrCents: number; communicationOptOut: boolean; name?: string };
}

/** Scores the account once a day from its signup (day 0), carrying tier, red flags, history and the outreach log forward. */
export function simulateDailyScoring(
  model: ScoringModelConfig,
  activity: ActivityLog,
  { days, scoringHour, customer = { arrCents: 1_200_000, communicationOptOut: false, name: 'Acme' } }: SimulationOptions,
): DailyScoring[] {
  const requests = metricRequests(model);
  const history: DailyScoring[] = [];
  const outreachLog: { playbook: string; createdAt: Date; status: PlannedAction['status'] }[] = [];
  for (let day = 0; day < days; day++) {
    const asOf = new Date(dayStart(day).getTime() + scoringHour * 60 * 60 * 1000);
    const previous = history.length > 0 ? history[history.length - 1] : null;
    const scoreAt = (daysAgo: number) => history.find((h) => h.day === day - daysAgo)?.score ?? null;
    const last = lastActivityAt(activity, asOf);
    const { result, tier, trend, lifecycleStage } = assessCustomer({
      model,
      metrics: metricsFromActivity(activity, requests, asOf),
      asOf,
      signedUpAt: CALENDAR_START,
      startedAt: CALENDAR_START,
      churnedAt: null,
      lastActivityAt: last,
      firstActivityAt: firstActivityAt(activity),
      previousTierKey: previous?.tierKey ?? null,
      previousBands: model.tiers,
      earlierScore: scoreAt(model.trend.windowDays),
      previousPenalties: previous && appliedPenalties(previous.result.penalties),
    });
    const recentScores = history.filter((h) => h.day >= day - model.scoreDrop.withinDays).map((h) => h.score);
    const peak = recentScores.length > 0 ? Math.max(...recentScores) : null;
    const daysSinceLastActivity = last === null ? null : (asOf.getTime() - last.getTime()) / DAY_MS;
    const actions = decidePlaybookActions({
      model,
      customer,
      previous: previous && { score: previous.score, tierKey: previous.tierKey },
      current: { score: result.score, tierKey: tier.key, trend, lifecycleStage, coverage: result.coverage, signals: result.signals },
      peakScoreInDropWindow: peak,
      lowestSincePeak: lowestSince(history, peak),
      daysSinceLastActivity,
      wasPreviouslyActive: last !== null,
      firstActivityAt: firstActivityAt(activity),
      tiersInExpansionHold: tiersWithin(history, asOf, expansionHoldDays(model)),
      recentActions: outreachLog,
      now: asOf,
    });
    outreachLog.push(...actions.map((a) => ({ playbook: a.playbook, createdAt: asOf, status: a.status })));
    history.push({ day, asOf, score: result.score, tierKey: tier.key, trend, lifecycleStage, daysSinceLastActivity, result, actions });
  }
  return history;
}

/** The lowest score after the last point at or above `peak`, as the scoring batch reads it (null when none). */
function lowestSince(history: readonly DailyScoring[], peak: number | null): number | null {
  const held = peak === null ? -1 : history.map((h) => h.score >= peak).lastIndexOf(true);
  const after = held < 0 ? [] : history.slice(held + 1).map((h) => h.score);
  return after.length > 0 ? Math.min(...after) : null;
}

/**
 * The tiers held within `days` before `asOf`: of the points in them, and of the last point before
 * them (held into the window), as the scoring batch reads them from the previous point and the tier
 * changes.
 */
function tiersWithin(history: readonly DailyScoring[], asOf: Date, days: number): string[] {
  const start = asOf.getTime() - days * DAY_MS;
  const before = history.filter((h) => h.asOf.getTime() <= start).at(-1);
  return [...(before ? [before.tierKey] : []), ...history.filter((h) => h.asOf.getTime() > start).map((h) => h.tierKey)];
}

/** The first event of the log, as the service reads it for a returning customer's lifecycle. */
function firstActivityAt(activity: ActivityLog): Date | null {
  const times = activity.engagementEvents.map((event) => event.occurredAt.getTime());
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}
