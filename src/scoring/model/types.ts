// The vocabulary of the scoring core: the scoring-model configuration (stored as JSON in
// ScoringModel.config), the metrics the SQL layer aggregates for it, and the results it produces.
// Plain data only, so the same shapes travel through the database, the graph and the tests.

/**
 * A raw per-customer aggregate the SQL layer computes over the window
 * `(asOf − windowDays·24h, asOf]` (start exclusive, end inclusive). Counts are 0, never null,
 * when nothing happened; null means "no data to compute this from".
 *
 * - `active_days`: distinct UTC calendar days with at least one engagement event in the window.
 * - `team_active_days`: `active_days` over the events that name a user (`userId` not null): the days
 *   the account's people came, an integration's calls apart.
 * - `distinct_features`: distinct non-null `feature` values among engagement events in the window.
 * - `days_since_last_activity`: fractional days from the last engagement event at or before asOf to
 *   asOf, read over the last L = max(W, SILENCE_LOOKBACK_DAYS) days: an account used only before
 *   them reads L (silent at least that long); null for an account never used. A silence longer than
 *   the window is that long, not missing: read as missing past the window (until session 65), a
 *   silence lifted the flags on it (`lapsing`) and the score climbed back as it went on. An
 *   account with a team rhythm whose last event names no user reads its team's last event instead,
 *   as `silence_vs_cadence` does (below): a team silent behind an integration is silent, also past
 *   the window (up to SILENCE_LOOKBACK_DAYS).
 * - `usage_trend`: engagement events in the window / events in the window of the same length
 *   before it, capped at 2; null when both are 0 (0 for an account used before them:
 *   READ_AS_NONE_AFTER_USE); 2 when only the earlier one is 0.
 * - `users_added`: engagement events with eventType `user_added` in the window.
 * - `payment_success_rate`: 1 − FAILED/all payments (by `occurredAt`) in the window; null without payments.
 * - `late_payments`: FAILED payments (by `occurredAt`) in the window.
 * - `csat_mean`: mean CSAT rating (1…5) of tickets opened in the window; null when none is rated.
 * - `open_tickets`: tickets with status OPEN or PENDING, opened at or before asOf and not resolved
 *   by asOf (resolvedAt null or later). A state, not a window: the window only names the key.
 * - `ticket_count`: tickets opened in the window.
 * - `nps`: NPS of the responses in the window, 100·(promoters(9–10) − detractors(0–6)) / responses,
 *   −100…100 rounded to a whole number; null without responses.
 *
 * Metrics relative to the account's own history. The recent window is `(asOf − W, asOf]` (W =
 * `windowDays`), the baseline the longer window `(asOf − B, asOf]` (B = `baselineDays` > W) that
 * contains it: the account's usual level, recent days included, so a baseline never reads further
 * back than B days. An account in use for fewer than B days (since the UTC start of its first day
 * with an engagement event) has a baseline of those days instead in the `_trend` metrics: the days
 * before it began are no part of its usual level. Those of READ_AS_NONE_AFTER_USE read 0, not null,
 * for an account silent through the whole baseline after using the product: none of its usual use.
 * - `active_days_trend`: (active days in the recent window / W) ÷ (active days in the baseline / B),
 *   capped at 2; null when the baseline has no active day (nothing to compare with).
 * - `events_trend`: the same with engagement event counts.
 * - `team_active_days_trend`: `active_days_trend` over the days of the account's people: UTC days
 *   with an event that names a user (`userId` not null). An integration whose calls name no user
 *   keeps an account "active" on the days its team is away; this tells the team's days from its.
 *   An account whose baseline names nobody (it never sends a `userId`) reads `active_days_trend`.
 * - `active_days_vs_prior`: (active days in the recent window / W) ÷ (active days in the rest of the
 *   baseline, `(asOf − B, asOf − W]`, / (B − W)), capped at 2; null when that earlier part has no
 *   active day, or when the account has been in use for fewer than B days (its first weeks, a setup or
 *   a trial, are no usual level to measure a decline against). The recent days are left out of what they are compared with, so a step down reads
 *   at its full depth while it lasts instead of diluted by itself (a halving 21 days old reads 0.5,
 *   not 0.6).
 * - `events_vs_prior`: the same with engagement event counts.
 * - `events_per_active_day_vs_prior`: how busy a day of use is, against the days before the window:
 *   the greater of two ratios of the recent window to the baseline's days before it,
 *   `(asOf − B, asOf − W]`: events per active day, and the typical day (the geometric mean of the
 *   UTC days' event counts, a day cut by the window's start counting its part in it); at most 2;
 *   null when either has no active day, or for an account in use for fewer than B days, as
 *   `active_days_vs_prior`. The mean alone would read every usual day after one day of thousands of
 *   events (an import, a scripted sync) as a light one for as long as that day stays in the
 *   baseline; the geometric mean alone would read a few new light days (a quick weekend look) as
 *   lighter days of use. A day is lighter only when both say so. A team that does half as much on the days it
 *   still comes reads 0.5, whatever its cadence: an account that comes on random days, or is back
 *   from a holiday, keeps its usual number of events on each day it comes.
 * - `users_per_team_day_vs_prior`: how many of its people an account sees on a day, against the
 *   days before the window: (user-days ÷ team days) in the recent window ÷ the same in the baseline's
 *   days before it, a user-day being a distinct UTC day and non-null `userId` with an event, a team
 *   day a UTC day with at least one; at most 2; null as `events_per_active_day_vs_prior` (no team day
 *   on either side, or an account in use for fewer than B days). A team whose people come as often as
 *   before reads 1 however much each does; a quiet month, or a team whose people come less often,
 *   reads below it. As in `events_per_active_day_vs_prior`, the earlier part is the baseline's counts
 *   less the window's: a UTC day cut by the window's start is a team day of the window only, and
 *   its users seen only before the cut stay in the earlier user-days.
 * - `active_users_trend`: distinct non-null `userId`s in the recent window ÷ distinct ones in the
 *   baseline (the share of the usual team still seen), at most 1; null when the baseline has none
 *   before the window. A window nobody came in reads 0 (until session 55, null: a silence lifted
 *   the red flags raised before it); the default model's team and feature signals are not measured
 *   after a week without use (their `onlyWhen`), so no signal of it counts a silence twice; a red flag
 *   raised on these metrics before a silence stays through it. A model whose signals read them
 *   without such a condition counts a silent window as none of the team or features seen.
 * - `active_users_vs_usual`: distinct non-null `userId`s in the recent window ÷ how many of the
 *   baseline's users a window of its length usually sees: Σ over them of 1 − (1 − W ÷ B)^d, with d
 *   the user's UTC days of use in the baseline and B the baseline's days (those since the account's
 *   first day of use, for a younger account; a user counts 1 when B ≤ W), at most 2. A team that all
 *   come daily reads as `active_users_trend`; a large team of occasional users, a few of whom come
 *   in any fortnight, reads 1 or more while they keep coming, not the share of them seen. Null as
 *   `active_users_trend`.
 * - `feature_breadth_trend`: the same as `active_users_trend` with distinct features.
 * - `active_users_vs_leanest`: distinct non-null `userId`s in the recent window ÷ the fewest seen in
 *   an earlier window of W whole UTC days within the baseline (`earlierWindowOffsets`: ending W,
 *   W + ⌈W/2⌉, W + 2⌈W/2⌉, … days before asOf's UTC day, the nearest eight that start within the
 *   baseline) that holds an engagement event and starts on or after the account's first day of use;
 *   at most 2. Null when the recent window has no engagement event, when no earlier window
 *   qualifies, and when the fewest is 0. A team that shrank reads below its thinnest fortnight; one
 *   whose size comes and goes with a rhythm (a team that all comes one week a month, people who
 *   rotate) has had fortnights as thin as this one, and reads 1 or so. Needs B ≥ 2W.
 * - `feature_breadth_vs_leanest`: the same with distinct features (a use that rotates between
 *   groups of features with the phases of a project has had windows as narrow as this one).
 * - `feature_days_per_feature`: feature-days in the recent window (each UTC day's distinct features,
 *   summed over the days) ÷ distinct features in the baseline: how many days each usual feature
 *   could have been seen lately; null when the baseline used none. It tells a narrowing (the usual
 *   amount of use, spread over fewer features) from a small sample (an account that touches each of
 *   many features rarely shows few of them in any fortnight).
 * - `ticket_volume_trend`: tickets opened in the recent window beyond what the baseline rate
 *   predicts: max(0, recent − baseline · W / B) (0 when volume is usual), where B is at most the days
 *   since the account's first event or ticket (from its UTC day), and at least W.
 * Other metrics:
 * - `seat_utilisation`: distinct users in the window ÷ seats in effect at asOf (the latest plan
 *   change at or before asOf, else the customer's seats); null without seats, and when the window's
 *   events name no user (an integration's calls: no user to count, not no seat used).
 * - `silence_vs_cadence`: days since the last activity ÷ the account's usual gap between active days,
 *   the window's days before the silence (those since the account's first day of use, for an
 *   account younger than the window) ÷ its active days (1 for a daily account, 1.4 for a weekday one, 3.5 for
 *   two days a week). With fewer than 3 active days in the window, the usual gap is read over the
 *   last 180 days (SILENCE_LOOKBACK_DAYS): the time from the first event of the first UTC day of use
 *   whose first event is in them to the last activity ÷ (those days − 1), at least 1 (30 for an
 *   account used once a month); with fewer than 3 there too, 1 (no rhythm to speak of). An account
 *   that comes in short rare visits counts visits there instead of days, a visit being a run of
 *   consecutive UTC days of use: when those days form at least 3 visits of at most SHORT_VISIT_DAYS
 *   on average, fewer than 3 to a window on average (the time from that first event to the last
 *   activity ≥ W/3 × (visits − 1)), the usual gap is that time ÷ (visits − 1) (30 for an account
 *   that comes for two or three days in a row once a month). Such an account's gap is read over the
 *   180 days also when its window holds 3 active days or more, but fewer than 3 visits of at most
 *   SHORT_VISIT_DAYS on average (a couple of its visits: their days over the window would read as a
 *   rhythm of a few days). A window of 180 days or more is its own lookback: below 3 active days,
 *   1. Without activity in the last 180 days, 180 for an account used before them (a silence longer
 *   than the lookback reads as long as it, at least that long, not as no silence), null for an account
 *   never used (no observation: missing data alone puts no account in a bad tier).
 *   An account with a team rhythm whose last event names no user (an integration called after its
 *   team's last event) is measured on its team alone: days since the last event that names a user ÷
 *   the window's days before that silence over the team's days (1 when the silence is as long as the
 *   window, which then holds none of them: counted in days). Its team rhythm: its people on
 *   TEAM_RHYTHM_DAYS or more UTC days (days with an event that names a user, as `team_active_days`)
 *   of the window's length, TEAM_RHYTHM_MAX_WINDOW_DAYS at most, ending at its team's last event,
 *   which is in the last SILENCE_LOOKBACK_DAYS. Counted up to the team's last event, not asOf, so
 *   the silence does not wear the rhythm away: counted over the days ending at asOf, a team that
 *   came weekly read as run by its integration again weeks into its silence, before the silence
 *   had cost it a tier, and a daily one within two months. An integration calling every day would otherwise hide a team
 *   gone quiet; an account without such a rhythm (no named users, an admin who looks in now and
 *   then) reads every event, its integration's calls being its use, and so does one whose last
 *   event is its team's (the same silence on either reading, and the rules above for its rhythm),
 *   and one whose team has not come in the last SILENCE_LOOKBACK_DAYS (see TEAM_RHYTHM_DAYS).
 * - `payment_failure_streak`: FAILED payments in the window after the last PAID one at or before asOf.
 * - `unpaid_past_due`: invoices (distinct `dueAt`) due in `(asOf − W, asOf − 1 day]` with a payment
 *   recorded by asOf, not refunded, and none of its payments paid by asOf (status PAID and
 *   `paidAt` (else `occurredAt`) at or before asOf).
 * - `failed_invoice_streak`: as `payment_failure_streak`, counting invoices instead of attempts: the
 *   distinct invoices of the FAILED payments in the window after the last PAID one at or before
 *   asOf, an invoice told by its `dueAt` (a card's retries of one invoice count once), a payment
 *   without `dueAt` its own invoice.
 * - `unpaid_past_grace`: as `unpaid_past_due`, an invoice counting only once it is UNPAID_GRACE_DAYS
 *   past due: invoices due in `(asOf − W, asOf − UNPAID_GRACE_DAYS]` with a payment recorded by
 *   asOf, not refunded, and none of its payments paid by asOf.
 * - `unpaid_later_than_usual`: as `unpaid_past_grace`, with the account's own habit as the grace when
 *   it is longer: an invoice counts once it is as far past its due date as the latest the account
 *   paid an invoice due in the last LATENESS_HISTORY_DAYS (from the due date to its first payment,
 *   paid by asOf), at least UNPAID_GRACE_DAYS and at most LATE_FOR_ANYONE_DAYS. An invoice with no
 *   FAILED payment recorded by asOf (one awaiting payment on its terms) counts only once it is
 *   AWAITING_PAYMENT_GRACE_DAYS past due.
 * - `contraction`: 1 − min(ARR at asOf ÷ the highest ARR in effect during the window, the same for
 *   seats), from the plan-change history; 0 when nothing was lowered, null without history. The
 *   window starts at the sign-up at the earliest: a plan before it is no plan the customer had.
 * - `urgent_open_tickets`: HIGH or URGENT tickets open at asOf (their last status change at or
 *   before asOf is OPEN or PENDING).
 * - `urgent_tickets_open_throughout`: HIGH or URGENT tickets (their severity as of asOf) open
 *   throughout the window: open at its start, asOf − W, and at asOf, with no SOLVED status change
 *   in between (a ticket solved and reopened within the window has not waited all of it: its wait
 *   starts again at the reopening).
 * - `rated_tickets`: tickets opened in the window with a CSAT rating as of asOf (the tickets
 *   `csat_mean` averages; 0 when it is null).
 * - `nps_weighted`: NPS of the responses in the window weighted by recency (a response's weight
 *   halves every 30 days of age: promoters +100, passives 0, detractors −100); null without responses.
 * - `nps_mean_score`: the mean of the responses' scores (0–10) in the window, weighted by recency as
 *   `nps_weighted`; null without responses. NPS counts a 6 and a 0 alike as a detractor; this tells
 *   an angry answer from a lukewarm one.
 * - `nps_angry_answers`: responses in the window scoring 0–4.
 */
