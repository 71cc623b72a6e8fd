import { DAY_MS, DEFAULT_SCORING_MODEL, lastActivityAt, metricKey, metricRequests, metricsFromActivity } from '../../../src/scoring/model';
import type { ActivityLog, MetricKind } from '../../../src/scoring/model';
import { modelWith, signal } from './model-factory';

const asOf = new Date('2026-03-31T12:00:00Z');
const daysBefore = (days: number) => new Date(asOf.getTime() - days * DAY_MS);

function metric(activity: ActivityLog, kind: MetricKind, windowDays = 30): number | null | undefined {
  return metricsFromActivity(activity, [{ metric: kind, windowDays, key: 'value' }], asOf).value;
}

describe('metric keys and requests', () => {
  it('keys a metric by kind and window', () => {
    expect(metricKey('active_days', 30)).toBe('active_days_30');
    expect(metricKey('usage_trend', 14)).toBe('usage_trend_14');
  });

  it('lists each (metric, window) pair the model needs once, sorted by key, including penalties', () => {
    const model = modelWith(
      [
        {
          name: 'engagement',
          signals: [
            signal({ name: 'a', metric: 'usage_trend', windowDays: 30 }),
            signal({ name: 'b', metric: 'active_days', windowDays: 30 }),
            signal({ name: 'c', metric: 'active_days', windowDays: 7 }),
          ],
        },
      ],
      [{ name: 'decline', metric: 'usage_trend', windowDays: 30, direction: 'below', threshold: 0.8, points: 5 }],
    );
    expect(metricRequests(model)).toEqual([
      { metric: 'active_days', windowDays: 30, key: 'active_days_30' },
      { metric: 'active_days', windowDays: 7, key: 'active_days_7' },
      { metric: 'usage_trend', windowDays: 30, key: 'usage_trend_30' },
    ]);
  });

  it("asks for forty-three aggregates under the default model, its signals' and penalties' conditions included, baselines in the keys of the relative ones", () => {
    expect(metricRequests(DEFAULT_SCORING_MODEL).map((r) => r.key)).toEqual([
      // The lighter-days flag's condition: enough days of use in its three weeks for a mean per day.
      'active_days_21',
      // The usage flags' condition of a rhythm to halve: enough active days in 60.
      'active_days_60',
      'active_days_trend_21_60',
      // The activity flag (active days against the days before its window) and its condition: the last week down too.
      'active_days_vs_prior_21_60',
      'active_days_vs_prior_7_60',
      // The team flag's condition: fewer users than in any earlier fortnight.
      'active_users_vs_leanest_14_60',
      // The week's team flag's condition: fewer users than in any earlier week of the last four.
      'active_users_vs_leanest_7_28',
      'active_users_vs_usual_14_60',
      // The week's team flag: the users of the last 7 days against those a week usually sees.
      'active_users_vs_usual_7_60',
      'contraction_90',
      'csat_mean_90',
      // The long-silence flag's condition: silent for longer than a holiday.
      'days_since_last_activity_60',
      // The lighter-days flag (events per day of use against the days before its window) and its condition.
      'events_per_active_day_vs_prior_21_60',
      'events_per_active_day_vs_prior_7_60',
      // The team flag's condition: the account not doing much more than usual.
      'events_trend_14_60',
      'events_trend_21_60',
      // The week's team flag's condition: the account not doing much more than usual that week.
      'events_trend_7_60',
      // The usage flag (events against the days before its window) and its condition.
      'events_vs_prior_21_60',
      'events_vs_prior_7_60',
      'failed_invoice_streak_90',
      'feature_breadth_trend_14_60',
      // The feature flag's condition: fewer features than in any earlier fortnight.
      'feature_breadth_vs_leanest_14_60',
      // The feature flag's other condition: enough feature use in its two weeks to show the usual features.
      'feature_days_per_feature_14_60',
      // The angry-detractor flag's condition: two angry answers or more.
      'nps_angry_answers_60',
      // The angry-detractor flag: the answers' mean score, by recency.
      'nps_mean_score_60',
      'nps_weighted_180',
      'nps_weighted_60',
      // The support escalation flag's other condition: some ticket rated (no rating is no poor rating).
      'rated_tickets_90',
      'seat_utilisation_30',
      'silence_vs_cadence_60',
      // The condition of the feature flag: the team in use on enough days of its fortnight (not only an integration).
      'team_active_days_14',
      // The condition of the team-gone flag: a team that came about once a week or more.
      'team_active_days_60',
      // The condition of the team and feature flags: the team still in use over their two weeks (an
      // integration's days are not its team's).
      'team_active_days_trend_14_60',
      // The lighter-days flag's condition: the team coming on its usual days over its three weeks.
      'team_active_days_trend_21_60',
      // The flag of a team gone behind a running integration.
      'team_active_days_trend_35_60',
      // The usage flags' and usage trends' condition: the team came this week.
      'team_active_days_trend_7_60',
      'ticket_volume_trend_14_90',
      // The support escalation flag: tickets beyond the usual rate over a month.
      'ticket_volume_trend_30_90',
      // The unpaid-invoice flag and signal: unpaid longer past due than the account's habit.
      'unpaid_later_than_usual_365',
      'urgent_open_tickets_90',
      // The urgent-ticket flag: HIGH or URGENT tickets open for a whole day.
      'urgent_tickets_open_throughout_1',
      // The usage flags' condition of an account not coming back: its week against the week before.
      'usage_trend_7',
      // The lighter-days flag's condition: as many of its people on each day of the team as before.
      'users_per_team_day_vs_prior_21_60',
    ]);
    expect(metricRequests(DEFAULT_SCORING_MODEL).find((r) => r.metric === 'ticket_volume_trend')).toEqual({
      metric: 'ticket_volume_trend',
      windowDays: 14,
      baselineDays: 90,
      key: 'ticket_volume_trend_14_90',
    });
  });
});

