// An in-memory reference implementation of the metric definitions in types.ts (MetricKind), for
// simulations, backtests of model changes, and as an oracle the SQL aggregates can be tested against.
// It must stay a literal reading of those definitions; the SQL layer computes the same numbers set-based.
import { npsCategory } from '../../nps/nps-categories';
import { DAY_MS } from './lifecycle';
import { earlierWindowOffsets } from './metrics';
import {
  BASELINE_METRICS,
  LATE_FOR_ANYONE_DAYS,
  LATENESS_HISTORY_DAYS,
  SHORT_VISIT_DAYS,
  READ_AS_NONE_AFTER_USE,
  SILENCE_LOOKBACK_DAYS,
  TEAM_RHYTHM_DAYS,
  TEAM_RHYTHM_MAX_WINDOW_DAYS,
  UNPAID_GRACE_DAYS,
  AWAITING_PAYMENT_GRACE_DAYS,
} from './types';
import type { MetricKind, MetricRequest, MetricValues } from './types';

/** Age at which a response's weight in `nps_weighted` and `nps_mean_score` has halved. */
export const NPS_HALF_LIFE_DAYS = 30;

/** What an answer counts for in `nps_weighted`: as in NPS, +100 a promoter, 0 a passive, −100 a detractor. */
const NPS_WEIGHTED_VALUE = { promoter: 100, passive: 0, detractor: -100 } as const;

type TicketStatus = 'OPEN' | 'PENDING' | 'SOLVED';
type TicketSeverity = 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT';

export interface ActivityLog {
  engagementEvents: { occurredAt: Date; eventType: string; feature?: string | null; userId?: string | null }[];
  payments?: { occurredAt: Date; status: 'PAID' | 'FAILED' | 'REFUNDED'; dueAt?: Date | null; paidAt?: Date | null }[];
  tickets?: {
    openedAt: Date;
    resolvedAt?: Date | null;
    status: TicketStatus;
    severity?: TicketSeverity;
    csatRating?: number | null;
    /**
     * The ticket's status history, in the order recorded (of two changes at one instant, the later
     * recorded decides); without it the ticket is open from openedAt until resolvedAt.
     */
    statusChanges?: { status: TicketStatus; changedAt: Date }[];
    /**
     * The severity and rating it had before a change of either, each until endedAt, in the order
     * recorded (of two ending at one instant, the earlier recorded is read); without them it always had its own.
     */
    earlierStates?: { severity: TicketSeverity; csatRating: number | null; endedAt: Date }[];
  }[];
  npsResponses?: { respondedAt: Date; score: number }[];
  /**
   * Seats and ARR over time (`upsertCustomer`), in the order recorded; `seats` is the customer's current
   * value, used before the first change.
   */
  planChanges?: { changedAt: Date; arrCents: number; seats: number | null }[];
  seats?: number | null;
  /** The customer's sign-up: `contraction` reads no plan before the plan in effect then. */
  signedUpAt?: Date | null;
}

type Ticket = NonNullable<ActivityLog['tickets']>[number];

/** Whether a ticket is OPEN or PENDING at `at`: its last status change at or before then decides. */
function isOpenAt(ticket: Ticket, at: number): boolean {
  if (ticket.openedAt.getTime() > at) return false;
  if (!ticket.statusChanges)
    return ticket.status !== 'SOLVED'
      ? ticket.resolvedAt == null || ticket.resolvedAt.getTime() > at
      : ticket.resolvedAt != null && ticket.resolvedAt.getTime() > at;
  let last: { status: TicketStatus; changedAt: Date } | null = null;
  for (const change of ticket.statusChanges) {
    if (change.changedAt.getTime() <= at && (last === null || change.changedAt.getTime() >= last.changedAt.getTime())) last = change;
  }
  return last !== null && last.status !== 'SOLVED';
}

/** Whether a ticket was solved at some instant in (from, to]: without a status history it is open in one spell, never solved and reopened. */
function solvedWithin(ticket: Ticket, from: number, to: number): boolean {
  return (ticket.statusChanges ?? []).some((change) => change.status === 'SOLVED' && within(change.changedAt, from, to));
}