/**
 * How far back `silence_vs_cadence` looks for the last activity (past it, an account's silence reads
 * as long as the lookback: at least that), and for the rhythm of an account with too few active days
 * in its window.
 */
export const SILENCE_LOOKBACK_DAYS = 180;

/**
 * The metrics of an account's recent use against its usual use that read 0 (none of it) for an
 * account silent through their whole extent (the baseline; both windows of `usage_trend`) that was
 * used before it, as they read once the recent window is empty and the baseline is not: a silence
 * longer than the baseline is a silence, not an account without data. Read as missing (until
 * session 65), a silence past the baseline lowered the score's coverage below `minCoverage`, and
 * lifted the red flags raised on these metrics before it. By what the account must have used
 * before: any event, an event that names a user (the metrics of its team's size), or a feature.
 */
export const READ_AS_NONE_AFTER_USE: ReadonlyMap<MetricKind, 'events' | 'users' | 'features'> = new Map([
  ['usage_trend', 'events'],
  ['active_days_trend', 'events'],
  ['events_trend', 'events'],
  ['team_active_days_trend', 'events'],
  ['active_days_vs_prior', 'events'],
  ['events_vs_prior', 'events'],
  ['active_users_trend', 'users'],
  ['active_users_vs_usual', 'users'],
  ['feature_breadth_trend', 'features'],
]);

