// The promise a model's weights can break: an account active every day that goes silent leaves its
// tier within 7 days (issue 12, point 9). Fitted weights (`suggestScoringModel`) move weight to what
// foresaw churn in the history they were fitted to, and a history whose churners faded slowly or
// stopped paying gives silence little: the score of an account that stops dead then stays in its
// tier for weeks. Checked on a reference account scored by the same pure functions as the tests.
import { metricsFromActivity } from './activity-metrics';
import type { ActivityLog } from './activity-metrics';
import { assessCustomer } from './assess';
import type { Assessment } from './assess';
import { appliedPenalties } from './compute-score';
import { DAY_MS } from './lifecycle';
import { metricRequests } from './metrics';
import { tierByKey } from './tiers';
import type { ScoringModelConfig } from './types';

/** Days of silence within which an account used every day must leave its tier. */
const SILENCE_PROMISE_DAYS = 7;
/** Days of daily use before the silence: a full 60-day baseline and more. */
const DAYS_IN_USE = 90;
const START = Date.UTC(2026, 0, 5);
const FEATURES = ['dashboards', 'reports', 'alerts', 'exports'];

/**
 * The reference account: three people using the product every day (four features between them), a
 * monthly invoice paid on its due date and a plan on record, as every customer the service holds has
 * one from its first `upsertCustomer`: the payment and contraction signals count in its score, as in
 * a real customer's, and dilute silence's share of the weight as they would there.
 */
export function silencePromiseAccount(): ActivityLog {
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
  return { engagementEvents, payments, planChanges: [{ changedAt: at(0, 0), arrCents: 1_200_000, seats: 10 }], seats: 10 };
}

/**
 * Whether `model` keeps the promise: the reference account, scored at the end of its last day of use
 * and then once a day at the hour of its last event (1, 2, … 6 days after it, carrying its tier and
 * red flags from one scoring to the next, as a daily run does), is in a worse tier at one of them. The
 * run 6 days after is the last within 7 days for a daily run at any hour, and the one that has seen
 * the least of the silence: a model that drops the account by then drops it at any hour.
 */
export function keepsSilencePromise(model: ScoringModelConfig): boolean {
  const activity = silencePromiseAccount();
  const requests = metricRequests(model);
  const events = activity.engagementEvents;
  const lastActivityAt = events[events.length - 1].occurredAt;
  const scoreAt = (asOf: Date, previous: Assessment | null) =>
    assessCustomer({
      model,
      asOf,
      metrics: metricsFromActivity(activity, requests, asOf),
      signedUpAt: new Date(START),
      startedAt: new Date(START),
      churnedAt: null,
      lastActivityAt,
      firstActivityAt: events[0].occurredAt,
      previousTierKey: previous?.tier.key ?? null,
      previousBands: model.tiers,
      earlierScore: null,
      previousPenalties: previous && appliedPenalties(previous.result.penalties),
    });
  const severity = (key: string) => tierByKey(model.tiers, key)?.severity ?? 0;
  const inUse = scoreAt(new Date(START + DAYS_IN_USE * DAY_MS), null);
  let previous = inUse;
  for (let days = 1; days < SILENCE_PROMISE_DAYS; days++) {
    previous = scoreAt(new Date(lastActivityAt.getTime() + days * DAY_MS), previous);
    if (severity(previous.tier.key) > severity(inUse.tier.key)) return true;
  }
  return false;
}

/** The signals that read how long an account has been silent. */
const SILENCE_METRICS = new Set(['silence_vs_cadence', 'days_since_last_activity']);

/**
 * The warning a suggestion carries when its weights break the promise the active model keeps: the
 * silence signal named with its weight, and its share of all the weights beside the active model's
 * (only shares matter: the score divides by the sum, so a suggestion can break the promise with
 * silence's weight unchanged).
 */
export function silencePromiseWarnings(active: ScoringModelConfig, suggested: ScoringModelConfig): string[] {
  if (!keepsSilencePromise(active) || keepsSilencePromise(suggested)) return [];
  const broken = 'an account that goes silent would no longer drop a tier within days';
  const silence = (model: ScoringModelConfig) => model.components.flatMap((c) => c.signals).find((s) => SILENCE_METRICS.has(s.metric));
  const share = (model: ScoringModelConfig) => {
    const total = model.components.flatMap((c) => c.signals).reduce((sum, s) => sum + s.weight, 0);
    return total > 0 ? Math.round((100 * (silence(model)?.weight ?? 0)) / total) : 0;
  };
  const signal = silence(suggested);
  if (!signal) return [`the suggested weights: ${broken}; keep a silence signal's share of the weight if that promise matters`];
  return [
    `${signal.name} weighted ${signal.weight}: ${broken} (${share(suggested)} % of the weight, ${share(active)} % in the active model); keep its share if that promise matters`,
  ];
}
