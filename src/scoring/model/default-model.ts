// The default scoring model (signals from the seeds, weights tuned so silence is caught within a
// week while a weekday-only rhythm is left alone) and the tier presets for the seeds' other schemes.
import { sameTiers } from './tiers';
import { foldedKey, narrowestBand } from './validate-model';
import { TEAM_RHYTHM_DAYS, TEAM_RHYTHM_MAX_WINDOW_DAYS } from './types';
import type { PlaybookAction, PlaybookConfig, ScoringModelConfig, TierBand } from './types';

/** Freezes shared defaults so a caller mutating "its" model fails loudly instead of changing everyone's. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value as Record<string, unknown>)) deepFreeze(nested);
  }
  return value;
}

export type TierPresetName = 'four_tier' | 'three_tier' | 'five_band_thriving' | 'five_band_stable';

/**
 * Tier schemes. `four_tier` is the default (seed 003); the others reproduce the seeds' schemes:
 * - `three_tier` (seeds 000/001 name the tiers, not the bounds; 70 matches the default's healthy
 *   line and 40 splits the rest so critical means "most signals are bad"),
 * - `five_band_thriving` (seed 004, bounds as published: 90/70/50/30),
 * - `five_band_stable` (seed 002, bounds as published: 80/60/40/20).
 */
export const TIER_PRESETS: Record<TierPresetName, TierBand[]> = deepFreeze({
  four_tier: [
    { key: 'healthy', label: 'Healthy', lowerBound: 70, severity: 0 },
    { key: 'monitor', label: 'Monitor', lowerBound: 50, severity: 1 },
    { key: 'at_risk', label: 'At risk', lowerBound: 30, severity: 2 },
    { key: 'critical', label: 'Critical', lowerBound: 0, severity: 3 },
  ],
  three_tier: [
    { key: 'healthy', label: 'Healthy', lowerBound: 70, severity: 0 },
    { key: 'at_risk', label: 'At risk', lowerBound: 40, severity: 1 },
    { key: 'critical', label: 'Critical', lowerBound: 0, severity: 2 },
  ],
  five_band_thriving: [
    { key: 'thriving', label: 'Thriving', lowerBound: 90, severity: 0 },
    { key: 'healthy', label: 'Healthy', lowerBound: 70, severity: 1 },
    { key: 'at_risk', label: 'At risk', lowerBound: 50, severity: 2 },
    { key: 'churning', label: 'Churning', lowerBound: 30, severity: 3 },
    { key: 'critical', label: 'Critical', lowerBound: 0, severity: 4 },
  ],
  five_band_stable: [
    { key: 'healthy', label: 'Healthy', lowerBound: 80, severity: 0 },
    { key: 'stable', label: 'Stable', lowerBound: 60, severity: 1 },
    { key: 'watch', label: 'Watch', lowerBound: 40, severity: 2 },
    { key: 'at_risk', label: 'At risk', lowerBound: 20, severity: 3 },
    { key: 'critical', label: 'Critical', lowerBound: 0, severity: 4 },
  ],
});

// Playbook actions by the severity they are meant for. They are attached to tier keys by rank from
// the worst band, so every preset gets the same escalation ladder (see defaultPlaybooksFor).
const CRITICAL_ACTIONS: PlaybookAction[] = [
  {
    action: 'csm_alert',
    audience: 'TEAM',
    channel: 'SLACK',
    template: '{{customerName}} {{change}}: score {{score}} (was {{previousScore}}). Call them today.',
  },
  {
    action: 'escalation_flag',
    audience: 'TEAM',
    channel: 'CRM_TASK',
    template: 'High-value account {{customerName}} is {{tier}} ({{score}}): priority handling.',
    escalation: true,
  },
  {
    action: 'executive_outreach',
    audience: 'TEAM',
    channel: 'CRM_TASK',
    template: 'Executive sponsor to contact {{customerName}} ({{tier}}, score {{score}}).',
    escalation: true,
  },
  {
    action: 'check_in_email',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    template: 'Hi {{customerName}}, we would like to make sure you get what you need from us. Can we talk this week?',
  },
  {
    action: 'offer',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    template: 'Hi {{customerName}}, we would like to offer you a free working session with our team and a plan review.',
  },
];

const AT_RISK_ACTIONS: PlaybookAction[] = [
  {
    action: 'csm_alert',
    audience: 'TEAM',
    channel: 'SLACK',
    template: '{{customerName}} {{change}}: score {{score}} (was {{previousScore}}).',
  },
  {
    action: 'escalation_flag',
    audience: 'TEAM',
    channel: 'CRM_TASK',
    template: 'High-value account {{customerName}} is {{tier}} ({{score}}): priority handling.',
    escalation: true,
  },
  {
    action: 'check_in_email',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    template: 'Hi {{customerName}}, we want to make sure you are getting what you need from us. Is there anything we can help with?',
  },
  {
    action: 'offer',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    template: 'Hi {{customerName}}, would a free training session for your team help?',
  },
];

const MONITOR_ACTIONS: PlaybookAction[] = [
  {
    action: 'check_in_email',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    template: 'Hi {{customerName}}, how is it going? Reply to this email if anything is in your way.',
  },
  {
    action: 'success_resources',
    audience: 'CUSTOMER',
    channel: 'IN_APP',
    template: 'Tips and guides picked for {{customerName}} to get more out of the product.',
  },
];

const SILENCE_PLAYBOOK: PlaybookConfig = {
  key: 'silence',
  kind: 'silence',
  actions: [
    {
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      template: '{{customerName}} has had no activity for {{daysSinceLastActivity}} days ({{tier}}, score {{score}}).',
    },
    {
      action: 'escalation_flag',
      audience: 'TEAM',
      channel: 'CRM_TASK',
      template: 'High-value account {{customerName}} silent for {{daysSinceLastActivity}} days: priority handling.',
      escalation: true,
    },
  ],
};

const EXPANSION_PLAYBOOK: PlaybookConfig = {
  key: 'expansion',
  kind: 'expansion',
  // Seed 004's "thriving" line; advocates qualify regardless of score band.
  minScore: 90,
  // Expansion asks are welcome once a month, not weekly.
  cooldownDays: 30,
  actions: [
    {
      action: 'expansion_opportunity',
      audience: 'TEAM',
      channel: 'CRM_TASK',
      template: '{{customerName}} is a power user (score {{score}}): talk about expansion.',
    },
    {
      action: 'referral_request',
      audience: 'CUSTOMER',
      channel: 'EMAIL',
      template: "Hi {{customerName}}, you're getting a lot out of the product. Would you share your story or refer a peer?",
    },
    {
      action: 'early_access_offer',
      audience: 'CUSTOMER',
      channel: 'IN_APP',
      template: 'Early access to our beta features is open for {{customerName}}.',
    },
  ],
};

/**
 * Default playbooks for a band scheme: the worst band gets the critical playbook, the second worst
 * the at-risk one, the third worst (if it is not the best band) the monitor check-in; the best band
 * gets none (expansion is separate). Plus the silence and expansion playbooks.
 */