/**
 * The team days (days with an event that names a user) in the window's length ending at the team's
 * last event from which `silence_vs_cadence` and `days_since_last_activity` measure an account's
 * silence on its team's events alone: about one a week over 60 days, the team rhythm `team_gone`
 * asks of an account before it calls its team gone. An account run by its integration, whose admin
 * looks in once or twice a month, has fewer, and its integration's calls are its use.
 *
 * The team's last event is looked for over the last SILENCE_LOOKBACK_DAYS, how far back every
 * silence is read: a team silent longer reads as run by its integration. Not the churn window
 * (`lifecycle.churnWindowDays`): the lifecycle churns an account on its last event of any kind, which
 * the integration keeps recent, so past the churn window the score alone says that its team is gone,
 * and the team's silence must outlast it. Half a year of an integration's calls alone is how the
 * account is used by then (a team that handed its work to an API client), and its silence has been
 * flagged (`lapsing`, `long_silence`) for months.
 */
export const TEAM_RHYTHM_DAYS = 6;

/**
 * The longest window over which TEAM_RHYTHM_DAYS are counted: a metric of a longer window
 * (`days_since_last_activity` over 90 days, say) asks for them in the 60 days ending at the team's
 * last event, the team rhythm `team_gone` asks for.
 */
export const TEAM_RHYTHM_MAX_WINDOW_DAYS = 60;