/** A ticket as of `at`: with the severity and rating of the earliest earlier state that ended after then, else its own. */
function ticketAt(ticket: Ticket, at: number): Ticket {
  const ended = (ticket.earlierStates ?? []).filter((e) => e.endedAt.getTime() > at);
  if (ended.length === 0) return ticket;
  const state = ended.reduce((a, b) => (b.endedAt.getTime() < a.endedAt.getTime() ? b : a));
  return { ...ticket, severity: state.severity, csatRating: state.csatRating };
}

const utcDay = (event: { occurredAt: Date }) => Math.floor(event.occurredAt.getTime() / DAY_MS);

type Events = ActivityLog['engagementEvents'];

function distinct<T>(values: Iterable<T>): number {
  return new Set(values).size;
}

/** The UTC days with an event that names a user: the team's days. */
const teamDays = (events: Events) => distinct(events.filter((e) => e.userId != null).map(utcDay));

/** The value of a plan field in effect at `at`: the last change at or before it, else the customer's current value. */
function planAt(activity: ActivityLog, at: number): { arrCents: number; seats: number | null } | null {
  let last: NonNullable<ActivityLog['planChanges']>[number] | null = null;
  for (const change of activity.planChanges ?? []) {
    if (change.changedAt.getTime() <= at && (last === null || change.changedAt.getTime() >= last.changedAt.getTime())) last = change;
  }
  return last;
}

/** `active_users_vs_usual` (see MetricKind): the users seen lately ÷ those a window usually sees. */
function usersVsUsual(recent: Events, baseline: Events, windowDays: number, observedDays: number): number | null {
  const daysByUser = new Map<string, Set<number>>();
  for (const e of baseline)
    if (e.userId != null) (daysByUser.get(e.userId) ?? daysByUser.set(e.userId, new Set()).get(e.userId)!).add(utcDay(e));
  if (daysByUser.size === 0) return null;
  const unseen = Math.max(0, 1 - windowDays / observedDays);
  const usual = [...daysByUser.values()].reduce((sum, days) => sum + 1 - unseen ** days.size, 0);
  return Math.min(2, distinct(recent.flatMap((e) => (e.userId == null ? [] : [e.userId]))) / usual);
}

/**
 * The `_vs_leanest` metrics (see MetricKind): the distinct values of `valueOf` in the window ending
 * at `end` ÷ the fewest on the UTC days of an earlier window that holds an event and whose first day
 * is on or after the account's first day of use (`firstDay`, a UTC day number).
 */
function vsLeanest(
  events: Events,
  valueOf: (event: Events[number]) => string | null | undefined,
  windowDays: number,
  baselineDays: number,
  end: number,
  firstDay: number,
): number | null {
  const values = (among: Events) => distinct(among.flatMap((e) => (valueOf(e) == null ? [] : [valueOf(e)])));
  let leanest = Number.POSITIVE_INFINITY;
  for (const offset of earlierWindowOffsets(windowDays, baselineDays)) {
    const last = Math.floor(end / DAY_MS) - offset;
    const first = last - windowDays + 1;
    const onDays = events.filter((e) => utcDay(e) >= first && utcDay(e) <= last);
    if (firstDay <= first && onDays.length > 0) leanest = Math.min(leanest, values(onDays));
  }
  if (leanest === 0 || leanest === Number.POSITIVE_INFINITY) return null;
  return Math.min(2, values(events.filter((e) => within(e.occurredAt, end - windowDays * DAY_MS, end))) / leanest);
}