export function defaultPlaybooksFor(bands: readonly TierBand[]): PlaybookConfig[] {
  const worstFirst = [...bands].sort((a, b) => b.severity - a.severity);
  const ladder = [CRITICAL_ACTIONS, AT_RISK_ACTIONS, MONITOR_ACTIONS];
  const tierPlaybooks: PlaybookConfig[] = ladder
    .slice(0, Math.max(0, worstFirst.length - 1))
    // Keyed by the tier it serves: that is what the outreach log shows and what the cooldown counts.
    .map((actions, rank) => ({ key: worstFirst[rank].key, kind: 'tier', tierKey: worstFirst[rank].key, actions }));
  return [...tierPlaybooks, SILENCE_PLAYBOOK, EXPANSION_PLAYBOOK];
}

/** What both default models share: tiers with hysteresis, trend, score drops and the playbooks. */
const OUTREACH_AND_TIERS = {
  tiers: TIER_PRESETS.four_tier,
  hysteresis: 2,
  trend: { windowDays: 7, threshold: 5 },
  scoreDrop: { points: 15, withinDays: 14 },
  playbooks: defaultPlaybooksFor(TIER_PRESETS.four_tier),
  cooldownDays: 7,
  // $50,000 ARR.
  escalationArrCents: 5_000_000,
  // 6, not 7: with daily scoring at any hour the first run after 6 full days of silence falls
  // before day 7 ends, which keeps the promise of a team alert within 7 days of the last activity.
  silenceAlertDays: 6,
} satisfies Partial<ScoringModelConfig>;

/**
 * The first default model (November 2026): fixed targets made for a daily user (20 active days a
 * month, 10 features, 3 days of recency). Kept so a backtest can compare it with the current
 * default (`backtest(input: { model: { config } })`, `npm run backtest -- --compare-classic`).
 */
export const CLASSIC_SCORING_MODEL: ScoringModelConfig = deepFreeze({
  components: [
    {
      name: 'engagement',
      signals: [
        {
          name: 'login_frequency',
          metric: 'active_days',
          windowDays: 30,
          normaliser: { kind: 'target', target: 20 },
          weight: 20,
          // A count: no events means 0 active days, which is a real observation.
          missing: { policy: 'neutral', value: 0 },
        },
        {
          name: 'feature_adoption',
          metric: 'distinct_features',
          windowDays: 30,
          normaliser: { kind: 'target', target: 10 },
          weight: 15,
          missing: { policy: 'neutral', value: 0 },
        },
        {
          name: 'last_activity_recency',
          metric: 'days_since_last_activity',
          // The silence is read however long it is (to the 180-day lookback, or the window where it is
          // longer); past 7 days this signal reads 0 whatever the window, so a window shorter than the
          // lookback changes nothing, neither the value nor what the SQL scans for it.
          windowDays: 90,
          // A weekend (≤ 3 days, Friday evening to Monday morning is 2.7) costs nothing; a week of
          // silence costs all of it. This is the signal that catches a silent account within 7 days:
          // the 30-day signals barely move in a week. It carries the largest weight for that reason.
          normaliser: { kind: 'recency', fullDays: 3, zeroDays: 7 },
          weight: 25,
          missing: { policy: 'neutral', value: 0 },
        },
        {
          name: 'usage_trend',
          metric: 'usage_trend',
          windowDays: 30,
          // Steady or growing usage (ratio ≥ 1) is full marks, half the previous usage is 0.5. A steeper
          // ramp made accounts back from a holiday bounce between tiers as the windows slid over weekends.
          normaliser: { kind: 'ratio' },
          weight: 10,
          // Never used: the trend is undefined, the other engagement signals already say 0. Silent for
          // both windows after use: none of the usual use (READ_AS_NONE_AFTER_USE), 0.
          missing: { policy: 'exclude' },
        },
        {
          name: 'team_growth',
          metric: 'users_added',
          windowDays: 30,
          normaliser: { kind: 'target', target: 3 },
          weight: 5,
          missing: { policy: 'neutral', value: 0 },
        },
      ],
    },
    {
      name: 'payments',
      signals: [
        {
          name: 'payment_health',
          metric: 'payment_success_rate',
          windowDays: 90,
          normaliser: { kind: 'ratio' },
          weight: 10,
          // Annual plans and trials have no payments for months; absence is not a bad sign.
          missing: { policy: 'exclude' },
        },
      ],
    },
    {
      name: 'support',
      signals: [
        {
          name: 'support_sentiment',
          metric: 'csat_mean',
          windowDays: 90,
          normaliser: { kind: 'target', target: 5 },
          weight: 6,
          missing: { policy: 'exclude' },
        },
        {
          name: 'open_ticket_load',
          metric: 'open_tickets',
          windowDays: 90,
          normaliser: { kind: 'inverse_target', max: 5 },
          weight: 3,
          missing: { policy: 'exclude' },
        },
      ],
    },
    {
      name: 'nps',
      signals: [
        {
          name: 'nps',
          metric: 'nps',
          windowDays: 180,
          normaliser: { kind: 'linear', min: -100, max: 100 },
          weight: 6,
          missing: { policy: 'exclude' },
        },
      ],
    },
  ],
  penalties: [
    // Seed 004's red flags: −5 per late payment (capped), a burst of tickets, usage down ≥ 20 %.
    {
      name: 'late_payments',
      metric: 'late_payments',
      windowDays: 30,
      direction: 'at_least',
      threshold: 1,
      points: 5,
      perUnit: true,
      maxPoints: 15,
    },
    { name: 'ticket_spike', metric: 'ticket_count', windowDays: 14, direction: 'at_least', threshold: 5, points: 5 },
    // 3 rather than the seed's 5: the 30-day ratio of a weekday-only account swings ±10 % with the
    // weekends in the window, and a 5-point step on it made a customer back from a week's holiday
    // flap healthy/monitor (and get a check-in email) every week for a month. The trend signal
    // already carries most of the decline.
    { name: 'usage_decline', metric: 'usage_trend', windowDays: 30, direction: 'below', threshold: 0.8, points: 3 },
  ],
  ...OUTREACH_AND_TIERS,
  lifecycle: { onboardingDays: 30, churnWindowDays: 60, advocateMinScore: 80, advocateMinNps: 50 },
});

/**
 * A condition on the account's team coming on `threshold` or more of its usual rate of days (those
 * with an event that names a user) over the last `windowDays`, against the last 60.
 */
function teamDaysAtLeast(windowDays: number, threshold: number) {
  return { metric: 'team_active_days_trend', windowDays, baselineDays: 60, direction: 'at_least', threshold } as const;
}

/**
 * A condition on the days since the account's last use, over 60 days as the other silence
 * conditions; a longer silence reads as long as it is, up to the lookback (SILENCE_LOOKBACK_DAYS), so
 * the conditions and flags on it hold while it lasts: its last event, or, for an
 * account with a team rhythm whose integration called after its team's last event, its team's last
 * event (days_since_last_activity).
 */