/**
 * The longest mean visit (a run of consecutive UTC days of use) of an account that comes in short
 * bursts, for `silence_vs_cadence`: a monthly visit of two or three days in a row is one visit, not
 * two or three days a month. Longer, the runs are use with breaks (a daily account's holiday).
 */
export const SHORT_VISIT_DAYS = 3;

/**
 * How long past its due date an invoice may stay unpaid before `unpaid_past_grace` counts it: two
 * weeks, the length of a card's usual dunning schedule (retries spread over up to two weeks, or a
 * customer's new card), within which an invoice whose first charge failed is routinely settled. A
 * week flagged healthy accounts whose invoice a later retry paid, in the populations built outside
 * (bench/README.md, session 49). A constant of the product, not of a model: every model version that
 * reads `unpaid_past_grace` reads it, older ones in a backtest included.
 */
export const UNPAID_GRACE_DAYS = 14;

/**
 * How far back `unpaid_later_than_usual` looks for the account's habit of paying late: six months,
 * about six monthly invoices or two quarterly ones.
 */
export const LATENESS_HISTORY_DAYS = 180;

/**
 * The longest grace `unpaid_later_than_usual` gives an account for its habit: an invoice unpaid a
 * month past its due date is late for any account, whatever it let happen before (one invoice held
 * back for months over a dispute would otherwise excuse every later one).
 */
export const LATE_FOR_ANYONE_DAYS = 30;