/** The metrics relative to the account's own baseline, and the others added with them (see MetricKind). */
function relativeMetricValue(
  activity: ActivityLog,
  metric: MetricKind,
  windowDays: number,
  baselineDays: number,
  asOf: Date,
): number | null {
  const end = asOf.getTime();
  const start = end - windowDays * DAY_MS;
  const baselineStart = end - baselineDays * DAY_MS;
  const recent = activity.engagementEvents.filter((e) => within(e.occurredAt, start, end));
  const baseline = activity.engagementEvents.filter((e) => within(e.occurredAt, baselineStart, end));
  const observed = Math.min(baselineDays, daysInUse(activity, end) ?? baselineDays);
  // The `_vs_prior` metrics compare with the whole baseline before the window: a younger account's first
  // weeks (its setup, a trial) are no usual level to measure a decline against.
  const young = observed < baselineDays;
  // Null when the baseline holds nothing before the window: there is no usual level to compare with.
  const rateRatio = (recentCount: number, baselineCount: number) =>
    baselineCount === recentCount ? null : Math.min(2, recentCount / windowDays / (baselineCount / observed));
  // The rate of the recent window against the rate of the baseline's days before it.
  const priorRatio = (recentCount: number, baselineCount: number) =>
    baselineCount === recentCount || young
      ? null
      : Math.min(2, recentCount / windowDays / ((baselineCount - recentCount) / (baselineDays - windowDays)));
  const shareRatio = (recentCount: number, baselineCount: number) => (baselineCount === 0 ? null : recentCount / baselineCount);
  const users = (events: typeof recent) => distinct(events.flatMap((e) => (e.userId == null ? [] : [e.userId])));
  const features = (events: typeof recent) => distinct(events.flatMap((e) => (e.feature == null ? [] : [e.feature])));
  switch (metric) {
    case 'active_days_trend':
      return rateRatio(distinct(recent.map(utcDay)), distinct(baseline.map(utcDay)));
    case 'events_trend':
      return rateRatio(recent.length, baseline.length);
    case 'team_active_days_trend': {
      const teamBaseline = teamDays(baseline);
      return teamBaseline === 0
        ? rateRatio(distinct(recent.map(utcDay)), distinct(baseline.map(utcDay)))
        : rateRatio(teamDays(recent), teamBaseline);
    }
    case 'active_days_vs_prior':
      return priorRatio(distinct(recent.map(utcDay)), distinct(baseline.map(utcDay)));
    case 'events_vs_prior':
      return priorRatio(recent.length, baseline.length);
    case 'events_per_active_day_vs_prior': {
      const recentDays = distinct(recent.map(utcDay));
      const priorDays = distinct(baseline.map(utcDay)) - recentDays;
      if (recentDays === 0 || priorDays === 0 || baseline.length === recent.length || young) return null;
      const mean = recent.length / recentDays / ((baseline.length - recent.length) / priorDays);
      const prior = activity.engagementEvents.filter((e) => within(e.occurredAt, baselineStart, start));
      return Math.min(2, Math.max(mean, typicalEventsPerDay(recent) / typicalEventsPerDay(prior)));
    }
    case 'users_per_team_day_vs_prior':
      return young ? null : usersPerTeamDayVsPrior(recent, baseline);
    case 'active_users_trend':
      return baseline.length === recent.length ? null : shareRatio(users(recent), users(baseline));
    case 'active_users_vs_usual':
      return baseline.length === recent.length ? null : usersVsUsual(recent, baseline, windowDays, observed);
    case 'feature_breadth_trend':
      return baseline.length === recent.length ? null : shareRatio(features(recent), features(baseline));
    case 'active_users_vs_leanest':
    case 'feature_breadth_vs_leanest': {
      const valueOf = metric === 'active_users_vs_leanest' ? (e: Events[number]) => e.userId : (e: Events[number]) => e.feature;
      const inUse = daysInUse(activity, end);
      if (recent.length === 0 || inUse === null) return null;
      return vsLeanest(activity.engagementEvents, valueOf, windowDays, baselineDays, end, Math.floor(end / DAY_MS) - Math.floor(inUse));
    }
    case 'feature_days_per_feature': {
      const featureDays = distinct(recent.flatMap((e) => (e.feature == null ? [] : [`${utcDay(e)} ${e.feature}`])));
      return shareRatio(featureDays, features(baseline));
    }
    case 'ticket_volume_trend': {
      const opened = (from: number, to: number) => (activity.tickets ?? []).filter((t) => within(t.openedAt, from, to)).length;
      return Math.max(
        0,
        opened(start, end) - (opened(baselineStart, end) * windowDays) / ticketBaselineDays(activity, windowDays, baselineDays, end),
      );
    }
  }
  throw new Error(`${metric} has no baseline`);
}

/** `users_per_team_day_vs_prior` of an account in use for the whole baseline (see MetricKind). */
function usersPerTeamDayVsPrior(recent: Events, baseline: Events): number | null {
  const userDays = (events: Events) => distinct(events.flatMap((e) => (e.userId == null ? [] : [`${utcDay(e)} ${e.userId}`])));
  const [recentTeamDays, recentUserDays] = [teamDays(recent), userDays(recent)];
  const priorTeamDays = teamDays(baseline) - recentTeamDays;
  if (recentTeamDays === 0 || priorTeamDays === 0) return null;
  return Math.min(2, recentUserDays / recentTeamDays / ((userDays(baseline) - recentUserDays) / priorTeamDays));
}