function daysSinceLastUse(direction: 'at_least' | 'below', threshold: number) {
  return { metric: 'days_since_last_activity', windowDays: 60, direction, threshold } as const;
}

/**
 * The condition of the red flags on who uses the product and how widely: the account's team is still
 * in use on at least 60 % of its usual days over the same two weeks. A team or a feature set that
 * shrinks while the account stays in use is a champion leaving or a narrowing; one that shrinks
 * because nobody came (a holiday, a silence) is neither, and the silence signals already count it.
 * The team's days, not every day of use: an integration whose calls name no user keeps the account
 * in use while its team is away, and a team on holiday then read as a team that had left.
 * Asked only to raise a flag (`startOnly`), as every condition on the account being in use: a flag
 * is lifted by what the account does (its team or features back), never by its doing nothing. Asked
 * on every scoring, a silence after a champion left or a narrowing lifted the flag within a week and
 * moved the account to a better tier, off the worklist, until `long_silence` (session 55).
 */
const WHILE_IN_USE = { ...teamDaysAtLeast(14, 0.6), startOnly: true } as const;

/**
 * The condition of the usage trend signals on the account's team using it at all this week: at least
 * one of its days in the last 7 (one such day reads at least 1/7 ÷ 1, a daily account's rate, so 0.1
 * is "any"). Use below its usual level is a decline; no use at all is a silence, which the silence
 * signal and `long_silence` count, not a decline of use. An integration's calls alone are no use by
 * the team: its week of syncs is the team's holiday.
 */
const USED_THIS_WEEK = teamDaysAtLeast(7, 0.1);

/**
 * The condition of the usage red flags on the account's team in use this week, not only looking in:
 * on 30 % or more of its usual rate of days over the last 7 (two days of a weekday team's five; any
 * day of a team that comes twice a week). A week with one person looking in on a day is a holiday or
 * a company shutdown with someone on call, not a halving: raised in its second week, the flags stayed
 * for weeks after the team was back, and an outside population's shutdowns were most of its false
 * alarms (bench/README.md, session 51). Asked only to raise a flag (`startOnly`): an account whose
 * use keeps falling, to a day a week or none, keeps the flag it raised while it still came on fewer
 * days; asked on every scoring, its weeks of one and two days lifted it and raised it again.
 */
const IN_USE_THIS_WEEK = { ...teamDaysAtLeast(7, 0.3), startOnly: true } as const;

/**
 * The condition of the team and feature signals on the account being used at all in the last 7 days
 * (by its team, for an account with a team rhythm; by anything, its integration included, for one
 * without: see daysSinceLastUse). A fortnight that holds only the last day or two before a
 * silence shows the few users and features of those days: a team whose people come on different
 * days, or a large team of occasional users, read as a team gone the week before a holiday ended.
 * The silence is the silence signal's, the team's behind an integration as an account's: a team's
 * holiday is counted once, by it, whether or not an integration calls on meanwhile.
 */
const USED_IN_THE_LAST_WEEK = daysSinceLastUse('below', 7);

/**
 * The other condition of the team and feature signals: the team in use this week on 30 % or more of
 * its usual rate of days, as the usage flags ask to be raised (IN_USE_THIS_WEEK), not only looked in
 * on. One person looking in once during the team's holiday showed the fortnight's few users and
 * features of that day: a daily team away three weeks was at risk on those two signals alone, with no
 * red flag (a fifteenth outside population, bench/README.md, session 66). Such a week is the silence
 * signal's, as a week nobody came is. A team that keeps coming while it shrinks or narrows is measured.
 */
const TEAM_IN_USE_THIS_WEEK = teamDaysAtLeast(7, 0.3);

/**
 * The condition of `lapsing` on a silence of two of the account's usual gaps or more: a visit missed
 * is an account's habit now and then, two in a row are not. Asked only to raise the flag
 * (`startOnly`): the usual gap is read over a window that slides into the silence and steps back and
 * forth as it does, while the days of silence, which keep the flag, only grow.
 */
const MISSED_TWO_VISITS = { metric: 'silence_vs_cadence', windowDays: 60, direction: 'at_least', threshold: 2, startOnly: true } as const;

/**
 * The condition of `long_silence` on a silence longer than a holiday, whatever the account's rhythm:
 * holidays are taken in calendar weeks, and three weeks away with the weekends either side are 23
 * days without use (bench/README.md, session 42).
 */
const SILENT_LONGER_THAN_A_HOLIDAY = daysSinceLastUse('at_least', 24);

/**
 * The condition of the usage red flags on the account having a rhythm a three-week window can measure:
 * 25 or more active days in the last 60 (about three a week). Below that, three weeks hold a handful of
 * active days, and an account that comes on random days two or three times a week halves them now
 * and then without any change of habit; its silences are still counted against its usual gap.
 * Asked only to raise a flag, as WHILE_IN_USE: a silence empties the 60 days too.
 */
const REGULAR_RHYTHM = { metric: 'active_days', windowDays: 60, direction: 'at_least', threshold: 25, startOnly: true } as const;

/**
 * The condition of the usage red flags on the account not coming back: its last 7 days hold less
 * than 1.5 times the events of the 7 before. An account back from a holiday of two weeks or more has
 * a first day or two that read as a week at a fifth of its level and three weeks at half of it, yet
 * its week is up on the empty week before (2, the ratio's cap); an account whose use halved has weeks
 * alike. Asked only to raise a flag (`startOnly`): an account that now comes one day in four has
 * weeks of one and two days of use, and its flags came and went with them.
 */
const NOT_COMING_BACK = { metric: 'usage_trend', windowDays: 7, direction: 'below', threshold: 1.5, startOnly: true } as const;

/**
 * The condition of `lighter_days` on the last three weeks holding enough days of use for their mean
 * to be a level: 14 or more active days in 21 (two days in three). An account used on a handful of days,
 * with a few events each, halves its events per day now and then by chance. Asked only to raise
 * the flag, as WHILE_IN_USE.
 */
const ENOUGH_DAYS_OF_USE = { metric: 'active_days', windowDays: 21, direction: 'at_least', threshold: 14, startOnly: true } as const;

/**
 * The condition of `lighter_days` on the account's people coming as often as before: its users per
 * day of the team over the last three weeks at 80 % or more of those in the days before them. The
 * flag's pattern is a team doing less on each day. Fewer people on each day make lighter days too:
 * a seasonal business's quiet month, people coming less often (the usage flags' pattern), a champion
 * leaving (`team_shrinking`'s). The share of the usual team seen in a fortnight, asked before, does
 * not tell a quiet month apart: most of its people still come once in a fortnight (bench/README.md,
 * session 48).
 */
const SAME_PEOPLE_EACH_DAY = {
  metric: 'users_per_team_day_vs_prior',
  windowDays: 21,
  baselineDays: 60,
  direction: 'at_least',
  threshold: 0.8,
} as const;

/**
 * The condition of `lighter_days` on the team coming on its usual days over the same three weeks:
 * 80 % or more of its rate of days of use over the last 60. An integration whose calls name no user
 * keeps an account in use on the days its team is away, with a few events each; three weeks that
 * hold a holiday of the team are lighter days of the integration, not of the team. Asked only to
 * raise the flag, as WHILE_IN_USE.
 */