/**
 * How long past its due date `unpaid_later_than_usual` leaves an invoice with no failed charge: two
 * months. Such an invoice awaits a payment on its terms (a transfer on net 30, say), not a card that
 * stopped working, and customers that stay pay such invoices weeks late as a matter of course: an
 * outside population's late payers, up to 45 days past due with never a failed charge, were most
 * of the unpaid-invoice flag's false alarms (bench/README.md, session 64), while every payment
 * trouble before a churn, in that population and in ours, had failed charges. An invoice held two
 * months past its due date is late for any account.
 */
export const AWAITING_PAYMENT_GRACE_DAYS = 60;

export type MetricKind =
  | 'active_days'
  | 'team_active_days'
  | 'distinct_features'
  | 'days_since_last_activity'
  | 'usage_trend'
  | 'users_added'
  | 'payment_success_rate'
  | 'late_payments'
  | 'csat_mean'
  | 'open_tickets'
  | 'ticket_count'
  | 'nps'
  | 'active_days_trend'
  | 'events_trend'
  | 'team_active_days_trend'
  | 'active_days_vs_prior'
  | 'events_vs_prior'
  | 'events_per_active_day_vs_prior'
  | 'users_per_team_day_vs_prior'
  | 'active_users_trend'
  | 'active_users_vs_usual'
  | 'feature_breadth_trend'
  | 'active_users_vs_leanest'
  | 'feature_breadth_vs_leanest'
  | 'feature_days_per_feature'
  | 'ticket_volume_trend'
  | 'seat_utilisation'
  | 'silence_vs_cadence'
  | 'payment_failure_streak'
  | 'unpaid_past_due'
  | 'failed_invoice_streak'
  | 'unpaid_past_grace'
  | 'unpaid_later_than_usual'
  | 'contraction'
  | 'urgent_open_tickets'
  | 'urgent_tickets_open_throughout'
  | 'rated_tickets'
  | 'nps_weighted'
  | 'nps_mean_score'
  | 'nps_angry_answers';

export const METRIC_KINDS: readonly MetricKind[] = [
  'active_days',
  'team_active_days',
  'distinct_features',
  'days_since_last_activity',
  'usage_trend',
  'users_added',
  'payment_success_rate',
  'late_payments',
  'csat_mean',
  'open_tickets',
  'ticket_count',
  'nps',
  'active_days_trend',
  'events_trend',
  'team_active_days_trend',
  'active_days_vs_prior',
  'events_vs_prior',
  'events_per_active_day_vs_prior',
  'users_per_team_day_vs_prior',
  'active_users_trend',
  'active_users_vs_usual',
  'feature_breadth_trend',
  'active_users_vs_leanest',
  'feature_breadth_vs_leanest',
  'feature_days_per_feature',
  'ticket_volume_trend',
  'seat_utilisation',
  'silence_vs_cadence',
  'payment_failure_streak',
  'unpaid_past_due',
  'failed_invoice_streak',
  'unpaid_past_grace',
  'unpaid_later_than_usual',
  'contraction',
  'urgent_open_tickets',
  'urgent_tickets_open_throughout',
  'rated_tickets',
  'nps_weighted',
  'nps_mean_score',
  'nps_angry_answers',
];

/**
 * Metrics read from the account's use of the product (engagement events and the plan's seats beside
 * them). In an account's first weeks they describe its onboarding, not a change: a trial team that
 * settles at its core users, or a ramp-up, reads as a shrinking team or a doubling against a baseline
 * that is the onboarding itself. The other metrics (payments, support, NPS, a contraction) are facts
 * whatever the account's age.
 */
export const USAGE_METRICS: ReadonlySet<MetricKind> = new Set<MetricKind>([
  'active_days',
  'team_active_days',
  'distinct_features',
  'days_since_last_activity',
  'usage_trend',
  'users_added',
  'active_days_trend',
  'events_trend',
  'team_active_days_trend',
  'active_days_vs_prior',
  'events_vs_prior',
  'events_per_active_day_vs_prior',
  'users_per_team_day_vs_prior',
  'active_users_trend',
  'active_users_vs_usual',
  'feature_breadth_trend',
  'active_users_vs_leanest',
  'feature_breadth_vs_leanest',
  'feature_days_per_feature',
  'seat_utilisation',
  'silence_vs_cadence',
]);

/** Metrics that compare a recent window with the account's own baseline before it: they need `baselineDays`. */
export const BASELINE_METRICS: ReadonlySet<MetricKind> = new Set<MetricKind>([
  'active_days_trend',
  'events_trend',
  'team_active_days_trend',
  'active_days_vs_prior',
  'events_vs_prior',
  'events_per_active_day_vs_prior',
  'users_per_team_day_vs_prior',
  'active_users_trend',
  'active_users_vs_usual',
  'feature_breadth_trend',
  'active_users_vs_leanest',
  'feature_breadth_vs_leanest',
  'feature_days_per_feature',
  'ticket_volume_trend',
]);