/** The geometric mean of the per-UTC-day event counts of the days that hold an event (NaN without one). */
function typicalEventsPerDay(events: ActivityLog['engagementEvents']): number {
  const perDay = new Map<number, number>();
  for (const e of events) perDay.set(utcDay(e), (perDay.get(utcDay(e)) ?? 0) + 1);
  let logs = 0;
  for (const count of perDay.values()) logs += Math.log(count);
  return Math.exp(logs / perDay.size);
}

/** Days from the UTC start of the account's first day with an engagement event to `end`; null without one by then. */
function daysInUse(activity: ActivityLog, end: number): number | null {
  let first = Number.POSITIVE_INFINITY;
  for (const e of activity.engagementEvents) first = Math.min(first, e.occurredAt.getTime());
  return first > end ? null : (end - Math.floor(first / DAY_MS) * DAY_MS) / DAY_MS;
}

/**
 * The days a ticket rate is read over: those since the account became known (the UTC day of its first
 * event or ticket, whichever came first), at most the baseline, at least the window. Counted over the
 * whole baseline, a young account's steady tickets read as a surge, the days before it began as days
 * without any; an account younger than the window has no days before it to read a usual rate from.
 */
function ticketBaselineDays(activity: ActivityLog, windowDays: number, baselineDays: number, end: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const e of activity.engagementEvents) first = Math.min(first, e.occurredAt.getTime());
  for (const t of activity.tickets ?? []) first = Math.min(first, t.openedAt.getTime());
  if (first > end) return baselineDays;
  return Math.min(baselineDays, Math.max(windowDays, (end - Math.floor(first / DAY_MS) * DAY_MS) / DAY_MS));
}

/** Inclusive-end window test: from < t ≤ to. */
function within(time: Date, from: number, to: number): boolean {
  const t = time.getTime();
  return t > from && t <= to;
}

/** One customer's activity over a metric's window (from `start`, exclusive, to `end`, inclusive). */
interface MetricWindow {
  activity: ActivityLog;
  events: ActivityLog['engagementEvents'];
  windowDays: number;
  start: number;
  end: number;
  inWindow(): ActivityLog['engagementEvents'];
  payments: NonNullable<ActivityLog['payments']>;
  ticketsOpened: NonNullable<ActivityLog['tickets']>;
}

/** How many visits the UTC days `days` (day numbers) form: runs of consecutive days. */
function visitsAmong(days: Iterable<number>): number {
  const set = new Set(days);
  let visits = 0;
  for (const day of set) if (!set.has(day - 1)) visits++;
  return visits;
}

/** Whether `days` of use in `visits` visits are short visits: at most SHORT_VISIT_DAYS each on average. */
const inShortVisits = (days: number, visits: number) => days <= SHORT_VISIT_DAYS * visits;

/**
 * The usual gap of `silence_vs_cadence` over the SILENCE_LOOKBACK_DAYS before `end`, for an account
 * too sparse for its window of `windowDays`: over the UTC days of use whose first event (up to
 * `end`) is in the lookback, from the earliest of those first events to the last activity, ÷ the
 * visits among those days less one when they are at least 3 short visits that come fewer than 3 to
 * a window (an account used in short bursts), else ÷ the days less one; at least 1, and 1 with
 * fewer than 3 days. `inVisits` tells which.
 */
function usualGapOverLookback(events: Events, end: number, last: number, windowDays: number): { gap: number; inVisits: boolean } {
  const firstOfDay = new Map<number, number>();
  for (const e of events) {
    const t = e.occurredAt.getTime();
    if (t > end) continue;
    const day = utcDay(e);
    if (!(firstOfDay.get(day)! <= t)) firstOfDay.set(day, t);
  }
  const counted = [...firstOfDay].filter(([, t]) => t > end - SILENCE_LOOKBACK_DAYS * DAY_MS);
  const days = counted.length;
  const visits = visitsAmong(counted.map(([day]) => day));
  const span = (last - Math.min(...counted.map(([, t]) => t))) / DAY_MS;
  const inVisits = visits >= 3 && inShortVisits(days, visits) && 3 * span >= windowDays * (visits - 1);
  const units = inVisits ? visits : days;
  return { gap: units >= 3 ? Math.max(span / (units - 1), 1) : 1, inVisits };
}