const TEAM_ON_ITS_USUAL_DAYS = { ...teamDaysAtLeast(21, 0.8), startOnly: true } as const;

/**
 * The condition of the feature red flag on the last two weeks holding enough feature use to show the
 * account's usual features: 1.2 feature-days per feature of the last 60 days (10 features need 12
 * feature-days: a day with three features counts three). An account that touches each of many
 * features rarely shows few of them in any fortnight, with or without a narrowing; one that narrows
 * keeps its amount of use and spreads it over fewer features. Below 1.4: a narrowing to one of ten
 * features, used every day of the fortnight, reads 1.4, and at 1.5 it could never be flagged
 * (bench/README.md, session 30). Asked only to raise the flag, as WHILE_IN_USE: a silence empties
 * the fortnight.
 */
const ENOUGH_FEATURE_USE = {
  metric: 'feature_days_per_feature',
  windowDays: 14,
  baselineDays: 60,
  direction: 'at_least',
  threshold: 1.2,
  startOnly: true,
} as const;

/**
 * The condition of `team_shrinking` on the team being smaller than it has been lately: the last
 * fortnight's users fewer than 70 % of the fewest seen in an earlier fortnight of the last 60 days.
 * A team whose size comes and goes with a rhythm (all of it in one week a month, people who rotate
 * every month or so) has had fortnights as thin as this one, and reads 1 or so; a team that lost
 * its people has not. 70 %, not half: a team that leaves over weeks thins each fortnight by less
 * than half. Asked only to raise the flag (`startOnly`): about four weeks after they left, the
 * earlier fortnights are as thin, and the flag stays while the team does not come back.
 */
const FEWER_THAN_EVER_LATELY = {
  metric: 'active_users_vs_leanest',
  windowDays: 14,
  baselineDays: 60,
  direction: 'below',
  threshold: 0.7,
  startOnly: true,
} as const;

/**
 * The condition of `team_shrinking` on the account not doing much more than usual: its events over
 * the same two weeks below 1.3 times its 60-day rate. Fewer people while the account does more is
 * work moving to an integration (its events name no user) or to fewer, busier hands, not a champion
 * leaving, whose team does less.
 */
const NOT_BUSIER = { metric: 'events_trend', windowDays: 14, baselineDays: 60, direction: 'below', threshold: 1.3 } as const;

/**
 * The condition of `feature_contraction` and `team_shrinking` on the fortnight holding the team's
 * use, not only an integration's or a glance: its people in use on 4 or more of its days (asked only
 * to raise the flag). An account run by its integration, whose calls name no user and touch the one
 * feature they sync, has its admin look in on a day or three a fortnight; a fortnight with one such
 * day shows a few of the features and people of the 60 days, and the sync's days pass
 * ENOUGH_FEATURE_USE for it (bench/README.md, session 64). A team that meets at the month's end, or
 * works in bursts, has one person look in between: a fortnight of two such days shows a third of
 * it, while its thin earlier fortnights were empty ones, which FEWER_THAN_EVER_LATELY does not count
 * (bench/README.md, session 66: an outside population's month-end and integration-run accounts). A
 * team that narrows its use, or whose champion stays, keeps coming while it does.
 */
const TEAM_IN_THE_FORTNIGHT = { metric: 'team_active_days', windowDays: 14, direction: 'at_least', threshold: 4, startOnly: true } as const;

/**
 * The condition of `feature_contraction` on the use being narrower than it has been lately, as
 * FEWER_THAN_EVER_LATELY with the features of the narrowest earlier fortnight. A use that moves
 * between groups of features with a project's phases has had fortnights as narrow as this one; a
 * narrowing over weeks shows each fortnight narrower than the one before.
 */
const NARROWER_THAN_EVER_LATELY = { ...FEWER_THAN_EVER_LATELY, metric: 'feature_breadth_vs_leanest' } as const;

/**
 * The condition of `team_gone` on the account having had a team that came regularly: its people on
 * 6 or more days of the last 60, about once a week (twice a week over the days before a team left a
 * month ago). An account run by its integration, whose admin looks in once or twice a month, has no
 * team rhythm to lose: five quiet weeks are its habit, and an outside population's such accounts
 * were flagged as teams gone (bench/README.md, session 51). Asked only to raise the flag
 * (`startOnly`): the 60 days hold the team's absence too, and a team of two days a week no longer
 * reads 6 a week after the flag was raised, while it has not come back.
 */
const TEAM_CAME_REGULARLY = {
  metric: 'team_active_days',
  windowDays: TEAM_RHYTHM_MAX_WINDOW_DAYS,
  direction: 'at_least',
  threshold: TEAM_RHYTHM_DAYS,
  startOnly: true,
} as const;

/**
 * The condition of `contraction_penalty` on the cut reaching seats people use: a tenth more people in
 * the last 30 days than the seats now in effect (or no seats to count: the cut alone). A customer
 * that cuts the seats nobody used pays for what it uses; on two outside populations, such cuts with
 * use unchanged were put at risk for the three months the cut stays in the window (bench/README.md,
 * session 52), and until session 66 so were cuts down to a few seats above the people using them (90 %
 * or more of them in use, which a customer paying for what it uses reaches: an outside population's
 * three such cuts). A tenth, not one person: the people who left shortly before the cut still count in
 * the 30 days (a fifteenth population's right-sized cuts read 1.06). A cut below the people who use
 * the product is a team being let go. Asked only to raise the flag: the people who lost their seats
 * leave the 30 days a month after the cut, and the cut stays in `contraction`'s 90. The cost: a
 * declining account that cuts its unused seats is left to the usage flags; a second flag for it (the
 * cut with the account's events falling) would count one cut twice for an account with no seats to
 * count, since a condition whose metric is missing holds.
 */
const CUT_INTO_SEATS_IN_USE = {
  metric: 'seat_utilisation',
  windowDays: 30,
  direction: 'at_least',
  threshold: 1.1,
  startOnly: true,
} as const;

/**
 * How far back the unpaid-invoice signal and flag look for invoices due: a year, so an invoice still
 * unpaid keeps costing points until it is paid or refunded, whatever the account paid since: over a
 * shorter window an invoice two months past due would stop counting, and an account that paid its
 * latest invoice late would score healthy with the two before it still unpaid. A year, not forever:
 * an invoice written off without a refund recorded stops counting in time.
 */
const UNPAID_INVOICES_WINDOW_DAYS = 365;

/** Relative signals without a baseline (a new or long-silent account) count as "no sign of decline yet". */
const NO_BASELINE_YET = { policy: 'neutral', value: 0.75 } as const;

/**
 * The default model: every engagement signal compares the account with its own history instead of
 * a fixed target, so a steady account active two days a week scores like a steady daily one, and
 * a decline shows weeks before the account stops using the product. Payments, support and NPS
 * carry penalties strong enough to move a busy account into a bad tier on their own.
 */