/** The `_vs_leanest` metrics: they compare the recent window with earlier windows of its length. */
export const LEANEST_METRICS: ReadonlySet<MetricKind> = new Set<MetricKind>(['active_users_vs_leanest', 'feature_breadth_vs_leanest']);

/** One aggregate the SQL layer must compute per customer; `key` is `metricKey(metric, windowDays, baselineDays)`. */
export interface MetricRequest {
  metric: MetricKind;
  windowDays: number;
  /** Only for BASELINE_METRICS: the length of the baseline, which ends at asOf like the recent window. */
  baselineDays?: number;
  key: string;
}

/** What the SQL layer returns per customer: metric key (e.g. `active_days_30`) → value or null. */
export type MetricValues = Record<string, number | null | undefined>;

/**
 * Maps a raw metric value to 0…1 (1 = healthy).
 * - `target`: min(1, x / target) — "20 active days a month is all we ask".
 * - `inverse_target`: 1 − min(1, x / max) — loads, where more is worse (5 open tickets → 0).
 * - `recency`: 1 up to `fullDays`, then linearly down to 0 at `zeroDays` (days since something).
 * - `linear`: (x − min) / (max − min), clamped — e.g. NPS −100…100, or a ratio band.
 * - `ratio`: x clamped to 0…1 — already a share, e.g. payment success rate.
 */
export type Normaliser =
  | { kind: 'target'; target: number }
  | { kind: 'inverse_target'; max: number }
  | { kind: 'recency'; fullDays: number; zeroDays: number }
  | { kind: 'linear'; min: number; max: number }
  | { kind: 'ratio' };

/**
 * What to do when a signal's metric is null (no data).
 * - `neutral`: count the signal with this normalised `value` (0…1); it still carries its weight.
 * - `exclude`: drop the signal; the weights of the others are scaled up to fill its place.
 */
export type MissingPolicy = { policy: 'neutral'; value: number } | { policy: 'exclude' };

export interface SignalConfig {
  /** Unique across the model (signals and penalties); the key of per-signal detail in HealthScore. */
  name: string;
  metric: MetricKind;
  /** Lookback window in whole days, > 0. */
  windowDays: number;
  /** Baseline in whole days, longer than the window and ending with it; required by (and only by) BASELINE_METRICS. */
  baselineDays?: number;
  normaliser: Normaliser;
  /** Relative weight, ≥ 0. Only ratios matter: the score divides by the sum of included weights. */
  weight: number;
  missing: MissingPolicy;
  /**
   * Measured only while each of these conditions holds (as a penalty's `onlyWhen`: a condition whose
   * metric is missing holds); otherwise the signal takes its `missing` policy's value, yet is not
   * missing data (it counts towards coverage: the conditions' metrics were measured). A usage trend
   * can so leave a silence to the silence signal instead of counting it twice. `startOnly` has no
   * meaning here.
   */
  onlyWhen?: PenaltyCondition[];
}

export interface ComponentConfig {
  /** e.g. engagement, payments, support, nps. */
  name: string;
  signals: SignalConfig[];
}

/**
 * Points subtracted after weighting when a metric crosses a threshold. Null metrics never apply.
 * - `direction: 'at_least'`: applies when value ≥ threshold (counts: late payments, ticket spikes).
 * - `direction: 'below'`: applies when value < threshold (usage_trend < 0.8 = usage down ≥ 20 %).
 * With `perUnit`, the points are per unit of the metric (−5 per failed payment), capped at
 * `maxPoints`; only meaningful with `at_least`.
 * With `onlyWhen`, it applies only while each of those conditions holds as well (a condition whose
 * metric is missing holds back nothing): a red flag can ask that a decline still shows over the last
 * days, or that the account is still in use while its team shrinks. With `unconditionalThreshold`
 * too, it applies either way once its metric is that far past the threshold: a silence that needs
 * two usual gaps to flag, or a week before the churn window whatever the gaps.
 */
export interface PenaltyConfig {
  name: string;
  metric: MetricKind;
  windowDays: number;
  baselineDays?: number;
  direction: 'at_least' | 'below';
  threshold: number;
  points: number;
  perUnit?: boolean;
  /** Cap for `perUnit` penalties; defaults to uncapped. */
  maxPoints?: number;
  /** Conditions that must hold too (see above); at most MAX_PENALTY_CONDITIONS. */
  onlyWhen?: PenaltyCondition[];
  /**
   * A value of the penalty's own metric, past `threshold` in its `direction`, from which it applies
   * whatever its `onlyWhen` conditions: the flag applies when its conditions hold, or when its metric
   * has gone this far. Widened by `penaltyHysteresis` as the threshold is. Only with `onlyWhen`.
   */
  unconditionalThreshold?: number;
}

