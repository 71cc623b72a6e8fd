// The promise a model's weights can break: an account active every day that goes silent leaves its
// tier within 7 days (issue 12, point 9). Fitted weights (`suggestScoringModel`) move weight to what
// foresaw churn in the history they were fitted to, and a history whose churners faded slowly or
// stopped paying gives silence little: the score of an account that stops dead then stays in its
// tier for weeks. Checked on a reference account scored by the same pure functions as the tests.
import { metricsFromActivity } from './activity-metrics';
import type { ActivityLog } from './activity-metrics';
import { assessCustomer } from './assess';
import { appliedPenalties } from './compute-score';
import { DAY_MS } from './lifecycle';
import { metricRequests } from './metrics';
import { tierByKey } from './tiers';
import type { ScoringModelConfig } from './types';

/** Days of silence within which an account used every day must leave its tier. */
export const SILENCE_PROMISE_DAYS = 7;
/** Days of daily use before the silence: a full 60-day baseline and more. */
const DAYS_IN_USE = 90;
const START = Date.UTC(2026, 0, 5);
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports'];

/**
 * The reference account: three people using the product every day (four features between them), and
 * a monthly invoice paid on its due date, as most customers are billed: the payment signals are in
 * its score, which is where fitted weights put most of theirs.
 */
function dailyAccount(): ActivityLog {
  const at = (day: number, hour: number) => new Date(START + day * DAY_MS + hour * 3_600_000);
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 0; day < DAYS_IN_USE; day++) {
    engagementEvents.push({ occurredAt: at(day, 9), eventType: 'login', feature: null, userId: 'u1' });
    engagementEvents.push({ occurredAt: at(day, 13), eventType: 'feature_used', feature: FEATURES[(2 * day) % 4], userId: 'u2' });
    engagementEvents.push({ occurredAt: at(day, 17), eventType: 'feature_used', feature: FEATURES[(2 * day + 1) % 4], userId: 'u3' });
  }
  const payments: NonNullable<ActivityLog['payments']> = [];
  for (let day = 0; day < DAYS_IN_USE; day += 30)
    payments.push({ occurredAt: at(day, 8), status: 'PAID', dueAt: at(day, 0), paidAt: at(day, 8) });
  return { engagementEvents, payments };
}

/**
 * Whether `model` keeps the promise: the reference account, scored at the end of its last day of use
 * and again 7 days after its last event (carrying the tier and red flags of the first scoring, as a
 * daily run would), is in a worse tier the second time.
 */
export function keepsSilencePromise(model: ScoringModelConfig): boolean {
  const activity = dailyAccount();
  const requests = metricRequests(model);
  const events = activity.engagementEvents;
  const lastActivityAt = events[events.length - 1].occurredAt;
  const common = {
    model,
    signedUpAt: new Date(START),
    startedAt: new Date(START),
    churnedAt: null,
    lastActivityAt,
    firstActivityAt: events[0].occurredAt,
    earlierScore: null,
  };
  const inUseAsOf = new Date(START + DAYS_IN_USE * DAY_MS);
  const inUse = assessCustomer({
    ...common,
    asOf: inUseAsOf,
    metrics: metricsFromActivity(activity, requests, inUseAsOf),
    previousTierKey: null,
    previousPenalties: null,
  });
  const silentAsOf = new Date(lastActivityAt.getTime() + SILENCE_PROMISE_DAYS * DAY_MS);
  const silent = assessCustomer({
    ...common,
    asOf: silentAsOf,
    metrics: metricsFromActivity(activity, requests, silentAsOf),
    previousTierKey: inUse.tier.key,
    previousPenalties: appliedPenalties(inUse.result.penalties),
  });
  const severity = (key: string) => tierByKey(model.tiers, key)?.severity ?? 0;
  return severity(silent.tier.key) > severity(inUse.tier.key);
}

/**
 * The warning a suggestion carries when its weights break the promise the active model keeps: its
 * silence signal named with its weight. None when the model has no silence signal.
 */
export function silencePromiseWarnings(active: ScoringModelConfig, suggested: ScoringModelConfig): string[] {
  const silence = suggested.components.flatMap((c) => c.signals).find((s) => s.metric === 'silence_vs_cadence');
  if (!silence || !keepsSilencePromise(active) || keepsSilencePromise(suggested)) return [];
  return [
    `${silence.name} weighted ${silence.weight}: an account that goes silent would no longer drop a tier within days; keep its weight if that promise matters`,
  ];
}