describe('metricsFromActivity (the reference for the SQL aggregates)', () => {
  const event = (daysAgo: number, eventType = 'login', feature: string | null = null) => ({
    occurredAt: daysBefore(daysAgo),
    eventType,
    feature,
  });

  it('uses windows that exclude their start and include asOf', () => {
    const activity = {
      engagementEvents: [
        event(30, 'user_added'),
        event(29.99, 'user_added'),
        event(0, 'user_added'),
        { ...event(0, 'user_added'), occurredAt: new Date(asOf.getTime() + 1) },
      ],
    };
    // Exactly 30 days ago is outside; 29.99 days ago and asOf itself are inside; later events are not seen.
    expect(metric(activity, 'users_added')).toBe(2);
  });

  it('counts distinct UTC days, not events', () => {
    const activity = {
      engagementEvents: [
        { occurredAt: new Date('2026-03-30T00:10:00Z'), eventType: 'login' },
        { occurredAt: new Date('2026-03-30T23:50:00Z'), eventType: 'login' },
        { occurredAt: new Date('2026-03-29T23:59:00Z'), eventType: 'login' },
      ],
    };
    expect(metric(activity, 'active_days')).toBe(2);
  });

  it('counts distinct non-null features', () => {
    const activity = {
      engagementEvents: [
        event(1, 'feature_used', 'reports'),
        event(2, 'feature_used', 'reports'),
        event(3, 'feature_used', 'alerts'),
        event(4),
      ],
    };
    expect(metric(activity, 'distinct_features')).toBe(2);
  });

  it('counts feature-days lately per feature of the baseline: each day counts its distinct features once', () => {
    const days = (kind: MetricKind, engagementEvents: ActivityLog['engagementEvents']) =>
      metricsFromActivity({ engagementEvents }, [{ metric: kind, windowDays: 14, baselineDays: 60, key: 'value' }], asOf).value;
    // Six features in 60 days; in the last 14: reports twice on one day (one feature-day), reports and
    // alerts on another (two), a login without a feature (none): 3 feature-days ÷ 6 features.
    const older = ['a', 'b', 'c', 'd'].map((feature, i) => event(20 + i, 'feature_used', feature));
    const recent = [
      event(1.2, 'feature_used', 'reports'),
      event(1.1, 'feature_used', 'reports'),
      event(5, 'feature_used', 'reports'),
      event(5.01, 'feature_used', 'alerts'),
      event(6),
    ];
    expect(days('feature_days_per_feature', [...older, ...recent])).toBe(0.5);
    // A narrowing: the same amount of use on two features for ten days reads 20 ÷ 6, while the breadth is 2 ÷ 6.
    const narrowed = Array.from({ length: 10 }, (_, d) => [
      event(d + 0.5, 'feature_used', 'reports'),
      event(d + 0.6, 'feature_used', 'alerts'),
    ]).flat();
    expect(days('feature_days_per_feature', [...older, ...narrowed])).toBeCloseTo(20 / 6);
    expect(days('feature_breadth_trend', [...older, ...narrowed])).toBeCloseTo(2 / 6);
    expect(days('feature_days_per_feature', [event(1), event(30)])).toBeNull();
  });

  it('compares the recent window with the days of the baseline before it, so a step down reads at its full depth', () => {
    const measure = (kind: MetricKind, engagementEvents: ActivityLog['engagementEvents']) =>
      metricsFromActivity({ engagementEvents }, [{ metric: kind, windowDays: 21, baselineDays: 60, key: 'value' }], asOf).value;
    // Two events a day for 39 days, then every other day one event for the last 21 days (11 of them).
    const before = Array.from({ length: 39 }, (_, d) => [event(21.2 + d), event(21.3 + d)]).flat();
    const halved = Array.from({ length: 11 }, (_, d) => event(0.5 + 2 * d));
    // In use since long before the baseline (an event 75 days ago, outside it).
    const log = [event(75), ...before, ...halved];
    expect(measure('active_days_vs_prior', log)).toBeCloseTo(11 / 21 / (39 / 39));
    expect(measure('events_vs_prior', log)).toBeCloseTo(11 / 21 / (78 / 39));
    // Against a baseline that holds the recent days, the same step reads shallower.
    expect(measure('events_trend', log)).toBeCloseTo(11 / 21 / (89 / 60));
    // The usual level kept: 1; more use than before: capped at 2; nothing before the window: no baseline.
    const steady = [event(75), ...Array.from({ length: 60 }, (_, d) => event(d + 0.5))];
    expect(measure('active_days_vs_prior', steady)).toBeCloseTo(1);
    expect(measure('events_vs_prior', [event(75), event(30), ...Array.from({ length: 40 }, (_, d) => event(0.1 + d / 2))])).toBe(2);
    expect(measure('events_vs_prior', [event(1), event(2)])).toBeNull();
    expect(measure('active_days_vs_prior', [])).toBeNull();
  });

  it('measures how busy a day of use is against the days before the window, whatever the number of days', () => {
    const measure = (engagementEvents: ActivityLog['engagementEvents']) =>
      metricsFromActivity(
        { engagementEvents },
        [{ metric: 'events_per_active_day_vs_prior', windowDays: 21, baselineDays: 60, key: 'value' }],
        asOf,
      ).value;
    const eventsOn = (day: number, count: number) => Array.from({ length: count }, (_, k) => event(day + 0.3 + k / 100));
    // Four events a day for 39 days, then two a day on the same days: half as busy (in use since day 75).
    const before = [event(75), ...Array.from({ length: 39 }, (_, d) => eventsOn(21 + d, 4)).flat()];
    const lighter = Array.from({ length: 21 }, (_, d) => eventsOn(d, 2)).flat();
    expect(measure([...before, ...lighter])).toBeCloseTo(0.5);
    // Every other day, four events each: fewer days, each as busy as before.
    const fewerDays = Array.from({ length: 11 }, (_, d) => eventsOn(2 * d, 4)).flat();
    expect(measure([...before, ...fewerDays])).toBeCloseTo(1);
    // Three days of eight events after a three-week holiday of a twice-a-week account: busier days, not fewer.
    const twiceAWeek = [event(75), ...Array.from({ length: 11 }, (_, w) => [...eventsOn(21 + 3.5 * w, 4)]).flat()];
    expect(measure([...twiceAWeek, ...eventsOn(1, 8), ...eventsOn(2, 8)])).toBeCloseTo(2);
    // No day of use in the window, or none before it: nothing to compare.
    expect(measure(before)).toBeNull();
    expect(measure(lighter)).toBeNull();
  });

  it('measures fractional days since the last activity, ignoring the window and the future', () => {
    const activity = { engagementEvents: [event(45.5), event(-2)] };
    expect(metric(activity, 'days_since_last_activity')).toBeCloseTo(45.5);
    expect(metric({ engagementEvents: [] }, 'days_since_last_activity')).toBeNull();
    expect(lastActivityAt(activity, asOf)).toEqual(daysBefore(45.5));
  });

  it('compares usage with the window before it, capped at 2', () => {
    const recent = (n: number) => Array.from({ length: n }, (_, i) => event(1 + i * 0.1));
    const earlier = (n: number) => Array.from({ length: n }, (_, i) => event(31 + i * 0.1));
    expect(metric({ engagementEvents: [...recent(8), ...earlier(10)] }, 'usage_trend')).toBeCloseTo(0.8);
    expect(metric({ engagementEvents: [...recent(30), ...earlier(10)] }, 'usage_trend')).toBe(2);
    expect(metric({ engagementEvents: recent(3) }, 'usage_trend')).toBe(2);
    expect(metric({ engagementEvents: earlier(3) }, 'usage_trend')).toBe(0);
    // Used before both windows: silent through them, none of its usual use (READ_AS_NONE_AFTER_USE).
    expect(metric({ engagementEvents: [event(61)] }, 'usage_trend')).toBe(0);
    expect(metric({ engagementEvents: [] }, 'usage_trend')).toBeNull();
  });

  it('counts users added', () => {
    expect(
      metric({ engagementEvents: [event(1, 'user_added'), event(2, 'user_added'), event(3), event(40, 'user_added')] }, 'users_added'),
    ).toBe(2);
  });

  it('derives payment health and late payments from the payments in the window', () => {
    const activity: ActivityLog = {
      engagementEvents: [],
      payments: [
        { occurredAt: daysBefore(5), status: 'PAID' },
        { occurredAt: daysBefore(10), status: 'FAILED' },
        { occurredAt: daysBefore(20), status: 'REFUNDED' },
        { occurredAt: daysBefore(40), status: 'FAILED' },
      ],
    };
    expect(metric(activity, 'payment_success_rate')).toBeCloseTo(2 / 3);
    expect(metric(activity, 'late_payments')).toBe(1);
    expect(metric(activity, 'late_payments', 90)).toBe(2);
    expect(metric({ engagementEvents: [] }, 'payment_success_rate')).toBeNull();
    expect(metric({ engagementEvents: [] }, 'late_payments')).toBe(0);
  });

  it('derives CSAT, ticket counts and open tickets as of the scoring time', () => {
    const activity: ActivityLog = {
      engagementEvents: [],
      tickets: [
        { openedAt: daysBefore(3), status: 'OPEN', csatRating: null },
        { openedAt: daysBefore(5), status: 'SOLVED', resolvedAt: daysBefore(4), csatRating: 2 },
        { openedAt: daysBefore(8), status: 'PENDING', resolvedAt: daysBefore(-1), csatRating: 4 },
        { openedAt: daysBefore(50), status: 'OPEN', csatRating: 1 },
        { openedAt: daysBefore(-1), status: 'OPEN' },
      ],
    };
    expect(metric(activity, 'csat_mean')).toBe(3);
    expect(metric(activity, 'ticket_count')).toBe(3);
    // OPEN/PENDING, opened by asOf, not resolved by asOf — regardless of age.
    expect(metric(activity, 'open_tickets')).toBe(3);
    expect(metric({ engagementEvents: [] }, 'csat_mean')).toBeNull();
  });

  it('computes account NPS as % promoters − % detractors', () => {
    const responses = [10, 9, 9, 8, 7, 6, 0, 3].map((score, i) => ({ respondedAt: daysBefore(i + 1), score }));
    expect(metric({ engagementEvents: [], npsResponses: responses }, 'nps')).toBeCloseTo((100 * (3 - 3)) / 8);
    const promoters = [
      { respondedAt: daysBefore(1), score: 10 },
      { respondedAt: daysBefore(2), score: 8 },
    ];
    expect(metric({ engagementEvents: [], npsResponses: promoters }, 'nps')).toBe(50);
    expect(metric({ engagementEvents: [] }, 'nps')).toBeNull();
  });
});