/** A metric crossing a threshold, as a penalty's own: `at_least` is value ≥ threshold, `below` value < threshold. */
export interface PenaltyCondition {
  metric: MetricKind;
  windowDays: number;
  baselineDays?: number;
  direction: 'at_least' | 'below';
  threshold: number;
  /**
   * Checked only to raise the flag: a penalty that applied at the previous scoring is kept without it
   * (its metric and other conditions still count, widened by `penaltyHysteresis`). For a condition on
   * how a decline starts (not a return from a holiday) rather than on how long it lasts.
   */
  startOnly?: boolean;
}

export const MAX_PENALTY_CONDITIONS = 4;

/**
 * A score band. A band covers [lowerBound, next better band's lowerBound); the best band reaches 100.
 * Severity ranks the bands: 0 = best, higher = worse, strictly increasing as lowerBound falls.
 */
export interface TierBand {
  key: string;
  label: string;
  /** Integer 0…100. Exactly one band starts at 0. */
  lowerBound: number;
  severity: number;
}

// The enumerations of the scoring domain, each defined once here as a value (its members) and a type
// (their union). The GraphQL layer registers these same objects as enums (scoring.enums.ts,
// outreach.types.ts), so the model stays free of GraphQL.

export const Trend = { IMPROVING: 'IMPROVING', STABLE: 'STABLE', DECLINING: 'DECLINING' } as const;
export type Trend = (typeof Trend)[keyof typeof Trend];

export const LifecycleStage = {
  ONBOARDING: 'ONBOARDING',
  ACTIVE: 'ACTIVE',
  AT_RISK: 'AT_RISK',
  CHURNED: 'CHURNED',
  ADVOCATE: 'ADVOCATE',
} as const;
export type LifecycleStage = (typeof LifecycleStage)[keyof typeof LifecycleStage];

/** A tier change's direction; a first scoring has no previous tier (NEW). */
export const TierDirection = { WORSENED: 'WORSENED', IMPROVED: 'IMPROVED', NEW: 'NEW' } as const;
export type TierDirection = (typeof TierDirection)[keyof typeof TierDirection];

export const OutreachAudience = { CUSTOMER: 'CUSTOMER', TEAM: 'TEAM' } as const;
export type OutreachAudience = (typeof OutreachAudience)[keyof typeof OutreachAudience];

/** EMAIL and IN_APP reach the customer; SLACK and CRM_TASK reach the team. */
export type OutreachChannel = 'EMAIL' | 'IN_APP' | 'SLACK' | 'CRM_TASK';

export const OutreachStatus = {
  DECIDED: 'DECIDED',
  SKIPPED_OPT_OUT: 'SKIPPED_OPT_OUT',
  SUPPRESSED_COOLDOWN: 'SUPPRESSED_COOLDOWN',
  SUPPRESSED_DUPLICATE: 'SUPPRESSED_DUPLICATE',
} as const;
export type OutreachStatus = (typeof OutreachStatus)[keyof typeof OutreachStatus];

/** What fired a playbook; stored on OutreachAction.trigger. */
export type PlaybookTrigger = 'TIER_WORSENED' | 'SCORE_DROP' | 'CRITICAL' | 'AT_RISK_DECLINING' | 'SILENCE' | 'EXPANSION';

export interface PlaybookAction {
  /** e.g. check_in_email, success_resources, offer, csm_alert, escalation_flag, executive_outreach. */
  action: string;
  audience: OutreachAudience;
  channel: OutreachChannel;
  /**
   * Message with `{{placeholders}}`: customerName, score, previousScore, tier, previousTier,
   * trigger, daysSinceLastActivity (see TEMPLATE_PLACEHOLDERS).
   */
  template: string;
  /**
   * High-value escalation: the action is only planned when the customer's arrCents ≥
   * model.escalationArrCents and the current tier is one of the two worst bands; otherwise it is
   * left out entirely (not logged as skipped). Default false.
   */
  escalation?: boolean;
}

/**
 * A named list of actions and what runs it. The key is logged on OutreachAction.playbook and is
 * the unit of the cooldown, so each playbook cools down independently.
 * - `tier`: runs for customers in `tierKey` when a risk trigger fires (tier worsened, score drop,
 *   critical, at-risk-and-declining).
 * - `silence`: runs when a previously active account has had no activity for model.silenceAlertDays.
 * - `expansion`: runs for advocates, or for customers in the best band scoring ≥ `minScore`, that
 *   have been in no worse tier for `holdDays` (default 14 when absent; 0 turns the hold off).
 */
export type PlaybookConfig =
  | { key: string; kind: 'tier'; tierKey: string; actions: PlaybookAction[]; cooldownDays?: number }
  | { key: string; kind: 'silence'; actions: PlaybookAction[]; cooldownDays?: number }
  | { key: string; kind: 'expansion'; minScore: number; holdDays?: number; actions: PlaybookAction[]; cooldownDays?: number };