/**
 * `silence_vs_cadence` of an account without activity in the lookback: the lookback itself (silent at
 * least that long) when it was used before it, null when it was never used (no observation: a new
 * account's, or one whose data has not arrived yet).
 */
function silenceWithoutRecentUse(events: Events, end: number): number | null {
  return events.some((e) => e.occurredAt.getTime() <= end - SILENCE_LOOKBACK_DAYS * DAY_MS) ? SILENCE_LOOKBACK_DAYS : null;
}

/**
 * Days since the team's last event (one that names a user), for an account with a team rhythm
 * (TEAM_RHYTHM_DAYS or more team days in the window's length, TEAM_RHYTHM_MAX_WINDOW_DAYS at most,
 * ending at that event, which is in the last SILENCE_LOOKBACK_DAYS) whose last event is not its
 * team's (an integration called since); null for the others, whose silence is read on every event:
 * an account without a team rhythm, whose integration's calls are its use, and one whose last event
 * is its team's, silent as long on either reading. The rhythm ends at the team's last event, not at
 * the window's end: the team's silence is no part of it, or it would wear the rhythm away and a
 * team silent long enough would read as run by its integration again.
 */
function teamSilence(w: MetricWindow): number | null {
  const upToEnd = w.events.filter((e) => e.occurredAt.getTime() <= w.end);
  const team = upToEnd.filter((e) => e.userId != null);
  const latest = (events: Events) => events.reduce((last, e) => Math.max(last, e.occurredAt.getTime()), Number.NEGATIVE_INFINITY);
  const teamLast = latest(team);
  if (teamLast <= w.end - SILENCE_LOOKBACK_DAYS * DAY_MS || teamLast >= latest(upToEnd)) return null;
  const rhythmFrom = teamLast - Math.min(w.windowDays, TEAM_RHYTHM_MAX_WINDOW_DAYS) * DAY_MS;
  if (teamDays(team.filter((e) => within(e.occurredAt, rhythmFrom, teamLast))) < TEAM_RHYTHM_DAYS) return null;
  return (w.end - teamLast) / DAY_MS;
}

/**
 * `silence_vs_cadence` of an account whose team's silence is read apart (`teamSilence`): days since
 * the team's last event ÷ the window's days before that silence over the team's days; null for the
 * others. Its TEAM_RHYTHM_DAYS or more team days are a rhythm: the lookback's rules for sparse or
 * bursty use are for the others. A silence as long as the window leaves none of the team's days in
 * it, nor any of its days before the silence (a usual gap of 1 ÷ 0): it counts in days.
 */
function silenceOfTeam(w: MetricWindow): number | null {
  const daysSince = teamSilence(w);
  if (daysSince === null) return null;
  const observed = Math.min(w.windowDays, daysInUse(w.activity, w.end) ?? w.windowDays);
  return daysSince / (Math.max(observed - daysSince, 1) / Math.max(teamDays(w.inWindow()), 1));
}

/** The FAILED payments of the window after the last PAID one at or before the window's end. */
function failuresSinceLastPaid({ activity, payments, end }: MetricWindow): MetricWindow['payments'] {
  const all = activity.payments ?? [];
  const lastPaid = Math.max(
    Number.NEGATIVE_INFINITY,
    ...all.filter((p) => p.status === 'PAID' && p.occurredAt.getTime() <= end).map((p) => p.occurredAt.getTime()),
  );
  return payments.filter((p) => p.status === 'FAILED' && p.occurredAt.getTime() > lastPaid);
}

/**
 * Invoices (distinct `dueAt`) due in the window and at least `pastDueDays` before its end, with a
 * payment recorded by then, not refunded, and none of their payments paid by then. With
 * `pastDueWithoutFailureDays`, an invoice none of whose payments recorded by then FAILED counts only
 * once it is that long past due.
 */