describe("metrics relative to the account's own history (the reference)", () => {
  const relative = (activity: ActivityLog, kind: MetricKind, windowDays: number, baselineDays: number) =>
    metricsFromActivity(activity, [{ metric: kind, windowDays, baselineDays, key: 'value' }], asOf).value;
  const daily = (days: number[], users: (day: number) => string[], feature = (day: number) => `f${day % 4}`): ActivityLog => ({
    engagementEvents: days.flatMap((d) =>
      users(d).map((userId, i) => ({
        occurredAt: new Date(daysBefore(d).getTime() - i * 60_000),
        eventType: 'feature_used',
        feature: feature(d),
        userId,
      })),
    ),
  });
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('rates recent active days against the baseline that contains them, and has no value without a baseline', () => {
    // In use since day 75, before the baseline.
    const halfRecently = daily([...range(0, 20).filter((d) => d % 2 === 0), ...range(21, 59), 75], () => ['u1']);
    // 11 active days in the last 21; 50 in the last 60.
    expect(relative(halfRecently, 'active_days_trend', 21, 60)).toBeCloseTo(11 / 21 / (50 / 60), 10);
    expect(relative({ engagementEvents: [] }, 'active_days_trend', 21, 60)).toBeNull();
  });

  it('measures a young account against the days it has been in use, not against days before it began', () => {
    // Daily for the last 30 days: its usual level is daily, though the 60-day baseline holds 30 active days.
    const month = daily(range(0, 29), () => ['u1']);
    expect(relative(month, 'active_days_trend', 21, 60)).toBeCloseTo(1, 1);
    // Its first weeks are no usual level to measure a decline against: no `_vs_prior` value before
    // it has been in use for the whole baseline.
    const halved = daily([...range(0, 20).filter((d) => d % 2 === 0), ...range(21, 44)], () => ['u1']);
    expect(relative(halved, 'active_days_vs_prior', 21, 60)).toBeNull();
    expect(relative(halved, 'events_per_active_day_vs_prior', 21, 60)).toBeNull();
    const older = daily([...range(0, 20).filter((d) => d % 2 === 0), ...range(21, 61)], () => ['u1']);
    expect(relative(older, 'active_days_vs_prior', 21, 60)).toBeCloseTo(11 / 21, 1);
    expect(relative(older, 'events_per_active_day_vs_prior', 21, 60)).toBe(1);
    // Silent for 3 days after 30 daily ones: 3 of its usual one-day gaps, not 3 of two-day ones.
    const silent = daily(range(3, 32), () => ['u1']);
    expect(relative(silent, 'active_days_trend', 21, 60)).toBeLessThan(1);
    expect(metricsFromActivity(silent, [{ metric: 'silence_vs_cadence', windowDays: 60, key: 'value' }], asOf).value).toBeCloseTo(3, 0);
  });

  it('sees a champion leaving: the share of the usual users still seen, while active days hold', () => {
    const championLeft = daily([...range(0, 59), 75], (d) => (d < 14 ? ['u1'] : ['u1', 'u2', 'u3', 'u4']));
    expect(relative(championLeft, 'active_users_trend', 14, 60)).toBe(1 / 4);
    expect(relative(championLeft, 'active_days_trend', 14, 60)).toBe(1);
  });

  it('reads the users seen lately against those a fortnight usually sees: a large team of occasional users is not a team that shrank', () => {
    // 42 users, each coming every 21st day, two a day: 28 of them in any fortnight, as usual.
    const occasional = daily(range(0, 70), (d) => [`u${(2 * d) % 42}`, `u${(2 * d + 1) % 42}`]);
    expect(relative(occasional, 'active_users_trend', 14, 60)).toBeCloseTo(2 / 3, 6);
    expect(relative(occasional, 'active_users_vs_usual', 14, 60)).toBeGreaterThan(1);
    // A daily team whose three other users left two weeks ago reads as the plain share: a quarter.
    const championLeft = daily([...range(0, 59), 75], (d) => (d < 14 ? ['u1'] : ['u1', 'u2', 'u3', 'u4']));
    expect(relative(championLeft, 'active_users_vs_usual', 14, 60)).toBeCloseTo(1 / 4, 4);
    // Half the occasional team gone this fortnight: well below what the fortnights usually see.
    const halfGone = daily(range(0, 70), (d) => [`u${(2 * d) % 42}`, `u${(2 * d + 1) % 42}`].filter((u, i) => d >= 14 || i === 0));
    expect(relative(halfGone, 'active_users_vs_usual', 14, 60)).toBeLessThan(0.6 * relative(occasional, 'active_users_vs_usual', 14, 60)!);
    // Nobody lately: none of the usual users seen. No user named in the baseline: no value.
    expect(
      relative(
        daily(range(15, 59), () => ['u1', 'u2']),
        'active_users_vs_usual',
        14,
        60,
      ),
    ).toBe(0);
    expect(
      relative(
        daily(range(0, 59), () => []),
        'active_users_vs_usual',
        14,
        60,
      ),
    ).toBeNull();
  });

  it('reads the users and features seen lately against the thinnest earlier fortnight: a rhythm of a few weeks is not a team that shrank', () => {
    // Two regulars daily, and ten more in one week of every four (the last one 20–26 days back).
    const heavyWeek = daily(range(0, 70), (d) => [...['r1', 'r2'], ...((d + 8) % 28 < 7 ? range(1, 10).map((n) => `t${n}`) : [])]);
    expect(relative(heavyWeek, 'active_users_vs_usual', 14, 60)).toBeLessThan(0.5);
    expect(relative(heavyWeek, 'active_users_vs_leanest', 14, 60)).toBe(1);
    // Four at a time, each for 35 days, then a new name: the same team size throughout.
    const rotating = daily(range(0, 70), (d) => range(0, 3).map((k) => `p${k}_${Math.floor((d + k * 9) / 35)}`));
    expect(relative(rotating, 'active_users_vs_leanest', 14, 60)).toBe(1);
    // Three of four gone two weeks ago: a quarter of every earlier fortnight's four.
    const championLeft = daily([...range(0, 59), 75], (d) => (d < 14 ? ['u1'] : ['u1', 'u2', 'u3', 'u4']));
    expect(relative(championLeft, 'active_users_vs_leanest', 14, 60)).toBe(1 / 4);
    // Features: a core one plus one group of three, the group changing every 20 days; then one feature only.
    const phases = (d: number) => [`core`, ...range(0, 2).map((k) => `g${Math.floor(d / 20)}_${k}`)];
    const event = (d: number) => ({ occurredAt: daysBefore(d), eventType: 'feature_used', userId: 'u1' });
    const byPhase = { engagementEvents: range(0, 70).flatMap((d) => phases(d).map((feature) => ({ ...event(d), feature }))) };
    expect(relative(byPhase, 'feature_breadth_trend', 14, 60)).toBeLessThan(0.5);
    expect(relative(byPhase, 'feature_breadth_vs_leanest', 14, 60)).toBe(1);
    const narrowed = {
      engagementEvents: range(0, 70).flatMap((d) => (d < 14 ? ['core'] : phases(d)).map((feature) => ({ ...event(d), feature }))),
    };
    expect(relative(narrowed, 'feature_breadth_vs_leanest', 14, 60)).toBe(1 / 4);
    // No earlier fortnight within the days it has been in use: no value (nothing to compare with).
    expect(
      relative(
        daily(range(0, 25), () => ['u1']),
        'active_users_vs_leanest',
        14,
        60,
      ),
    ).toBeNull();
    // An earlier fortnight with nobody (a holiday) is no team size: the thinnest of the others counts.
    const holiday = daily([...range(0, 13).filter((d) => d % 2 === 0), ...range(35, 70)], (d) => (d < 14 ? ['u1'] : ['u1', 'u2']));
    expect(relative(holiday, 'active_users_vs_leanest', 14, 60)).toBe(1 / 2);
  });

  it('sees none of the usual team or features when nobody came lately, as when someone came who names none of them', () => {
    // A silence lifts no red flag raised before it (session 55; the default model's team and feature
    // signals are not measured after a week without use, so the silence costs the silence signals alone).
    const silentForTwoWeeks = daily(range(15, 59), () => ['u1', 'u2', 'u3']);
    expect(relative(silentForTwoWeeks, 'active_users_trend', 14, 60)).toBe(0);
    expect(relative(silentForTwoWeeks, 'feature_breadth_trend', 14, 60)).toBe(0);
    // Nothing before the window either: no usual team or features, no value.
    expect(
      relative(
        daily([], () => ['u1']),
        'active_users_trend',
        14,
        60,
      ),
    ).toBeNull();
    const anonymousVisit = { engagementEvents: [...silentForTwoWeeks.engagementEvents, { occurredAt: daysBefore(2), eventType: 'login' }] };
    expect(relative(anonymousVisit, 'active_users_trend', 14, 60)).toBe(0);
    expect(relative(anonymousVisit, 'feature_breadth_trend', 14, 60)).toBe(0);
  });

  it("measures silence in the account's usual gaps: a weekend of a weekday account, four days of a daily one", () => {
    const weekdays = daily(
      range(3, 62).filter((d) => ![0, 1].includes(d % 7)),
      () => ['u1'],
    );
    const activeDays = range(3, 62).filter((d) => ![0, 1].includes(d % 7) && d < 60).length;
    const weekend = metric(weekdays, 'silence_vs_cadence', 60)!;
    // The usual gap is the window's days before the silence over their active days.
    expect(weekend).toBeCloseTo(3 / ((60 - 3) / activeDays), 6);
    const dailySilent = daily(range(4, 70), () => ['u1']);
    expect(metric(dailySilent, 'silence_vs_cadence', 60)).toBeCloseTo(4, 6);
    // Forty days of a daily account are forty usual gaps, not the 13 of a gap stretched by the silence itself.
    const longSilent = daily(range(40, 100), () => ['u1']);
    expect(metric(longSilent, 'silence_vs_cadence', 60)).toBeCloseTo(40, 6);
    expect(metric({ engagementEvents: [] }, 'silence_vs_cadence', 60)).toBeNull();
  });

  // Visits of `length` consecutive days, the last one ending `silence` days back, every 25 to 31 days.
  const visits = (length: number, silence: number) => {
    const days: number[] = [];
    for (let first = silence + length - 1, k = 0; first < 250; first += [28, 25, 31, 27][k++ % 4])
      days.push(...range(first - length + 1, first));
    return daily(days, () => ['u1']);
  };

  it.each([
    ['a day', 1],
    ['two days in a row', 2],
    ['three days in a row', 3],
  ])('measures the silence of an account that comes once a month for %s in its months, not in its days', (_label, length) => {
    const gaps = (silence: number) => metric(visits(length, silence), 'silence_vs_cadence', 60)!;
    // A month after its last visit: one usual gap. Three weeks: less than one, not two or three of a few days each.
    expect(gaps(30)).toBeCloseTo(1, 0);
    expect(gaps(21)).toBeLessThan(1);
    // Three months: three usual gaps (the silence alert's), as for an account used on single days.
    expect(gaps(90)).toBeCloseTo(3, 0);
  });

  it('keeps daily, weekday, twice-a-week and holiday rhythms in days: the window before the silence over its active days', () => {
    // Calendars as the days of use, in days back (each at asOf's hour); the window's usual gap, as ever.
    const silenceIn = (days: number[]) =>
      metric(
        daily(days, () => ['u1']),
        'silence_vs_cadence',
        60,
      );
    const overWindow = (days: number[]) => {
      const silence = Math.min(...days);
      const active = days.filter((d) => d < 60).length;
      return silence / ((60 - silence) / active);
    };
    const calendars: Record<string, number[]> = {
      daily: range(5, 300),
      weekdays: range(3, 300).filter((d) => (d - 3) % 7 < 5),
      'two days in a row each week': range(9, 300).filter((d) => (d - 9) % 7 < 2),
      'two days apart each week': range(9, 300).filter((d) => [0, 3].includes((d - 9) % 7)),
      'daily with a fortnight off': range(4, 300).filter((d) => d < 20 || d > 33),
      // Silent for seven weeks: fourteen of its usual gaps and more, not seven of weeks between visits.
      'two days in a row each week, then silent': range(49, 300).filter((d) => (d - 49) % 7 < 2),
    };
    for (const [name, days] of Object.entries(calendars))
      expect([name, silenceIn(days)]).toEqual([name, expect.closeTo(overWindow(days), 6)]);
    expect(overWindow(calendars['two days in a row each week, then silent'])).toBeGreaterThan(14);
  });

  it('counts the failed payments since the last success and the invoices past due and unpaid', () => {
    const due = (days: number) => daysBefore(days);
    const payments: NonNullable<ActivityLog['payments']> = [
      { occurredAt: due(70), dueAt: due(70), status: 'PAID' },
      { occurredAt: due(40), dueAt: due(40), status: 'FAILED' },
      { occurredAt: due(37), dueAt: due(40), status: 'PAID', paidAt: due(37) },
      { occurredAt: due(10), dueAt: due(10), status: 'FAILED' },
      { occurredAt: due(7), dueAt: due(10), status: 'FAILED' },
    ];
    expect(metric({ engagementEvents: [], payments }, 'payment_failure_streak', 90)).toBe(2);
    expect(metric({ engagementEvents: [], payments }, 'unpaid_past_due', 60)).toBe(1);
  });

  it('counts retries of one invoice once, and an invoice unpaid only two weeks past its due date', () => {
    const due = (days: number) => daysBefore(days);
    // One invoice due 6 days back, failed and retried twice; a payment without a due date before it.
    const payments: NonNullable<ActivityLog['payments']> = [
      { occurredAt: due(70), dueAt: due(70), status: 'PAID' },
      { occurredAt: due(20), dueAt: null, status: 'FAILED' },
      { occurredAt: due(6), dueAt: due(6), status: 'FAILED' },
      { occurredAt: due(4), dueAt: due(6), status: 'FAILED' },
      { occurredAt: due(2), dueAt: due(6), status: 'FAILED' },
    ];
    const log = { engagementEvents: [], payments };
    expect(metric(log, 'payment_failure_streak', 90)).toBe(4);
    expect(metric(log, 'failed_invoice_streak', 90)).toBe(2);
    expect(metric(log, 'unpaid_past_due', 60)).toBe(1);
    expect(metric(log, 'unpaid_past_grace', 60)).toBe(0);
    // Seven days later it is 13 days past due, within the dunning's two weeks; a day after that, past them.
    const daysLater = (days: number, kind: MetricKind) =>
      metricsFromActivity(log, [{ metric: kind, windowDays: 60, key: 'k' }], new Date(asOf.getTime() + days * DAY_MS)).k;
    expect(daysLater(7, 'unpaid_past_grace')).toBe(0);
    expect(daysLater(8, 'unpaid_past_grace')).toBe(1);
    // Paid after its retries: nothing failed since, nothing unpaid.
    const paid = { engagementEvents: [], payments: [...payments, { occurredAt: due(1), dueAt: due(6), status: 'PAID' as const }] };
    expect(metric(paid, 'failed_invoice_streak', 90)).toBe(0);
    expect(metric(paid, 'unpaid_past_due', 60)).toBe(0);
  });

  it('measures contraction from the plan history, and urgent tickets open on the day asked', () => {
    const planChanges = [
      { changedAt: daysBefore(200), arrCents: 1_000_000, seats: 20 },
      { changedAt: daysBefore(20), arrCents: 1_000_000, seats: 8 },
    ];
    expect(metric({ engagementEvents: [], planChanges }, 'contraction', 90)).toBeCloseTo(0.6, 10);
    expect(metric({ engagementEvents: [], planChanges }, 'contraction', 10)).toBe(0);
    const tickets: NonNullable<ActivityLog['tickets']> = [
      {
        openedAt: daysBefore(5),
        status: 'SOLVED',
        severity: 'URGENT',
        statusChanges: [
          { status: 'OPEN', changedAt: daysBefore(5) },
          { status: 'SOLVED', changedAt: daysBefore(1) },
        ],
      },
    ];
    expect(metric({ engagementEvents: [], tickets }, 'urgent_open_tickets')).toBe(0);
    expect(
      metricsFromActivity({ engagementEvents: [], tickets }, [{ metric: 'urgent_open_tickets', windowDays: 30, key: 'v' }], daysBefore(2))
        .v,
    ).toBe(1);
  });

  it('counts an urgent ticket once it has been open throughout the window: its severity as of then, a reopening starts its wait again', () => {
    const open = (changes: Array<['OPEN' | 'PENDING' | 'SOLVED', number]>) =>
      changes.map(([status, d]) => ({ status, changedAt: daysBefore(d) }));
    const tickets: NonNullable<ActivityLog['tickets']> = [
      // Open for three days, waiting on the customer since yesterday: open throughout the last day and two.
      {
        openedAt: daysBefore(3),
        status: 'PENDING',
        severity: 'URGENT',
        statusChanges: open([
          ['OPEN', 3],
          ['PENDING', 1],
        ]),
      },
      // Opened 20 hours ago: not yet a day.
      { openedAt: daysBefore(20 / 24), status: 'OPEN', severity: 'HIGH', statusChanges: open([['OPEN', 20 / 24]]) },
      // Solved four days ago, reopened 12 hours ago: its wait started again then.
      {
        openedAt: daysBefore(6),
        status: 'OPEN',
        severity: 'URGENT',
        statusChanges: open([
          ['OPEN', 6],
          ['SOLVED', 4],
          ['OPEN', 0.5],
        ]),
      },
      // NORMAL until 6 hours ago, open for five days: HIGH now, and has waited long enough.
      {
        openedAt: daysBefore(5),
        status: 'OPEN',
        severity: 'HIGH',
        statusChanges: open([['OPEN', 5]]),
        earlierStates: [{ severity: 'NORMAL', csatRating: null, endedAt: daysBefore(0.25) }],
      },
      // URGENT until yesterday, NORMAL since: not urgent now.
      {
        openedAt: daysBefore(5),
        status: 'OPEN',
        severity: 'NORMAL',
        statusChanges: open([['OPEN', 5]]),
        earlierStates: [{ severity: 'URGENT', csatRating: null, endedAt: daysBefore(1) }],
      },
      // Without a status history: open from its opening until its resolution, in 2 hours' time.
      { openedAt: daysBefore(2), resolvedAt: new Date(asOf.getTime() + 2 * 3_600_000), status: 'SOLVED', severity: 'URGENT' },
    ];
    expect(metric({ engagementEvents: [], tickets }, 'urgent_open_tickets')).toBe(5);
    expect(metric({ engagementEvents: [], tickets }, 'urgent_tickets_open_throughout', 1)).toBe(3);
    expect(metric({ engagementEvents: [], tickets }, 'urgent_tickets_open_throughout', 3)).toBe(2);
    // A day earlier: the first and the last were open throughout their last day; the HIGH one was NORMAL then.
    const dayEarlier = metricsFromActivity(
      { engagementEvents: [], tickets },
      [{ metric: 'urgent_tickets_open_throughout', windowDays: 1, key: 'v' }],
      daysBefore(1),
    );
    expect(dayEarlier.v).toBe(2);
  });

  it('counts the tickets opened in the window that are rated, each with its rating as of then', () => {
    const tickets: NonNullable<ActivityLog['tickets']> = [
      { openedAt: daysBefore(10), status: 'SOLVED', csatRating: 2 },
      { openedAt: daysBefore(5), status: 'SOLVED', csatRating: null },
      // Rated 4 only since yesterday: unrated before.
      {
        openedAt: daysBefore(3),
        status: 'SOLVED',
        csatRating: 4,
        earlierStates: [{ severity: 'NORMAL', csatRating: null, endedAt: daysBefore(1) }],
      },
      { openedAt: daysBefore(40), status: 'SOLVED', csatRating: 1 },
    ];
    expect(metric({ engagementEvents: [], tickets }, 'rated_tickets')).toBe(2);
    expect(
      metricsFromActivity({ engagementEvents: [], tickets }, [{ metric: 'rated_tickets', windowDays: 30, key: 'v' }], daysBefore(2)).v,
    ).toBe(1);
    expect(metric({ engagementEvents: [] }, 'rated_tickets')).toBe(0);
  });

  it('counts the NPS answers of 0–4 in the window', () => {
    const npsResponses = [0, 4, 5, 6, 9, 3].map((score, i) => ({ respondedAt: daysBefore(i * 10 + 1), score }));
    expect(metric({ engagementEvents: [], npsResponses }, 'nps_angry_answers', 90)).toBe(3);
    expect(metric({ engagementEvents: [], npsResponses }, 'nps_angry_answers', 30)).toBe(2);
    expect(metric({ engagementEvents: [] }, 'nps_angry_answers', 90)).toBe(0);
  });

  it('has no seat utilisation for an account whose events name no user (an integration): nobody to count is not no seat used', () => {
    const humans = { ...daily(range(0, 59), () => ['u1', 'u2', 'u3']), seats: 10 };
    expect(metric(humans, 'seat_utilisation')).toBeCloseTo(0.3, 10);
    const integration = { engagementEvents: humans.engagementEvents.map((e) => ({ ...e, userId: null })), seats: 10 };
    expect(metric(integration, 'seat_utilisation')).toBeNull();
    // Nobody came at all in the window: none of its seats used.
    expect(metric({ ...daily(range(40, 59), () => ['u1']), seats: 10 }, 'seat_utilisation')).toBe(0);
  });

  it('reads a surge of tickets against the days the account has been known, not against days before it began', () => {
    const ticketsOn = (days: number[]): NonNullable<ActivityLog['tickets']> =>
      days.map((d) => ({ openedAt: daysBefore(d), resolvedAt: daysBefore(d - 0.1), status: 'SOLVED' }));
    // A ticket a day since it started 30 days ago (in use since then too): its usual rate, no surge.
    const young = { ...daily(range(0, 29), () => ['u1']), tickets: ticketsOn(range(0, 29)) };
    expect(relative(young, 'ticket_volume_trend', 14, 90)).toBe(0);
    // Its tickets began before its use: counted from the first ticket, as the earlier of the two.
    const ticketsFirst = { ...daily(range(0, 9), () => ['u1']), tickets: ticketsOn(range(0, 29)) };
    expect(relative(ticketsFirst, 'ticket_volume_trend', 14, 90)).toBe(0);
    // Younger than the window: no days before it to read a usual rate from, so no surge either.
    const firstWeek = { ...daily(range(0, 6), () => ['u1']), tickets: ticketsOn(range(0, 6)) };
    expect(relative(firstWeek, 'ticket_volume_trend', 14, 90)).toBe(0);
    // In use for a year, its first tickets ever in the last fortnight: all of them beyond its rate.
    const longStanding = { ...daily(range(0, 364), () => ['u1']), tickets: ticketsOn(range(0, 3)) };
    expect(relative(longStanding, 'ticket_volume_trend', 14, 90)).toBeCloseTo(4 - (4 * 14) / 90, 10);
    expect(relative({ engagementEvents: [] }, 'ticket_volume_trend', 14, 90)).toBe(0);
  });

  describe('NPS answers weighted by recency: a promoter 60 days old, then a detractor (a 2) half a day old', () => {
    const npsResponses = [
      { respondedAt: daysBefore(60), score: 10 },
      { respondedAt: daysBefore(0.5), score: 2 },
    ];
    // Each answer's weight halves every 30 days of age.
    const old = 0.5 ** (60 / 30);
    const fresh = 0.5 ** (0.5 / 30);

    it('nps_weighted: the recent detractor outweighs the older promoter', () => {
      const weighted = metric({ engagementEvents: [], npsResponses }, 'nps_weighted', 180)!;
      expect(weighted).toBeCloseTo((100 * old - 100 * fresh) / (old + fresh), 8);
      expect(weighted).toBeLessThan(-50);
    });

    it('nps_mean_score: the scores themselves, about 3.6', () => {
      const mean = metric({ engagementEvents: [], npsResponses }, 'nps_mean_score', 180)!;
      expect(mean).toBeCloseTo((10 * old + 2 * fresh) / (old + fresh), 8);
      expect(mean).toBeCloseTo(3.6, 1);
    });
  });

  it('a lone answer is its own value exactly, at any age: a detractor -100 and a 3 a 3, not -99.999… or 2.999…', () => {
    // At these ages the weight w makes w·v/w differ from v in the last bit.
    expect(metric({ engagementEvents: [], npsResponses: [{ respondedAt: daysBefore(15 / 24), score: 0 }] }, 'nps_weighted', 180)).toBe(
      -100,
    );
    expect(metric({ engagementEvents: [], npsResponses: [{ respondedAt: daysBefore(9 / 24), score: 3 }] }, 'nps_mean_score', 180)).toBe(3);
  });

  it('nps_mean_score tells a lukewarm survey from an angry one, and is null without answers', () => {
    // Two answers of the same survey, a 3 and a 9: a lukewarm 6, no angry account.
    const survey = [
      { respondedAt: daysBefore(2), score: 3 },
      { respondedAt: daysBefore(2), score: 9 },
    ];
    expect(metric({ engagementEvents: [], npsResponses: survey }, 'nps_mean_score', 180)).toBeCloseTo(6, 10);
    // A 1 and a 3: angry, 2 (both NPS detractors, as a 6 would be).
    const angry = survey.map((answer, i) => ({ ...answer, score: [1, 3][i] }));
    expect(metric({ engagementEvents: [], npsResponses: angry }, 'nps_mean_score', 180)).toBeCloseTo(2, 10);
    expect(metric({ engagementEvents: [], npsResponses: [] }, 'nps_mean_score', 180)).toBeNull();
  });
});