export const DEFAULT_SCORING_MODEL: ScoringModelConfig = deepFreeze({
  components: [
    {
      name: 'engagement',
      signals: [
        {
          name: 'silence',
          metric: 'silence_vs_cadence',
          // The cadence is learnt over 60 days: long enough to hold a holiday, short enough to follow a change of habit.
          windowDays: 60,
          // In units of the account's usual gap: a weekend of a weekday account (3 days ÷ its usual 3) costs
          // nothing; a daily account loses it all after 6 quiet days. The largest weight: a silent
          // daily account must drop a tier within a week whatever its other signals. Not sooner: an
          // account that comes on random days two or three times a week has gaps of four of its
          // usual ones every few months without any change of habit (bench/README.md, ninth round).
          // 2 rather than 1.5 since the gap is measured before the silence, which makes it shorter
          // than a gap stretched by the silence (bench/README.md, session 29). 6 rather than 7: an
          // account that misses one day in ten has a usual gap of about 1.1 days, and at 7 its week
          // of silence read six and a bit of them, which kept it in its tier on the seventh day
          // (bench/README.md, session 39).
          normaliser: { kind: 'recency', fullDays: 2, zeroDays: 6 },
          weight: 36,
          missing: NO_BASELINE_YET,
        },
        {
          name: 'active_days_trend',
          metric: 'active_days_trend',
          // Three weeks: a week's holiday costs a third of the window, not half of it.
          windowDays: 21,
          baselineDays: 60,
          // Active days per day over the last 21 days against the last 60. Full marks only at 110 % of the
          // usual rhythm: a steady account (1.0) keeps seven eighths, so the first weeks of a decline, still
          // within a healthy account's weekly swing, already rank it below steady ones without flagging it
          // (bench/README.md); 30 % or less is none.
          normaliser: { kind: 'linear', min: 0.3, max: 1.1 },
          weight: 14,
          missing: NO_BASELINE_YET,
          // Measured while the account was used this week: a week or more with nobody is a silence, which
          // the silence signal counts against the account's rhythm (and long_silence once it lasts).
          // Counted by the trends as well, a daily account's holiday of ten days sank to "at risk"
          // (bench/README.md, session 30).
          onlyWhen: [USED_THIS_WEEK],
        },
        {
          name: 'usage_volume_trend',
          metric: 'events_trend',
          windowDays: 21,
          baselineDays: 60,
          normaliser: { kind: 'linear', min: 0.3, max: 1.1 },
          weight: 8,
          missing: NO_BASELINE_YET,
          onlyWhen: [USED_THIS_WEEK],
        },
        {
          name: 'active_users_trend',
          metric: 'active_users_vs_usual',
          windowDays: 14,
          baselineDays: 60,
          // The share of the last 60 days' team seen in the last 14: a champion leaving while one or two users
          // keep logging in daily shows here and nowhere else.
          normaliser: { kind: 'linear', min: 0.3, max: 0.85 },
          weight: 12,
          missing: NO_BASELINE_YET,
          onlyWhen: [USED_IN_THE_LAST_WEEK, TEAM_IN_USE_THIS_WEEK],
        },
        {
          name: 'feature_breadth_trend',
          metric: 'feature_breadth_trend',
          windowDays: 14,
          baselineDays: 60,
          normaliser: { kind: 'linear', min: 0.3, max: 0.8 },
          weight: 10,
          missing: NO_BASELINE_YET,
          onlyWhen: [USED_IN_THE_LAST_WEEK, TEAM_IN_USE_THIS_WEEK],
        },
        {
          name: 'seat_utilisation',
          metric: 'seat_utilisation',
          windowDays: 30,
          // Seats bought and seats used differ widely between healthy accounts: a small weight.
          normaliser: { kind: 'target', target: 0.3 },
          weight: 2,
          missing: { policy: 'exclude' },
        },
      ],
    },
    {
      name: 'payments',
      signals: [
        {
          name: 'payment_failures',
          // By invoice, not by attempt: a card's dunning retries of one invoice are one failure.
          metric: 'failed_invoice_streak',
          windowDays: 90,
          normaliser: { kind: 'inverse_target', max: 3 },
          weight: 8,
          missing: { policy: 'exclude' },
        },
        {
          name: 'unpaid_past_due',
          // From two weeks past due (UNPAID_GRACE_DAYS): an invoice settled by its dunning retries is
          // routine, not a sign. Nor is an account's usual lateness, as for unpaid_invoice_penalty. A
          // year back, as that flag reads: an invoice still unpaid costs points until it is paid.
          metric: 'unpaid_later_than_usual',
          windowDays: UNPAID_INVOICES_WINDOW_DAYS,
          normaliser: { kind: 'inverse_target', max: 2 },
          weight: 5,
          missing: { policy: 'exclude' },
        },
        {
          name: 'contraction',
          metric: 'contraction',
          windowDays: 90,
          // Seats or ARR halved in 90 days is the worst case.
          normaliser: { kind: 'inverse_target', max: 0.5 },
          weight: 6,
          missing: { policy: 'exclude' },
        },
      ],
    },
    {
      name: 'support',
      signals: [
        {
          name: 'ticket_surge',
          metric: 'ticket_volume_trend',
          windowDays: 14,
          baselineDays: 90,
          normaliser: { kind: 'inverse_target', max: 4 },
          weight: 4,
          missing: { policy: 'exclude' },
        },
        {
          name: 'urgent_tickets',
          metric: 'urgent_open_tickets',
          windowDays: 90,
          normaliser: { kind: 'inverse_target', max: 2 },
          weight: 5,
          missing: { policy: 'exclude' },
        },
        {
          name: 'support_sentiment',
          metric: 'csat_mean',
          windowDays: 90,
          normaliser: { kind: 'linear', min: 1, max: 5 },
          weight: 4,
          missing: { policy: 'exclude' },
        },
      ],
    },
    {
      name: 'nps',
      signals: [
        {
          name: 'nps',
          metric: 'nps_weighted',
          windowDays: 180,
          normaliser: { kind: 'linear', min: -100, max: 100 },
          weight: 6,
          missing: { policy: 'exclude' },
        },
      ],
    },
  ],
  penalties: [
    // Red flags: a weighted mean moves at most by a signal's share, so a pattern that foretells churn
    // on its own (the team shrinking to one or two users, usage or breadth halving) also costs points.
    // Silent for fourteen usual gaps (two weeks of a daily account, seven weeks of a twice-a-week one):
    // the worst tier, since the usage trends leave a silence to the silence signal, which alone goes
    // no further than "monitor". Not sooner: the silence signal already drops a daily account a tier
    // within the week, and at ten gaps a daily account's holiday of ten days was flagged as if it had
    // left (bench/README.md, session 30). Nor before 24 days: fourteen gaps of a daily or weekday-only
    // account are shorter than a holiday of three weeks.
    {
      name: 'long_silence',
      metric: 'silence_vs_cadence',
      windowDays: 60,
      direction: 'at_least',
      threshold: 14,
      points: 35,
      onlyWhen: [SILENT_LONGER_THAN_A_HOLIDAY],
    },
    {
      name: 'team_shrinking',
      metric: 'active_users_vs_usual',
      windowDays: 14,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.5,
      // Enough on its own for "at risk": fewer than half of the users a fortnight usually sees, for two
      // weeks while a champion or two keep logging in, is the clearest early sign there is, and healthy
      // accounts, weekday-only and low-cadence ones included, rarely show it (bench/README.md). Against
      // what a fortnight usually sees, not the plain share: a large team of occasional users shows
      // half of itself in any fortnight (bench/README.md, session 35). A team that left weeks ago
      // fades from it sooner than from the plain share, as its leavers' days leave the baseline. Raised
      // only when the team is thinner than in any earlier fortnight and the account is not busier
      // (bench/README.md, session 36): a team whose size comes and goes, or that hands its work to an
      // integration, is not a team that left.
      points: 45,
      onlyWhen: [WHILE_IN_USE, FEWER_THAN_EVER_LATELY, NOT_BUSIER, TEAM_IN_THE_FORTNIGHT],
    },
    // team_shrinking read over the last week, until the fortnight reads as it: a team whose people leave
    // over a week or two is still seen whole in a fortnight until its last leaver's last day is two
    // weeks old, so team_shrinking is raised up to two weeks after they left; a week sees it at once.
    // Below 0.35 rather than 0.5: a week shows fewer of a team of occasional users than a fortnight, and
    // at 0.4 and 0.5 more low-cadence accounts were flagged for about as many churners (bench/README.md,
    // session 48). Its conditions are team_shrinking's over the week, the earlier weeks those of the
    // last four (a team that all comes one week a month has had a thin one; eight weeks back cost the
    // engagement statement more for one low-cadence account less), and the fortnight not yet
    // below team_shrinking's threshold: one pattern, counted once.
    // Fewer points than the fortnight's flag: one thin week is a warning ("monitor" on its own or with
    // the signals' small losses, at risk with another red flag of 20 points or more), a thin fortnight is
    // the pattern. A small team whose members take their holidays a few at a time has thin weeks: at 45
    // points, such a week and a lukewarm NPS answer put busy accounts of an outside population at risk.
    // The cost: some champion losses the week's flag put at risk early are at risk only a week later, on
    // the fortnight's flag (bench/README.md, session 50).
    {
      name: 'team_shrinking_this_week',
      metric: 'active_users_vs_usual',
      windowDays: 7,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.35,
      points: 35,
      onlyWhen: [
        { ...teamDaysAtLeast(7, 0.6), startOnly: true },
        { ...FEWER_THAN_EVER_LATELY, windowDays: 7, baselineDays: 28 },
        { ...NOT_BUSIER, windowDays: 7 },
        { metric: 'active_users_vs_usual', windowDays: 14, baselineDays: 60, direction: 'at_least', threshold: 0.5 },
      ],
    },
    // Both usage flags compare the last three weeks with the days before them (`_vs_prior`): against a
    // baseline that holds them, a halving reads 0.6 at most and a flag at half never fired. They need
    // the last week down as well, but not empty: an account back from a holiday at its usual level has
    // three weeks that still look halved, and a flag then would be a false alarm; one still away is a
    // silence or a team away with someone looking in (IN_USE_THIS_WEEK), one just back is up on its
    // week before (NOT_COMING_BACK). And a rhythm
    // to halve (REGULAR_RHYTHM). Below 0.55 rather than 0.5: a halving of three weeks reads 0.5 to
    // 0.55 as its first days enter the days before (bench/README.md, session 28). The last week is
    // asked only to raise a flag (`startOnly`), as NOT_COMING_BACK: an account that now comes every
    // other day or every third has weeks of three and four days of use, and the flag came and went
    // with them; it lifts once the three weeks are back above the threshold.
    {
      name: 'usage_halved',
      metric: 'events_vs_prior',
      windowDays: 21,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.55,
      points: 15,
      onlyWhen: [
        { metric: 'events_vs_prior', windowDays: 7, baselineDays: 60, direction: 'below', threshold: 0.65, startOnly: true },
        IN_USE_THIS_WEEK,
        REGULAR_RHYTHM,
        NOT_COMING_BACK,
      ],
    },
    {
      name: 'activity_halved',
      metric: 'active_days_vs_prior',
      windowDays: 21,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.55,
      points: 15,
      onlyWhen: [
        { metric: 'active_days_vs_prior', windowDays: 7, baselineDays: 60, direction: 'below', threshold: 0.65, startOnly: true },
        IN_USE_THIS_WEEK,
        REGULAR_RHYTHM,
        NOT_COMING_BACK,
      ],
    },
    // A team that still comes on its usual days but does much less on each of them (a client lost, a
    // budget cut). The two flags above miss it: the days do not halve, and events against a baseline
    // that holds the recent weeks read 0.6 at most after a halving. 25 points: a drop the score-drop
    // playbook reports, and out of "healthy" with another sign (or from a score already lower), as
    // the usage flags. At 50 it put busy accounts at risk on their own for weeks of ordinary low
    // volume: on the populations built outside in sessions 48 and 49, and on ours, it flagged healthy
    // accounts far more often than churners (bench/README.md, session 49). Per
    // day of use the measure ignores how many days an account comes, so a holiday or a random rhythm
    // does not move it; ENOUGH_DAYS_OF_USE keeps a handful of days from passing for a level, and
    // SAME_PEOPLE_EACH_DAY leaves days lighter by fewer people (a quiet month, a team that shrank) to
    // the usage flags and team_shrinking.
    {
      name: 'lighter_days',
      metric: 'events_per_active_day_vs_prior',
      windowDays: 21,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.6,
      points: 25,
      onlyWhen: [
        { metric: 'events_per_active_day_vs_prior', windowDays: 7, baselineDays: 60, direction: 'below', threshold: 0.7 },
        ENOUGH_DAYS_OF_USE,
        SAME_PEOPLE_EACH_DAY,
        TEAM_ON_ITS_USUAL_DAYS,
      ],
    },
    // Enough on its own for "at risk", as team_shrinking: fewer than 40 % of the usual features used for
    // two weeks while the account is in use as much as usual. ENOUGH_FEATURE_USE keeps a small sample
    // from passing for a narrowing. Not below half: a narrowing to a few of its features reads 0.1 to
    // 0.3, while an account that touches some of its features on two or three days in two months
    // misses them in a fortnight by chance and reads 0.4 to 0.5 (bench/README.md, session 31).
    {
      name: 'feature_contraction',
      metric: 'feature_breadth_trend',
      windowDays: 14,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.4,
      points: 45,
      onlyWhen: [WHILE_IN_USE, ENOUGH_FEATURE_USE, NARROWER_THAN_EVER_LATELY, TEAM_IN_THE_FORTNIGHT],
    },
    // Enough on its own for "at risk", as team_shrinking: a team that stopped coming while the account
    // stays in use, by an integration whose calls name no user. The silence signals count the syncs
    // as use, and the team and feature flags ask for the team in use, so without this flag a team
    // gone for weeks behind a running sync scored healthy (bench/README.md, session 40). Below 0.15
    // of its usual rate of days over five weeks (raised about a month after the team left): a
    // holiday of three weeks leaves two weeks of the team's days in any five, enough even for a team
    // that comes two days a week on random days, which four weeks did not always leave. Not when
    // nothing at all came (a silence, which long_silence counts), nor when the account does more than
    // usual (work handed to an integration, as NOT_BUSIER). About two months after the team left, the
    // baseline names nobody and the account reads as one run by its integration, as an account
    // silent for as long is churned by silence. The account in use is asked only to raise the flag, as
    // WHILE_IN_USE: an integration that stops too leaves the team as gone as before.
    {
      name: 'team_gone',
      metric: 'team_active_days_trend',
      windowDays: 35,
      baselineDays: 60,
      direction: 'below',
      threshold: 0.15,
      points: 45,
      onlyWhen: [
        { metric: 'active_days_trend', windowDays: 21, baselineDays: 60, direction: 'at_least', threshold: 0.5, startOnly: true },
        { metric: 'events_trend', windowDays: 21, baselineDays: 60, direction: 'below', threshold: 1 },
        TEAM_CAME_REGULARLY,
      ],
    },
    // Payment trouble puts a busy account at risk on its own, in either of its two forms. Both count
    // invoices, not attempts, and leave an invoice its two weeks of grace: a card's dunning retries of
    // one invoice, paid within days, are routine for card payments and were flagged as trouble when
    // each retry counted and an invoice counted as unpaid from the day after its due date
    // (bench/README.md, session 35), and retries that paid it in the second week past due when the
    // grace was a week (session 49).
    // Failed invoices in a row with no payment since, from two (invoices without a due date count one
    // by one): three put a busy account at risk on this alone, whether or not the invoices carry due
    // dates (unpaid_invoice_penalty needs them).
    {
      name: 'payment_failure_penalty',
      metric: 'failed_invoice_streak',
      windowDays: 90,
      direction: 'at_least',
      threshold: 2,
      points: 15,
      perUnit: true,
      maxPoints: 45,
    },
    // An invoice still unpaid two weeks past its due date, its retries failed: at risk on its own, as a
    // contraction is. Counted per invoice, the failures alone would wait for next month's invoice to
    // fail before flagging an account whose card stopped working.
    // Later than the account's own habit, too (`unpaid_later_than_usual`, up to a month past due): an
    // account that pays its invoices three weeks late, and pays them, is as healthy at three weeks as
    // a prompt payer at one, and an outside population's such accounts were put at risk by their late
    // invoices (bench/README.md, session 51). Its first late invoice still counts from two weeks.
    {
      name: 'unpaid_invoice_penalty',
      metric: 'unpaid_later_than_usual',
      windowDays: UNPAID_INVOICES_WINDOW_DAYS,
      direction: 'at_least',
      threshold: 1,
      points: 45,
    },
    // A downsell (seats or ARR cut by 30 % or more) puts a busy account at risk on its own, as three
    // failed invoices do: at 10 points it moved a busy account a few points within "healthy", and an
    // outside population's contractions were never flagged (bench/README.md, session 30). When the
    // cut reaches seats in use (CUT_INTO_SEATS_IN_USE).
    {
      name: 'contraction_penalty',
      metric: 'contraction',
      windowDays: 90,
      direction: 'at_least',
      threshold: 0.3,
      points: 45,
      onlyWhen: [CUT_INTO_SEATS_IN_USE],
    },
    // Three HIGH or URGENT tickets open at once put a busy account at risk on their own, as payment
    // trouble does; healthy accounts almost never have more than one open (bench/README.md, seventh round).
    // Each counts once it has been open a whole day (a reopened one, a day after its reopening): an
    // incident whose tickets the support team solves within hours is the team doing its job, and a
    // daily scoring run that caught them open put a busy account at risk on it (bench/README.md,
    // session 35). The tickets of an escalation stay open for days; the signal still reads every
    // urgent ticket open at the instant.
    {
      name: 'urgent_ticket_penalty',
      metric: 'urgent_tickets_open_throughout',
      windowDays: 1,
      direction: 'at_least',
      threshold: 1,
      points: 15,
      perUnit: true,
      maxPoints: 45,
    },
    {
      name: 'ticket_surge_penalty',
      metric: 'ticket_volume_trend',
      windowDays: 14,
      baselineDays: 90,
      direction: 'at_least',
      threshold: 3,
      points: 10,
    },
    { name: 'low_csat_penalty', metric: 'csat_mean', windowDays: 90, direction: 'below', threshold: 2.5, points: 10 },
    // A support escalation is a burst of tickets and poor ratings together: either alone costs 10
    // points, both at once put a busy account at risk on their own, as urgent tickets do. For a month
    // (the surge flag reads 14 days): once its tickets are solved, the customer is still the one who
    // escalated, and at two weeks an outside population's escalations were back in "monitor" weeks
    // before they cancelled (bench/README.md, session 30). Two tickets beyond the usual rate, not three
    // (session 47): the usual rate is read over 90 days that hold the burst, so a burst of four
    // tickets on a quiet account reads about two, and an outside population's escalations of three to
    // six tickets were flagged for days, then not again before they cancelled. With the poor ratings
    // asked, two flagged no healthy account more in any of three populations.
    {
      name: 'support_escalation',
      metric: 'ticket_volume_trend',
      windowDays: 30,
      baselineDays: 90,
      direction: 'at_least',
      threshold: 2,
      points: 30,
      // Poor ratings, not none: with no ticket rated in the 90 days the mean is missing, which holds
      // back nothing, so an unrated burst (an incident solved within hours) counted as an escalation.
      // A burst left unsolved is the urgent flag's; an unrated one alone costs ticket_surge_penalty.
      onlyWhen: [
        { metric: 'csat_mean', windowDays: 90, direction: 'below', threshold: 3 },
        { metric: 'rated_tickets', windowDays: 90, direction: 'at_least', threshold: 1 },
      ],
    },
    // Both detractor flags read the answers of the last 60 days (the NPS signal reads 180): weighting
    // by recency orders answers against each other, and a single answer, or a single survey's wave,
    // would otherwise keep a busy account flagged for six months after it was given. Two months, not
    // three (session 41): an angry answer is a warning for the weeks after it, a healthy account that
    // gave one was flagged a third longer, and over 90 days an older kind answer still diluted a
    // recent angry one (bench/README.md, session 41).
    // Angry answers, not lukewarm ones (session 49): with the recent answers averaging 5 of 10 or more
    // (fives and sixes, which NPS counts as detractors as it does a 0), the NPS signal alone counts
    // them. Healthy accounts give a 5 or a 6 often, and one of them with another mild sign put busy
    // accounts at risk; no population's churners lost their flag 30 days ahead for it
    // (bench/README.md, session 49).
    {
      name: 'detractor_penalty',
      metric: 'nps_weighted',
      windowDays: 60,
      direction: 'below',
      threshold: -50,
      points: 25,
      onlyWhen: [{ metric: 'nps_mean_score', windowDays: 60, direction: 'below', threshold: 5 }],
    },
    // Angry answers (the recent ones averaging below 5 of 10: answers of 0–4) put a busy account at risk
    // on their own, with the detractor flag and the NPS signal; a lukewarm detractor (a 5 or a 6, common
    // among healthy accounts' answers) costs the NPS signal alone (the detractor flag too until session
    // 49; bench/README.md, tenth round; 4 counts as angry since session 30). Two angry answers or more,
    // not one (bench/README.md, session 47): healthy accounts give an answer of 0–4 now and then, and
    // on an outside population whose healthy accounts answered so one time in twenty, one angry answer
    // was three quarters of the false alarms. One angry answer still costs the detractor flag while the
    // recent answers average below 5: a drop the score-drop playbook reports.
    {
      name: 'angry_detractor',
      metric: 'nps_mean_score',
      windowDays: 60,
      direction: 'below',
      threshold: 5,
      points: 20,
      onlyWhen: [{ metric: 'nps_angry_answers', windowDays: 60, direction: 'at_least', threshold: 2 }],
    },
    // Silent for 45 days, three quarters of the churn window (lifecycle.churnWindowDays, 60), for an
    // account of any rhythm short of a month (below): fourteen usual gaps of a weekly account are 98
    // days and of a monthly one more than a year, so long_silence never came before the lifecycle
    // wrote them off as churned, and they went from "monitor" (or "healthy") straight to churned, never
    // on the worklist. An
    // account the lifecycle churns in two weeks (or whose team has been away as long behind an
    // integration) is at risk on its own. On top of long_silence where
    // both hold, not instead: an exclusion on long_silence's reading (the usual gap, which steps back
    // and forth as the window slides) handed the account from one flag to the other and back, its
    // score rising and falling as the silence went on; days since the last use only grow.
    // Kept past 60 days, as long as the silence lasts: days since the last use read a longer silence as
    // it is (daysSinceLastUse), and the score of an account silent for longer never climbs back.
    // And for two usual gaps or more (MISSED_TWO_VISITS, asked only to raise the flag): 45 days are one
    // and a half of a monthly account's gaps, a visit skipped, and an outside population's monthly
    // accounts that skipped one and came back were flagged as lapsing (bench/README.md, session 64).
    // Or, whatever the gaps, from a week before the churn window (unconditionalThreshold, 53 days of
    // its 60): two gaps of a rhythm of 30 days or more are the churn window or longer, and such an
    // account went from healthy straight to churned (session 65). A weekly or fortnightly account is
    // at risk at 45 days as before; a monthly one from 53, with a week of its tier's playbook before
    // the lifecycle writes it off.
    {
      name: 'lapsing',
      ...daysSinceLastUse('at_least', 45),
      points: 45,
      onlyWhen: [MISSED_TWO_VISITS],
      unconditionalThreshold: 53,
    },
  ],
  ...OUTREACH_AND_TIERS,
  // Steadier tiers at daily scoring (bench/README.md, eleventh round): a red flag that applied stays until
  // its metric clears the threshold by a tenth (a team back to 0.55 of its usual users, not 0.5). An
  // account whose flag condition sits at its threshold as the windows slide otherwise changes tier and
  // back within days. Tier hysteresis stays at the specification's 2 points (OUTREACH_AND_TIERS): the
  // eleventh round's 3 made no difference to prediction beyond noise.
  penaltyHysteresis: 0.1,
  // minCoverage: a new account has its silence, payment and support signals but no baseline yet (about half the weight).
  lifecycle: { onboardingDays: 30, churnWindowDays: 60, advocateMinScore: 80, advocateMinNps: 50, minCoverage: 0.6 },
  // The team alert after 6 days of silence asks for 3 usual gaps too: a daily account's 6 days are 6
  // (alerted as before), a weekday account's about 4, a weekly account's 6 days under one.
  silenceAlertGaps: 3,
});