function unpaidInvoices({ activity, start, end }: MetricWindow, pastDueDays: number, pastDueWithoutFailureDays = pastDueDays): number {
  const all = (activity.payments ?? []).filter((p) => p.dueAt != null && p.occurredAt.getTime() <= end);
  const due = new Set(all.filter((p) => within(p.dueAt!, start, end - pastDueDays * DAY_MS)).map((p) => p.dueAt!.getTime()));
  const paidBy = (p: (typeof all)[number]) => p.status === 'PAID' && (p.paidAt ?? p.occurredAt).getTime() <= end;
  let unpaid = 0;
  for (const dueAt of due) {
    const invoice = all.filter((p) => p.dueAt!.getTime() === dueAt);
    const lateEnough = invoice.some((p) => p.status === 'FAILED') || dueAt <= end - pastDueWithoutFailureDays * DAY_MS;
    if (invoice.some((p) => p.status !== 'REFUNDED') && !invoice.some(paidBy) && lateEnough) unpaid++;
  }
  return unpaid;
}

/**
 * The account's longest lateness, in days, among the invoices due in the last LATENESS_HISTORY_DAYS
 * and paid by `end`: each from its due date to its first payment; 0 without any.
 */
function longestLatenessDays({ activity, end }: MetricWindow): number {
  const firstPaid = new Map<number, number>();
  for (const p of activity.payments ?? []) {
    const paidAt = (p.paidAt ?? p.occurredAt).getTime();
    if (p.status !== 'PAID' || p.dueAt == null || paidAt > end || !within(p.dueAt, end - LATENESS_HISTORY_DAYS * DAY_MS, end)) continue;
    const due = p.dueAt.getTime();
    firstPaid.set(due, Math.min(firstPaid.get(due) ?? Number.POSITIVE_INFINITY, paidAt));
  }
  return Math.max(0, ...[...firstPaid].map(([due, paidAt]) => (paidAt - due) / DAY_MS));
}