export interface ScoringModelConfig {
  components: ComponentConfig[];
  penalties: PenaltyConfig[];
  tiers: TierBand[];
  /**
   * Points a score must move past a band's bounds before it leaves its previous tier (both default
   * models 2, as the specification states). Across model versions, only a tier whose bounds are
   * unchanged is held (tierHeldFrom).
   */
  hysteresis: number;
  /**
   * Share of a red flag's threshold (and of each of its conditions') by which a flag that applied at
   * the customer's previous scoring must clear it before it lifts: with 0.1, `team_shrinking` (below
   * 0.5 while in use on ≥ 0.6 of the usual days) stays until the team is back to 0.55 or use falls
   * under 0.54. Absent or 0: a flag follows its threshold exactly. The default model: 0.1.
   */
  penaltyHysteresis?: number;
  /** Trend = score vs the score `windowDays` earlier; beyond ±`threshold` points it is not STABLE. */
  trend: { windowDays: number; threshold: number };
  lifecycle: {
    /** Days after signup during which a customer is ONBOARDING. Default 30. */
    onboardingDays: number;
    /**
     * An account whose score rests on less than this share of the model's signal weight (coverage)
     * is thinly observed and counts as ONBOARDING whatever its age. Default 0 (off) when absent.
     */
    minCoverage?: number;
    /** Days without activity after which a customer counts as CHURNED. Default 60. */
    churnWindowDays: number;
    /** ADVOCATE needs score ≥ this … Default 80. */
    advocateMinScore: number;
    /** … and account NPS ≥ this. Default 50. */
    advocateMinNps: number;
  };
  /** A score drop of ≥ `points` against the peak of the last `withinDays` days runs the tier playbook. Default 15 / 14. */
  scoreDrop: { points: number; withinDays: number };
  playbooks: PlaybookConfig[];
  /** Days during which a playbook does not run again for the same customer (overridable per playbook). Default 7. */
  cooldownDays: number;
  /** ARR (cents) from which an account gets escalation actions when in the two worst bands. */
  escalationArrCents: number;
  /** Days of silence after which a previously active account raises a team alert. Default 7. */
  silenceAlertDays: number;
  /**
   * …and how many of the account's usual gaps between days of use the silence must also last, where
   * the model measures the silence in them (a `silence_vs_cadence` signal or flag): an account used
   * once a week is not alerted every week after its usual quiet days. Absent: calendar days alone.
   */
  silenceAlertGaps?: number;
}

export interface SignalResult {
  name: string;
  component: string;
  /** The metric value as the SQL layer returned it; null when missing. */
  rawValue: number | null;
  /** Normalised 0…1 value used in the score (the neutral value when missing-neutral); null when excluded. */
  value: number | null;
  /** Configured weight. */
  weight: number;
  /** Share of the score this signal carried after redistribution, 0…1 (0 when excluded). */
  effectiveWeight: number;
  /** Score points this signal adds (before penalties); they sum to `scoreBeforePenalties` up to rounding. */
  contribution: number;
  missing: boolean;
}

export interface ComponentResult {
  name: string;
  /** Weighted mean of the included signals, 0…100; null when every signal was excluded as missing. */
  score: number | null;
  /** Share of the score this component carried, 0…1 (sums to 1 over components with a score). */
  weight: number;
  /** Share of this component's configured weight that was observed, 0…1. */
  coverage: number;
}

export interface PenaltyResult {
  name: string;
  rawValue: number | null;
  /** Points subtracted (0 when not applied). */
  points: number;
  applied: boolean;
  /** Its metric crossed the threshold, but a condition in its `onlyWhen` did not hold: what kept it from applying. */
  heldBack: boolean;
  /** When held back: the conditions that did not hold (absent for scores stored before they were kept). */
  heldBackBy?: HeldBackBy[];
  /**
   * Applied only because it applied at the previous scoring and its metric or a condition has not yet
   * cleared the threshold by the model's `penaltyHysteresis`; absent otherwise.
   */
  kept?: boolean;
}

/** A condition of a penalty's `onlyWhen` that did not hold: its position there, and its metric's value (4 decimals). */
export interface HeldBackBy {
  condition: number;
  value: number;
}

/** A held-back condition described: the condition as the model states it, and its metric's value. */
export interface HeldBackCondition extends PenaltyCondition {
  value: number;
}

export interface ScoreResult {
  /** Final score, integer 0…100. */
  score: number;
  /** round(100·Σwv/Σw) before penalties. */
  scoreBeforePenalties: number;
  components: ComponentResult[];
  signals: SignalResult[];
  penalties: PenaltyResult[];
  /** Share of the model's total signal weight that was actually observed, 0…1. */
  coverage: number;
}
