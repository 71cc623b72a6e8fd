// An in-memory reference implementation of the metric definitions in types.ts (MetricKind), for
// simulations, backtests of model changes, and as an oracle the SQL aggregates can be tested against.
// It must stay a literal reading of those definitions; the SQL layer computes the same numbers set-based.
import { DAY_MS } from './lifecycle';
import type { MetricKind, MetricRequest, MetricValues } from './types';

export interface ActivityLog {
  engagementEvents: { occurredAt: Date; eventType: string; feature?: string | null }[];
  payments?: { occurredAt: Date; status: 'PAID' | 'FAILED' | 'REFUNDED' }[];
  tickets?: {
    openedAt: Date;
    resolvedAt?: Date | null;
    status: 'OPEN' | 'PENDING' | 'SOLVED';
    csatRating?: number | null;
  }[];
  npsResponses?: { respondedAt: Date; score: number }[];
}

/** Inclusive-end window test: from < t ≤ to. */
function within(time: Date, from: number, to: number): boolean {
  const t = time.getTime();
  return t > from && t <= to;
}

function metricValue(activity: ActivityLog, metric: MetricKind, windowDays: number, asOf: Date): number | null {
  const end = asOf.getTime();
  const start = end - windowDays * DAY_MS;
  const events = activity.engagementEvents;
  const inWindow = () => events.filter((e) => within(e.occurredAt, start, end));
  const payments = (activity.payments ?? []).filter((p) => within(p.occurredAt, start, end));
  const ticketsOpened = (activity.tickets ?? []).filter((t) => within(t.openedAt, start, end));

  switch (metric) {
    case 'active_days':
      return new Set(inWindow().map((e) => e.occurredAt.toISOString().slice(0, 10))).size;
    case 'distinct_features':
      return new Set(inWindow().flatMap((e) => (e.feature == null ? [] : [e.feature]))).size;
    case 'days_since_last_activity': {
      let last = Number.NEGATIVE_INFINITY;
      for (const e of events) {
        const t = e.occurredAt.getTime();
        if (t <= end && t > last) last = t;
      }
      return last === Number.NEGATIVE_INFINITY ? null : (end - last) / DAY_MS;
    }
    case 'usage_trend': {
      const recent = events.filter((e) => within(e.occurredAt, start, end)).length;
      const earlier = events.filter((e) => within(e.occurredAt, start - windowDays * DAY_MS, start)).length;
      if (recent === 0 && earlier === 0) return null;
      if (earlier === 0) return 2;
      return Math.min(2, recent / earlier);
    }
    case 'users_added':
      return inWindow().filter((e) => e.eventType === 'user_added').length;
    case 'payment_success_rate':
      return payments.length === 0 ? null : 1 - payments.filter((p) => p.status === 'FAILED').length / payments.length;
    case 'late_payments':
      return payments.filter((p) => p.status === 'FAILED').length;
    case 'csat_mean': {
      const ratings = ticketsOpened.flatMap((t) => (t.csatRating == null ? [] : [t.csatRating]));
      return ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length;
    }
    case 'open_tickets':
      return (activity.tickets ?? []).filter(
        (t) =>
          (t.status === 'OPEN' || t.status === 'PENDING') &&
          t.openedAt.getTime() <= end &&
          (t.resolvedAt == null || t.resolvedAt.getTime() > end),
      ).length;
    case 'ticket_count':
      return ticketsOpened.length;
    case 'nps': {
      const scores = (activity.npsResponses ?? []).filter((r) => within(r.respondedAt, start, end)).map((r) => r.score);
      if (scores.length === 0) return null;
      const promoters = scores.filter((s) => s >= 9).length;
      const detractors = scores.filter((s) => s <= 6).length;
      return (100 * (promoters - detractors)) / scores.length;
    }
  }
}

/** Computes every requested metric for one customer as of `asOf`, keyed by metric key. */
export function metricsFromActivity(activity: ActivityLog, requests: readonly MetricRequest[], asOf: Date): MetricValues {
  const values: MetricValues = {};
  for (const request of requests) values[request.key] = metricValue(activity, request.metric, request.windowDays, asOf);
  return values;
}

/** The last engagement event at or before asOf, or null. */
export function lastActivityAt(activity: ActivityLog, asOf: Date): Date | null {
  let last: Date | null = null;
  for (const e of activity.engagementEvents) {
    if (e.occurredAt.getTime() <= asOf.getTime() && (last === null || e.occurredAt > last)) last = e.occurredAt;
  }
  return last;
}