/** The metrics measured over one window, by kind: each as its definition in types.ts reads. */
const WINDOW_METRICS: Partial<Record<MetricKind, (w: MetricWindow) => number | null>> = {
  active_days: (w) => new Set(w.inWindow().map((e) => e.occurredAt.toISOString().slice(0, 10))).size,
  team_active_days: (w) => teamDays(w.inWindow()),
  distinct_features: (w) => new Set(w.inWindow().flatMap((e) => (e.feature == null ? [] : [e.feature]))).size,
  days_since_last_activity: (w) => {
    const teamDaysSince = teamSilence(w);
    if (teamDaysSince !== null) return teamDaysSince;
    const { events, end } = w;
    let last = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      const t = e.occurredAt.getTime();
      if (t <= end && t > last) last = t;
    }
    // Past the lookback, silent at least that long: the SQL reads no further back.
    return last === Number.NEGATIVE_INFINITY ? null : Math.min((end - last) / DAY_MS, Math.max(w.windowDays, SILENCE_LOOKBACK_DAYS));
  },
  usage_trend: ({ events, start, end, windowDays }) => {
    const recent = events.filter((e) => within(e.occurredAt, start, end)).length;
    const earlier = events.filter((e) => within(e.occurredAt, start - windowDays * DAY_MS, start)).length;
    if (recent === 0 && earlier === 0) return null;
    if (earlier === 0) return 2;
    return Math.min(2, recent / earlier);
  },
  users_added: (w) => w.inWindow().filter((e) => e.eventType === 'user_added').length,
  payment_success_rate: ({ payments }) =>
    payments.length === 0 ? null : 1 - payments.filter((p) => p.status === 'FAILED').length / payments.length,
  late_payments: ({ payments }) => payments.filter((p) => p.status === 'FAILED').length,
  csat_mean: ({ ticketsOpened }) => {
    const ratings = ticketsOpened.flatMap((t) => (t.csatRating == null ? [] : [t.csatRating]));
    return ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length;
  },
  open_tickets: ({ activity, end }) => (activity.tickets ?? []).filter((t) => isOpenAt(t, end)).length,
  ticket_count: ({ ticketsOpened }) => ticketsOpened.length,
  seat_utilisation: (w) => {
    const seats = planAt(w.activity, w.end)?.seats ?? w.activity.seats ?? null;
    if (!seats) return null;
    const events = w.inWindow();
    const users = distinct(events.flatMap((e) => (e.userId == null ? [] : [e.userId])));
    // Events that name no user (an integration's calls) say nothing of the seats in use.
    return users === 0 && events.length > 0 ? null : users / seats;
  },
  silence_vs_cadence: (w) => {
    const teamSilence = silenceOfTeam(w);
    if (teamSilence !== null) return teamSilence;
    const windowDays = new Set(w.inWindow().map(utcDay));
    const activeDays = windowDays.size;
    const last = Math.max(
      Number.NEGATIVE_INFINITY,
      ...w.events.filter((e) => within(e.occurredAt, w.end - SILENCE_LOOKBACK_DAYS * DAY_MS, w.end)).map((e) => e.occurredAt.getTime()),
    );
    if (last === Number.NEGATIVE_INFINITY) return silenceWithoutRecentUse(w.events, w.end);
    const daysSince = (w.end - last) / DAY_MS;
    const lookback = w.windowDays < SILENCE_LOOKBACK_DAYS ? usualGapOverLookback(w.events, w.end, last, w.windowDays) : null;
    const windowVisits = visitsAmong(windowDays);
    const burstsInWindow = windowVisits < 3 && inShortVisits(activeDays, windowVisits);
    if (activeDays >= 3 && !(burstsInWindow && lookback?.inVisits)) {
      const observed = Math.min(w.windowDays, daysInUse(w.activity, w.end) ?? w.windowDays);
      return daysSince / (Math.max(observed - daysSince, 1) / activeDays);
    }
    return daysSince / (lookback?.gap ?? 1);
  },
  payment_failure_streak: (w) => failuresSinceLastPaid(w).length,
  // A payment without a due date is an invoice of its own: the object stands for it.
  failed_invoice_streak: (w) => new Set(failuresSinceLastPaid(w).map((p) => p.dueAt?.getTime() ?? p)).size,
  unpaid_past_due: (w) => unpaidInvoices(w, 1),
  unpaid_past_grace: (w) => unpaidInvoices(w, UNPAID_GRACE_DAYS),
  unpaid_later_than_usual: (w) =>
    unpaidInvoices(w, Math.max(UNPAID_GRACE_DAYS, Math.min(LATE_FOR_ANYONE_DAYS, longestLatenessDays(w))), AWAITING_PAYMENT_GRACE_DAYS),
  contraction: ({ activity, start: windowStart, end }) => {
    const now = planAt(activity, end);
    if (!now) return null;
    const changes = activity.planChanges ?? [];
    const start = Math.max(windowStart, activity.signedUpAt?.getTime() ?? Number.NEGATIVE_INFINITY);
    // A plan replaced at the instant it took effect (a correction sent with the same date) was never in effect.
    const replacedAtOnce = (c: (typeof changes)[number], i: number) =>
      changes.some((later, j) => j > i && later.changedAt.getTime() === c.changedAt.getTime());
    const inEffect = [
      planAt(activity, start),
      ...changes.filter((c, i) => within(c.changedAt, start, end) && !replacedAtOnce(c, i)),
    ].filter((c) => c !== null);
    const ratio = (current: number | null, highest: number) => (current === null || !(highest > 0) ? 1 : current / highest);
    const arr = ratio(now.arrCents, Math.max(...inEffect.map((c) => c.arrCents)));
    const seats = ratio(now.seats, Math.max(0, ...inEffect.map((c) => c.seats ?? 0)));
    return Math.max(0, 1 - Math.min(arr, seats));
  },
  urgent_open_tickets: ({ activity, end }) =>
    (activity.tickets ?? [])
      .map((t) => ticketAt(t, end))
      .filter((t) => (t.severity === 'HIGH' || t.severity === 'URGENT') && isOpenAt(t, end)).length,
  urgent_tickets_open_throughout: ({ activity, start, end }) =>
    (activity.tickets ?? [])
      .map((t) => ticketAt(t, end))
      .filter(
        (t) => (t.severity === 'HIGH' || t.severity === 'URGENT') && isOpenAt(t, start) && isOpenAt(t, end) && !solvedWithin(t, start, end),
      ).length,
  rated_tickets: ({ ticketsOpened }) => ticketsOpened.filter((t) => t.csatRating != null).length,
  nps_weighted: ({ activity, start, end }) => recencyWeightedMean(activity, start, end, (score) => NPS_WEIGHTED_VALUE[npsCategory(score)]),
  nps_mean_score: ({ activity, start, end }) => recencyWeightedMean(activity, start, end, (score) => score),
  nps_angry_answers: ({ activity, start, end }) =>
    (activity.npsResponses ?? []).filter((r) => r.score <= 4 && within(r.respondedAt, start, end)).length,
  nps: ({ activity, start, end }) => {
    const scores = (activity.npsResponses ?? []).filter((r) => within(r.respondedAt, start, end)).map((r) => r.score);
    if (scores.length === 0) return null;
    const promoters = scores.filter((s) => npsCategory(s) === 'promoter').length;
    const detractors = scores.filter((s) => npsCategory(s) === 'detractor').length;
    // Rounded half away from zero, as PostgreSQL's round() does.
    const nps = (100 * (promoters - detractors)) / scores.length;
    return Math.sign(nps) * Math.round(Math.abs(nps));
  },
};