/**
 * The default model with another tier scheme, its tier playbooks re-attached by severity rank.
 * Returns a mutable deep copy.
 */
export function defaultModelWithTiers(preset: TierPresetName): ScoringModelConfig {
  const tiers = TIER_PRESETS[preset];
  return structuredClone({ ...DEFAULT_SCORING_MODEL, tiers, playbooks: defaultPlaybooksFor(tiers) });
}

/**
 * `key`, or when a playbook the model keeps has it already (a silence playbook an admin keyed
 * "churning" before the preset brought that tier) the first of `key_tier`, `key_tier_2`, … that none
 * has, compared as validateModel compares keys (foldedKey).
 */
function freeKey(key: string, taken: ReadonlySet<string>): string {
  if (!taken.has(foldedKey(key))) return key;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${key}_tier` : `${key}_tier_${n}`;
    if (!taken.has(foldedKey(candidate))) return candidate;
  }
}

/**
 * `config` with the tiers of `preset`, and only what must change with them: a tier the model has
 * already keeps its playbooks as they are (reworded, with an action added, or removed: a removed one
 * is not brought back), a tier new to the model gets the preset's default playbook
 * (defaultPlaybooksFor), after the other tier playbooks, keyed by its tier as there unless a kept
 * playbook has that key already (freeKey), and the playbooks of tiers the preset does
 * not have go with them. Everything else is kept: weights, flags, cooldowns, the silence and
 * expansion playbooks, and the hysteresis unless it is as wide as one of the preset's bands (it would
 * hold tiers across that band: validateModel refuses it), when it takes the default's. `config`
 * itself when its tiers are the preset's: nothing to change.
 */
export function withTierPreset(config: ScoringModelConfig, preset: TierPresetName): ScoringModelConfig {
  const tiers = TIER_PRESETS[preset];
  if (sameTiers(config.tiers, tiers)) return config;
  const presetKeys = new Set(tiers.map((band) => band.key));
  const modelKeys = new Set(config.tiers.map((band) => band.key));
  const kept = config.playbooks.filter((playbook) => playbook.kind !== 'tier' || presetKeys.has(playbook.tierKey));
  const taken = new Set(kept.map((playbook) => foldedKey(playbook.key)));
  const added = defaultPlaybooksFor(tiers)
    .filter((playbook) => playbook.kind === 'tier' && !modelKeys.has(playbook.tierKey))
    .map((playbook) => {
      const key = freeKey(playbook.key, taken);
      taken.add(foldedKey(key));
      return key === playbook.key ? playbook : { ...playbook, key };
    });
  const afterTierPlaybooks = kept.reduce((end, playbook, index) => (playbook.kind === 'tier' ? index + 1 : end), 0);
  const { hysteresis } = config;
  const holdsAcrossBands = typeof hysteresis === 'number' && hysteresis > 0 && hysteresis >= narrowestBand(tiers).width;
  return structuredClone({
    ...config,
    tiers,
    hysteresis: holdsAcrossBands ? OUTREACH_AND_TIERS.hysteresis : hysteresis,
    playbooks: [...kept.slice(0, afterTierPlaybooks), ...added, ...kept.slice(afterTierPlaybooks)],
  });
}