/** The responses in (start, end] averaged by `value`, each weighted by its age; null without responses. */
function recencyWeightedMean(activity: ActivityLog, start: number, end: number, value: (score: number) => number): number | null {
  const responses = (activity.npsResponses ?? []).filter((r) => within(r.respondedAt, start, end));
  if (responses.length === 0) return null;
  let weighted = 0;
  let weights = 0;
  for (const r of responses) {
    const weight = 0.5 ** ((end - r.respondedAt.getTime()) / DAY_MS / NPS_HALF_LIFE_DAYS);
    weighted += weight * value(r.score);
    weights += weight;
  }
  // Rounded to 9 decimals as the SQL aggregate is: w·(−100)/w is not always exactly −100 in floating point.
  const mean = weighted / weights;
  return (Math.sign(mean) * Math.round(Math.abs(mean) * 1e9)) / 1e9;
}

function metricValue(activity: ActivityLog, metric: MetricKind, windowDays: number, asOf: Date): number | null {
  const measure = WINDOW_METRICS[metric];
  if (BASELINE_METRICS.has(metric) || !measure) throw new Error(`${metric} needs a baseline`);
  const end = asOf.getTime();
  const start = end - windowDays * DAY_MS;
  const events = activity.engagementEvents;
  return measure({
    activity,
    events,
    windowDays,
    start,
    end,
    inWindow: () => events.filter((e) => within(e.occurredAt, start, end)),
    payments: (activity.payments ?? []).filter((p) => within(p.occurredAt, start, end)),
    ticketsOpened: (activity.tickets ?? []).filter((t) => within(t.openedAt, start, end)).map((t) => ticketAt(t, end)),
  });
}

/**
 * 0 for a metric of READ_AS_NONE_AFTER_USE whose extent holds no engagement event, of an account
 * that used before it what the metric needs; null otherwise (the metric's own reading stands).
 */
function noneAfterUse(activity: ActivityLog, request: MetricRequest, asOf: Date): 0 | null {
  const usedBefore = READ_AS_NONE_AFTER_USE.get(request.metric);
  if (usedBefore === undefined) return null;
  const end = asOf.getTime();
  const extentDays = request.metric === 'usage_trend' ? 2 * request.windowDays : Math.max(request.windowDays, request.baselineDays ?? 0);
  const extentStart = end - extentDays * DAY_MS;
  const upToEnd = activity.engagementEvents.filter((e) => e.occurredAt.getTime() <= end);
  if (upToEnd.some((e) => e.occurredAt.getTime() > extentStart)) return null;
  const needed = (e: Events[number]) => usedBefore === 'events' || (usedBefore === 'users' ? e.userId != null : e.feature != null);
  return upToEnd.some(needed) ? 0 : null;
}

/** Computes every requested metric for one customer as of `asOf`, keyed by metric key. */
export function metricsFromActivity(activity: ActivityLog, requests: readonly MetricRequest[], asOf: Date): MetricValues {
  const values: MetricValues = {};
  for (const request of requests) {
    values[request.key] =
      (request.baselineDays === undefined
        ? metricValue(activity, request.metric, request.windowDays, asOf)
        : relativeMetricValue(activity, request.metric, request.windowDays, request.baselineDays, asOf)) ??
      noneAfterUse(activity, request, asOf);
  }
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
