// The engagement metrics of a batch of customers as of a time, in one statement. Engagement is the
// big table, so it is read through its daily rollup (`engagement_day`): a UTC day with a window
// boundary between its first and its last event is read from the raw events; every other day lies
// wholly inside or outside each window and comes from the rollup. The result is exactly what
// aggregating the raw events would give, for any asOf (test/scoring/gather-metrics.test.ts checks
// it against the reference).
import { Db, json, query } from '../infra/sql';
import {
  earlierWindowOffsets,
  READ_AS_NONE_AFTER_USE,
  SHORT_VISIT_DAYS,
  SILENCE_LOOKBACK_DAYS,
  TEAM_RHYTHM_DAYS,
  TEAM_RHYTHM_MAX_WINDOW_DAYS,
} from './model';
import type { MetricRequest } from './model';

const DAY_MS = 86_400_000;

export function checkedDays(value: number): number {
  if (!Number.isInteger(value) || value <= 0 || value > 3650)
    throw new Error(`window of ${value} days is not a whole number of days in 1…3650`);
  return value;
}

/** A span of whole UTC days, first to last, as day numbers (days since 1970-01-01). */
interface DaySpan {
  first: number;
  last: number;
}

/**
 * What a sum in `t` adds up over its rows `x`, and which rows count: events and users added over
 * every row; rollup days, those naming a user, their features, their users and the logarithms of
 * their event counts over rollup rows only (a split day's raw events are counted apart, per distinct day).
 */
type Measure = 'events' | 'users_added' | 'days' | 'team_days' | 'feature_days' | 'person_days' | 'log_events';

const MEASURES: Record<Measure, { total: string; rows?: string; type: 'int8' | 'float8' }> = {
  events: { total: 'sum(x.events)', type: 'int8' },
  users_added: { total: 'sum(x.users_added)', type: 'int8' },
  days: { total: 'count(*)', rows: 'not x.raw', type: 'int8' },
  team_days: { total: 'count(*)', rows: 'not x.raw and cardinality(x.users) > 0', type: 'int8' },
  feature_days: { total: 'sum(cardinality(x.features))', rows: 'not x.raw', type: 'int8' },
  person_days: { total: 'sum(cardinality(x.users))', rows: 'not x.raw', type: 'int8' },
  log_events: { total: 'sum(ln(x.events::float8))', rows: 'not x.raw', type: 'float8' },
};

function utcDate(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** How far back a request reads: its window, its baseline (which ends at asOf too), or the window before it for usage_trend. */
export function engagementExtentDays(request: MetricRequest): number {
  const days = checkedDays(request.windowDays);
  if (request.metric === 'usage_trend') return 2 * days;
  return Math.max(days, request.baselineDays === undefined ? 0 : checkedDays(request.baselineDays));
}

/**
 * The aggregates a set of requests needs, each named once: sums and counts per window over the
 * rows `x`, and distinct values (features, users) per window. A window is
 * `(asOf − days − offset, asOf − offset]`.
 */
class EngagementPlan {
  readonly boundaries = new Set<number>();
  private readonly windows = new Map<string, string>();
  /** The sums and counts per customer over rows `x` (CTE `t`), each of a measure over a window ending at asOf (its days; null for one that holds every row), by alias. */
  readonly sums = new Map<string, { measure: Measure; days: number | null }>();
  /** The spans of whole UTC days on which `t` tells whether the customer has a row (`eventOnEarlierDays`), by alias. */
  readonly rowSpans = new Map<string, DaySpan>();
  /** Distinct values per window ending at asOf, by alias: the window's start (exclusive). */
  readonly rawDays = new Map<string, string>();
  /** Distinct days among the raw events that name a user, per window, by alias. */
  readonly rawTeamDays = new Map<string, string>();
  /** Distinct (day, feature) pairs among the raw events of split days, per window, by alias. */
  readonly rawFeatureDays = new Map<string, string>();
  /** Distinct (day, user) pairs among the raw events of split days, per window, by alias. */
  readonly rawPersonDays = new Map<string, string>();
  readonly features = new Map<string, string>();
  readonly users = new Map<string, string>();
  /** Distinct values per earlier window of whole UTC days (`distinctEarlier`), by alias: its days. */
  readonly earlierFeatures = new Map<string, DaySpan>();
  readonly earlierUsers = new Map<string, DaySpan>();
  /** Windows whose users' days of use are counted (`userDays`), by alias: the window's start, or null for one that holds every row. */
  readonly userDaysWindows = new Map<string, string | null>();
  /** Sums over each customer's users (`usualUsers`) in `us`, as SQL over its groups `s` of one user each, by alias. */
  readonly usualUsersSums = new Map<string, string>();
  /** Windows whose split days' per-day event counts are summed as logarithms (`logDays`), by name: the window's SQL test. */
  readonly splitDayLogs = new Map<string, string>();
  /** When the account's days of use over SILENCE_LOOKBACK_DAYS are counted (lateral `sparse`), as SQL tests: any of them. */
  readonly sparseWhen: string[] = [];
  /** Windows whose visits `sparse` counts among its days, by their length in days: the window's start (exclusive), as SQL. */
  readonly sparseWindows = new Map<number, string>();
  /** The UTC days (as day numbers) where a span of whole days begins or ends (its last day + 1). */
  readonly daySpanBounds = new Set<number>();
  /** Whether `t` takes the latest event that names a user among the rows `x` (`teamLastAt`). */
  readsTeamLastAt = false;
  /**
   * The lengths in days of the team rhythms asked for (`teamSilence`), each with its team days among
   * the rows `x` ending at asOf, as SQL: the probe `team` counts them up to the team's last event
   * for the accounts they leave below TEAM_RHYTHM_DAYS.
   */
  readonly teamRhythms = new Map<number, string>();

  /** `extentDays`: how far back the rows `x` reach (every window lies within them). */
  constructor(
    private readonly asOf: Date,
    private readonly extentDays: number,
  ) {
    this.boundaries.add(asOf.getTime());
  }

  /** The SQL test of window `name` over `x.at`, or none (`true`) for a window of `days` that holds every row `x`. */
  private within(days: number, name: string): string | null {
    return days >= this.extentDays ? null : this.condition(name);
  }

  /** The SQL test of a window over `x.at`, registered as a boundary pair; returns its name. */
  window(days: number, offsetDays = 0): string {
    return this.span(checkedDays(days), offsetDays);
  }

  /** `window` without the bound on its length: a sum's window may reach back twice the longest (`sum`). */
  private span(days: number, offsetDays = 0): string {
    const name = `${days}_${offsetDays}`;
    if (!this.windows.has(name)) {
      const end = this.asOf.getTime() - offsetDays * DAY_MS;
      const start = end - days * DAY_MS;
      this.boundaries.add(start).add(end);
      this.windows.set(
        name,
        `x.at > '${new Date(start).toISOString()}'::timestamptz and x.at <= '${new Date(end).toISOString()}'::timestamptz`,
      );
    }
    return name;
  }

  condition(name: string): string {
    return this.windows.get(name) as string;
  }

  /**
   * The sum of `measure` over a window, as SQL over `t`. Sums add up, so a window that ends before
   * asOf is the difference of two that end there: the windows ending at asOf nest, and share their sums.
   */
  private sum(measure: Measure, days: number, offsetDays = 0): string {
    if (offsetDays > 0) return `(${this.sum(measure, days + offsetDays)} - ${this.sum(measure, offsetDays)})`;
    const name = this.span(days);
    const alias = `${measure}_${name}`;
    if (!this.sums.has(alias)) this.sums.set(alias, { measure, days: this.within(days, name) === null ? null : days });
    return `coalesce(t."${alias}", 0)`;
  }

  /** A window ending at asOf, registered like `window`; returns its name and its start as SQL. */
  private recent(days: number): { name: string; start: string } {
    return { name: this.window(days), start: this.windowStart(days) };
  }

  /** The start (exclusive) of the window of `days` ending at asOf, as SQL. */
  windowStart(days: number): string {
    return `'${new Date(this.asOf.getTime() - days * DAY_MS).toISOString()}'::timestamptz`;
  }

  /** The first instant within the window of `days` ending at asOf (timestamps are whole microseconds), as ISO 8601 text. */
  windowFirstInstant(days: number): string {
    return new Date(this.asOf.getTime() - days * DAY_MS).toISOString().replace(/Z$/, '001Z');
  }

  events(days: number, offsetDays = 0): string {
    return this.sum('events', checkedDays(days), offsetDays);
  }

  usersAdded(days: number): string {
    return this.sum('users_added', checkedDays(days));
  }

  /**
   * Active UTC days up to asOf: rollup rows are one per day; raw events of a split day count their day
   * once. With `teamOnly`, the days with an event that names a user (the team's days).
   */
  activeDays(days: number, teamOnly = false): string {
    const { name, start } = this.recent(days);
    const [alias, raw, cte] = teamOnly ? [`tdays_${name}`, this.rawTeamDays, 'td'] : [`days_${name}`, this.rawDays, 'rd'];
    raw.set(alias, start);
    return `(${this.sum(teamOnly ? 'team_days' : 'days', days)} + coalesce(${cte}."${alias}", 0))`;
  }

  /**
   * Feature-days up to asOf (each day's distinct features, summed over the days): a rollup row holds
   * its day's distinct features; the raw events of a split day count each of its (day, feature) pairs once.
   */
  featureDays(days: number): string {
    const { name, start } = this.recent(days);
    const alias = `fdays_${name}`;
    this.rawFeatureDays.set(alias, start);
    return `(${this.sum('feature_days', days)} + coalesce(fd."${alias}", 0))`;
  }

  /**
   * Person-days up to asOf (each day's distinct users, summed over the days; `userDays` is each
   * user's days instead): a rollup row holds its day's distinct users; the raw events of a split day
   * count each of its (day, user) pairs once.
   */
  personDays(days: number): string {
    const { name, start } = this.recent(days);
    const alias = `pdays_${name}`;
    this.rawPersonDays.set(alias, start);
    return `(${this.sum('person_days', days)} + coalesce(pd."${alias}", 0))`;
  }

  private distinct(kind: 'features' | 'users', days: number): string {
    const { name, start } = this.recent(days);
    const alias = `${kind}_${name}`;
    (kind === 'features' ? this.features : this.users).set(alias, start);
    return `coalesce(${kind === 'features' ? 'fe' : 'us'}."${alias}", 0)`;
  }

  /**
   * The typical day of use of a window: the geometric mean of its UTC days' event counts (a day cut by
   * the window's start counts its part in it); null without a day of use. A rollup row is a whole
   * day; the raw events of split days are summed per day first (CTE `sl`).
   */
  typicalEventsPerDay(days: number, offsetDays = 0): string {
    const name = this.window(days, offsetDays);
    this.splitDayLogs.set(name, this.condition(name));
    const n = `(${this.sum('days', days, offsetDays)} + coalesce(sl."nday_${name}", 0))`;
    return `case when ${n} > 0 then exp((${this.sum('log_events', days, offsetDays)} + coalesce(sl."lnday_${name}", 0)) / ${n}) end`;
  }

  /** The UTC days `days` of them ending `offsetDays` days before asOf's, and a name for them. */
  private earlierDays(days: number, offsetDays: number): { name: string; span: DaySpan } {
    const lastDay = Math.floor(this.asOf.getTime() / DAY_MS) - offsetDays;
    const span = { first: lastDay - checkedDays(days) + 1, last: lastDay };
    this.daySpanBounds.add(span.first).add(span.last + 1);
    return { name: `d${days}_${offsetDays}`, span };
  }

  /** Whether the UTC days `days` of them ending `offsetDays` days before asOf's hold a row `x` (an event). */
  eventOnEarlierDays(days: number, offsetDays: number): string {
    const { name, span } = this.earlierDays(days, offsetDays);
    this.rowSpans.set(`rows_${name}`, span);
    return `coalesce(t."rows_${name}", false)`;
  }

  /** Distinct features or users on the UTC days `days` of them ending `offsetDays` days before asOf's. */
  distinctEarlier(kind: 'features' | 'users', days: number, offsetDays: number): string {
    const { name, span } = this.earlierDays(days, offsetDays);
    const alias = `${kind}_${name}`;
    (kind === 'features' ? this.earlierFeatures : this.earlierUsers).set(alias, span);
    return `coalesce(${kind === 'features' ? 'fe' : 'us'}."${alias}", 0)`;
  }

  distinctFeatures(days: number): string {
    return this.distinct('features', days);
  }

  distinctUsers(days: number): string {
    return this.distinct('users', days);
  }

  /**
   * The latest event that names a user among the rows `x` (those of the extent, up to asOf), as SQL
   * (null without one): a rollup day's `team_last_at`, a split day's raw events that name a user.
   */
  teamLastAt(): string {
    this.readsTeamLastAt = true;
    return 't.team_last_at';
  }

  /** Each user's UTC days of use up to asOf over a window ending there, as an array per customer (null without users). */
  userDays(days: number): string {
    return `us."${this.userDaysAlias(days)}"`;
  }

  private userDaysAlias(days: number): string {
    const { name, start } = this.recent(days);
    const alias = `udays_${name}`;
    this.userDaysWindows.set(alias, this.within(days, name) === null ? null : start);
    return alias;
  }

  /**
   * The visits (runs of consecutive UTC days) among the days of use of the window of `days` ending
   * at asOf, counted in `sparse`: for the accounts it reads (its `sparseWhen`) only, 0 for the others.
   */
  sparseWindowVisits(days: number): string {
    this.sparseWindows.set(days, this.windowStart(days));
    return `sparse."visits_${days}"`;
  }

  /**
   * Σ 1 − (1 − W/B)^d over the users of a baseline of B days, d each one's days of use in it
   * (`userDays`). A window of B days touches at most B + 1 UTC days, so each user's term is looked up
   * among the terms for 1 … B + 1 days, computed once for the statement by the same expression: the
   * same values, without a power of numerics per user.
   */
  usualUsers(w: number, b: number): string {
    const days = `s."${this.userDaysAlias(b)}"`;
    const alias = `usual_${w}_${b}`;
    const term = (d: string) => `1 - power(greatest(0, 1 - ${w} / ${b}.0), ${d})`;
    const terms = `(select array_agg(${term('d')} order by d) from generate_series(1, ${b + 1}) d)`;
    this.usualUsersSums.set(alias, `sum(coalesce(${terms}[${days}], ${term(days)})) filter (where ${days} > 0)`);
    return `us."${alias}"`;
  }
}

/**
 * The `_vs_leanest` metrics: the window's distinct users or features ÷ the fewest of an earlier
 * window that holds an event and began once the account was in use (its first day of use at least
 * offset + W − 1 days before asOf's; `observed_days` is null when the account was in use before the
 * extent, which holds every earlier window).
 */
function vsLeanest(plan: EngagementPlan, kind: 'users' | 'features', w: number, b: number): string {
  const earlier = earlierWindowOffsets(w, b).map(
    (offset) =>
      `case when ${plan.eventOnEarlierDays(w, offset)} and coalesce(a.observed_whole_days, ${b}) >= ${offset + w - 1}
        then ${plan.distinctEarlier(kind, w, offset)} end`,
  );
  if (earlier.length === 0) return 'null';
  const recent = kind === 'users' ? plan.distinctUsers(w) : plan.distinctFeatures(w);
  // Written out twice rather than read from a subquery: a subplan run for every customer costs more
  // than the second reading, which only the accounts with a leanest window make.
  const fewest = `least(${earlier.join(', ')})`;
  return `case when ${plan.events(w)} = 0 then null
    when ${fewest} > 0 then least(2.0, ${recent}::float8 / ${fewest}) end`;
}

/**
 * The window's distinct users against how many of the baseline's users a window of its length
 * usually sees: a user of d days in the baseline is in a window of W of its B days with chance
 * 1 − (1 − W/B)^d (B: the days the baseline observed, `observed`).
 */
function activeUsersVsUsual(plan: EngagementPlan, w: number, b: number, observed: string): string {
  const usual = `(select sum(1 - power(greatest(0, 1 - ${w} / ${observed}), d)) as users from unnest(${plan.userDays(b)}) d)`;
  // In use for the whole baseline (most accounts), B is the baseline's: that sum is taken in `us`.
  const overBaseline = plan.usualUsers(w, b);
  return `case when ${plan.events(b)} = ${plan.events(w)} then null
    when coalesce(a.observed_days, ${b}) >= ${b} then case when ${overBaseline} > 0 then least(2.0, ${plan.distinctUsers(w)} / ${overBaseline}) end
    else (select least(2.0, ${plan.distinctUsers(w)} / usual.users) from ${usual} usual where usual.users > 0) end`;
}

/** `active_days_trend` over the team's days, or over every day for an account whose baseline names nobody. */
function teamActiveDaysTrend(plan: EngagementPlan, w: number, b: number, rateRatio: (recent: string, baseline: string) => string): string {
  const teamBaseline = plan.activeDays(b, true);
  return `case when ${teamBaseline} = 0 then ${rateRatio(plan.activeDays(w), plan.activeDays(b))}
    else ${rateRatio(plan.activeDays(w, true), teamBaseline)} end`;
}

/** `users_per_team_day_vs_prior`: user-days per team day in the window against the baseline's days before it. */
function usersPerTeamDayVsPrior(plan: EngagementPlan, w: number, b: number, young: string): string {
  const [personDays, teamDays, baselinePersonDays, baselineTeamDays] = [
    plan.personDays(w),
    plan.activeDays(w, true),
    plan.personDays(b),
    plan.activeDays(b, true),
  ];
  return `case when ${teamDays} = 0 or ${baselineTeamDays} = ${teamDays} or ${young} then null
    else least(2.0, (${personDays})::float8 / ${teamDays} / ((${baselinePersonDays} - ${personDays})::float8 / (${baselineTeamDays} - ${teamDays}))) end`;
}

/**
 * Whether the silence of an account is read on its team's events over a window of `w` days, as SQL,
 * and the days since the team's last event: an account with a team rhythm (TEAM_RHYTHM_DAYS or more
 * team days in the window's length, TEAM_RHYTHM_MAX_WINDOW_DAYS at most, ending at the team's last
 * event, which is in the last SILENCE_LOOKBACK_DAYS) whose last event is not its team's (an
 * integration called since). The team's days in the rhythm's length ending at asOf are among the
 * rows `x`, and all of them are in the days ending at its last event too (none came after it): an
 * account with TEAM_RHYTHM_DAYS of them has its rhythm with no probe. The others' are counted by the
 * probe `team` (`teamRhythmJoin`), which also looks for the team's last event when the rows hold none.
 */
function teamSilence(plan: EngagementPlan, w: number, asOfIso: string): { applies: string; daysSince: string } {
  const rhythmDays = Math.min(w, TEAM_RHYTHM_MAX_WINDOW_DAYS);
  const recentTeamDays = plan.activeDays(rhythmDays, true);
  plan.teamRhythms.set(rhythmDays, recentTeamDays);
  const teamLastAt = `coalesce(${plan.teamLastAt()}, team.last_at)`;
  const lookbackStart = new Date(Date.parse(asOfIso) - SILENCE_LOOKBACK_DAYS * DAY_MS).toISOString();
  return {
    applies: `(${teamLastAt} < a.last_at and ${teamLastAt} > '${lookbackStart}'::timestamptz
      and (${recentTeamDays} >= ${TEAM_RHYTHM_DAYS} or team."days_${rhythmDays}" >= ${TEAM_RHYTHM_DAYS}))`,
    daysSince: `extract(epoch from ('${asOfIso}'::timestamptz - ${teamLastAt})) / 86400.0`,
  };
}

/**
 * `silence_vs_cadence`. The usual gap is the part of the window before the silence over its active
 * days: the silence itself is no part of the rhythm, or a long one would lengthen the gap it is
 * measured in and read as shorter the longer it lasts. The window's days are those the account has
 * been in use, as for the baselines. Below 3 active days the window holds no rhythm, and the gap is
 * read over the lookback (an account used once a month, whose silences of weeks are its habit), as
 * the mean gap between its days of use; below 3 there either, a day is the unit. An account that
 * comes in short bursts (a monthly visit of two days in a row) has fewer than 3 visits in its window
 * though more days: its days over the window would read as a rhythm of a few days. When its lookback
 * holds at least 3 such visits, rare ones, its usual gap is the mean gap between them there. An
 * account with a team rhythm whose integration called after its team's last event reads its team's
 * silence in its team's gaps, the same window formula over the team's days.
 */
function silenceVsCadence(plan: EngagementPlan, w: number, daysSince: string, asOfIso: string): string {
  const activeDays = plan.activeDays(w);
  const gapsSince = (since: string, days: string) => `${since} / (greatest(least(${w}.0, a.observed_days) - ${since}, 1) / ${days})`;
  const windowFormula = gapsSince(daysSince, activeDays);
  const team = teamSilence(plan, w, asOfIso);
  // A silence as long as the window leaves none of the team's days in it, and none of the window's
  // before it: counted in days.
  const teamSilenceFormula = `when ${team.applies} then ${gapsSince(team.daysSince, `greatest(${plan.activeDays(w, true)}, 1)`)}`;
  const noRecentUse = `when a.last_at is null or a.last_at <= '${asOfIso}'::timestamptz - interval '${SILENCE_LOOKBACK_DAYS} days'
    then ${silenceWithoutRecentUse(asOfIso)}`;
  if (w >= SILENCE_LOOKBACK_DAYS)
    return `case ${teamSilenceFormula} ${noRecentUse} when ${activeDays} >= 3 then ${windowFormula} else ${daysSince} end`;
  // Fewer than 3 visits of at most SHORT_VISIT_DAYS each on average are at most twice that many
  // days: accounts with more are not read in the lookback, and pay no scan for it.
  plan.sparseWhen.push(`${activeDays} <= ${2 * SHORT_VISIT_DAYS}`);
  const windowVisits = plan.sparseWindowVisits(w);
  const span = `extract(epoch from (a.last_at - sparse.first_at)) / 86400.0`;
  // At least 3 short visits in the lookback, fewer than 3 to a window on average.
  const inVisits = `(sparse.visits >= 3 and sparse.days <= ${SHORT_VISIT_DAYS} * sparse.visits and 3 * ${span} >= ${w} * (sparse.visits - 1))`;
  const burstsInWindow = `(${windowVisits} < 3 and ${activeDays} <= ${SHORT_VISIT_DAYS} * ${windowVisits})`;
  return `case ${teamSilenceFormula} ${noRecentUse}
    when ${activeDays} >= 3 and not (${burstsInWindow} and ${inVisits}) then ${windowFormula}
    when ${inVisits} then ${daysSince} / greatest(${span} / (sparse.visits - 1), 1)
    when sparse.days >= 3 then ${daysSince} / greatest(${span} / (sparse.days - 1), 1)
    else ${daysSince} end`;
}

/**
 * `silence_vs_cadence` without activity in the lookback: the lookback itself (silent at least that
 * long) for an account used before it, null for one never used. One index probe of the rollup, for
 * such an account only: a day of use on or before the lookback's first day (a day after it would
 * have been found by the scan).
 */
function silenceWithoutRecentUse(asOfIso: string): string {
  return `(select ${SILENCE_LOOKBACK_DAYS}.0 where a.last_at is not null or exists (
    select 1 from engagement_day d
    where d.customer_id = c.id and d.day <= ('${asOfIso}'::timestamptz - interval '${SILENCE_LOOKBACK_DAYS} days')::date))`;
}

/**
 * `value` for an account used at or before `since` (what `needed` asks: any event, one that names a
 * user, one with a feature), null for the others. One index probe of the rollup, for an account
 * with no activity after `since` only (the caller's test), bounded to the days up to `since`'s: an
 * account whose days never held what is asked (an integration's calls name no user) would otherwise
 * have every day it has read at each scoring.
 */
function usedBefore(since: string, needed: 'events' | 'users' | 'features', value: number): string {
  const before = `'${since}'::timestamptz`;
  const day = {
    events: `d.first_at <= ${before}`,
    users: `d.team_last_at <= ${before}`,
    features: `d.first_at <= ${before} and cardinality(d.features) > 0`,
  };
  const known = needed === 'events' ? 'a.last_at is not null or ' : '';
  return `(select (${value})::float8 where ${known}exists (
    select 1 from engagement_day d where d.customer_id = c.id and d.day <= ${before}::date and ${day[needed]}))`;
}

/**
 * A metric of READ_AS_NONE_AFTER_USE: 0 when its extent holds no activity for an account that used
 * before it what the metric needs, else the metric as `outputFor` reads it.
 */
function readAsNoneAfterUse(r: MetricRequest, expression: string, asOf: number): string {
  const needed = READ_AS_NONE_AFTER_USE.get(r.metric);
  if (needed === undefined) return expression;
  const since = new Date(asOf - engagementExtentDays(r) * DAY_MS).toISOString();
  // Nothing in the extent, the metric itself reads null: no baseline.
  return `case when a.last_at > '${since}'::timestamptz then ${expression} else ${usedBefore(since, needed, 0)} end`;
}

/** One output column per request, as SQL over the plan's aggregates. */
function outputFor(plan: EngagementPlan, r: MetricRequest, asOfIso: string): string {
  const w = checkedDays(r.windowDays);
  const b = r.baselineDays === undefined ? 0 : checkedDays(r.baselineDays);
  // The days the baseline observed: no more than the account has been in use (`a.observed_days`, null
  // without activity), or the days before its first activity would count as days without any.
  const observed = `least(${b}.0, a.observed_days)`;
  // Null when the baseline holds nothing before the window (a new or returning account): there is
  // no usual level to compare with, and the window over itself would read as usage doubling.
  const rateRatio = (recent: string, baseline: string) =>
    `case when ${baseline} = ${recent} then null else least(2.0, (${recent})::float8 / ${w} / ((${baseline})::float8 / ${observed})) end`;
  // The `_vs_prior` metrics compare with the whole baseline before the window: a younger account's first
  // weeks (its setup, a trial) are no usual level to measure a decline against.
  const young = `a.observed_days < ${b}`;
  // The baseline's days before the recent window: its sums less the window's, no further read.
  const priorRatio = (recent: string, baseline: string) =>
    `case when ${baseline} = ${recent} or ${young} then null
      else least(2.0, (${recent})::float8 / ${w} / ((${baseline} - ${recent})::float8 / ${b - w})) end`;
  const shareRatio = (recent: string, baseline: string) => `case when ${baseline} = 0 then null else (${recent})::float8 / ${baseline} end`;
  const daysSince = `extract(epoch from ('${asOfIso}'::timestamptz - a.last_at)) / 86400.0`;
  switch (r.metric) {
    case 'active_days':
      return plan.activeDays(w);
    case 'team_active_days':
      return plan.activeDays(w, true);
    case 'distinct_features':
      return plan.distinctFeatures(w);
    case 'days_since_last_activity': {
      // Over the lookback (the scan reaches it); an account used only before it is silent at least that long.
      const lookback = Math.max(w, SILENCE_LOOKBACK_DAYS);
      const since = new Date(Date.parse(asOfIso) - lookback * DAY_MS).toISOString();
      const team = teamSilence(plan, w, asOfIso);
      return `case when ${team.applies} then ${team.daysSince} when a.last_at > '${since}'::timestamptz then ${daysSince}
        else ${usedBefore(since, 'events', lookback)} end`;
    }
    case 'usage_trend': {
      const recent = plan.events(w);
      const previous = plan.events(w, w);
      return `case when ${recent} = 0 and ${previous} = 0 then null when ${previous} = 0 then 2.0 else least(2.0, ${recent}::float8 / ${previous}) end`;
    }
    case 'users_added':
      return plan.usersAdded(w);
    case 'active_days_trend':
      return rateRatio(plan.activeDays(w), plan.activeDays(b));
    case 'events_trend':
      return rateRatio(plan.events(w), plan.events(b));
    case 'team_active_days_trend':
      return teamActiveDaysTrend(plan, w, b, rateRatio);
    case 'active_days_vs_prior':
      return priorRatio(plan.activeDays(w), plan.activeDays(b));
    case 'events_vs_prior':
      return priorRatio(plan.events(w), plan.events(b));
    case 'events_per_active_day_vs_prior': {
      // The milder of two readings, each blind where the other sees: the mean day, which one day of
      // thousands of events (an import, a scripted sync) in the days before would hold high for two
      // months, and the typical (geometric mean) day, which a few new light days (a quick weekend
      // look) would pull down.
      const [events, days, baselineEvents, baselineDays] = [plan.events(w), plan.activeDays(w), plan.events(b), plan.activeDays(b)];
      const mean = `(${events})::float8 / ${days} / ((${baselineEvents} - ${events})::float8 / (${baselineDays} - ${days}))`;
      const typical = `${plan.typicalEventsPerDay(w)} / ${plan.typicalEventsPerDay(b - w, w)}`;
      return `case when ${days} = 0 or ${baselineDays} = ${days} or ${baselineEvents} = ${events} or ${young} then null
        else least(2.0, greatest(${mean}, ${typical})) end`;
    }
    case 'users_per_team_day_vs_prior':
      return usersPerTeamDayVsPrior(plan, w, b, young);
    // Nothing before the window: no usual team or features yet, only the window's own. Nobody came in
    // it: none of them seen, 0 (a red flag raised before a silence is not lifted by it).
    case 'active_users_trend':
      return `case when ${plan.events(b)} = ${plan.events(w)} then null
        else ${shareRatio(plan.distinctUsers(w), plan.distinctUsers(b))} end`;
    case 'active_users_vs_usual':
      return activeUsersVsUsual(plan, w, b, observed);
    case 'feature_breadth_trend':
      return `case when ${plan.events(b)} = ${plan.events(w)} then null
        else ${shareRatio(plan.distinctFeatures(w), plan.distinctFeatures(b))} end`;
    case 'active_users_vs_leanest':
    case 'feature_breadth_vs_leanest':
      return vsLeanest(plan, r.metric === 'active_users_vs_leanest' ? 'users' : 'features', w, b);
    case 'feature_days_per_feature':
      return shareRatio(plan.featureDays(w), plan.distinctFeatures(b));
    case 'seat_utilisation': {
      // Events that name no user (an integration's calls) say nothing of the seats in use.
      const users = plan.distinctUsers(w);
      return `case when seats.seats > 0 and not (${users} = 0 and ${plan.events(w)} > 0) then ${users}::float8 / seats.seats end`;
    }
    case 'silence_vs_cadence':
      return silenceVsCadence(plan, w, daysSince, asOfIso);
    default:
      throw new Error(`not an engagement metric: ${r.metric}`);
  }
}

/** The bounds of the plan's spans of whole days, in order: a day's bucket is how many are at or before it. */
function sortedDayBounds(plan: EngagementPlan): number[] {
  return [...plan.daySpanBounds].sort((a, b) => a - b);
}

/**
 * Which spans of whole days a group of rows has a row on, as bit masks (`bit_or` over the rows, a
 * bit per bucket of days between the spans' bounds, 63 buckets to a mask): one aggregate for every
 * span, where a count per span would test each row against each.
 */
function dayMasks(plan: EngagementPlan, day: string): string[] {
  const bounds = sortedDayBounds(plan);
  const bucket = `width_bucket(${day}, '{${bounds.map((d) => utcDate(d * DAY_MS)).join(',')}}'::date[])`;
  // Buckets run from 0 (before the first bound) to the number of bounds.
  if (bounds.length < 63) return [`bit_or(1::int8 << ${bucket}) as dmask0`];
  return dayMaskColumns(plan).map(
    (alias, k) => `bit_or(1::int8 << (${bucket} - ${k * 63})) filter (where ${bucket} between ${k * 63} and ${k * 63 + 62}) as ${alias}`,
  );
}

/** The names of the columns `dayMasks` computes. */
function dayMaskColumns(plan: EngagementPlan): string[] {
  return Array.from({ length: Math.floor(plan.daySpanBounds.size / 63) + 1 }, (_, k) => `dmask${k}`);
}

/** Whether the masks of `dayMasks` (columns `dmask0`, … of `alias`) hold a row on the days of `span`, as SQL (null without rows). */
function onDays(plan: EngagementPlan, alias: string, span: DaySpan): string {
  const bounds = sortedDayBounds(plan);
  // The span's buckets: from its first day's to the one before the day after its last.
  const [from, to] = [bounds.indexOf(span.first) + 1, bounds.indexOf(span.last + 1)];
  const tests: string[] = [];
  for (let k = Math.floor(from / 63); k <= Math.floor(to / 63); k++) {
    const [low, high] = [Math.max(from, k * 63) - k * 63, Math.min(to, k * 63 + 62) - k * 63];
    tests.push(`${alias}.dmask${k} & ${(1n << BigInt(high + 1)) - (1n << BigInt(low))}::int8 <> 0`);
  }
  return tests.join(' or ');
}

/**
 * The plan's sums per customer in two steps: first per customer and `b`, the number of the windows'
 * starts a row is after (each measure summed once per row, where a sum per window would test each row
 * against each window), then per customer, each window's sum over the groups with `b` at least its
 * rank among the starts (the windows all end at asOf, so they nest). A start is exclusive; timestamps
 * are whole microseconds, so a row is after it when it is at or after the next microsecond.
 */
function windowSums(plan: EngagementPlan): { perBucket: string; perCustomer: string[] } {
  const spans = [...new Set([...plan.sums.values()].map((s) => s.days).filter((d): d is number => d !== null))].sort((a, b) => b - a);
  const starts = spans.map((days) => plan.windowFirstInstant(days));
  const measures = [...new Set([...plan.sums.values()].map((s) => s.measure))];
  const perMeasure = measures.map((m) => {
    const { total, rows } = MEASURES[m];
    return `${rows === undefined ? total : `${total} filter (where ${rows})`} as "${m}"`;
  });
  // A constant array: one written as array[…] of timestamps would be built again for every row.
  const bucket = starts.length === 0 ? '0' : `width_bucket(x.at, '{${starts.join(',')}}'::timestamptz[])`;
  const masks = plan.rowSpans.size > 0 ? dayMasks(plan, 'x.day') : [];
  const teamLast = plan.readsTeamLastAt ? ['max(x.team_last_at) as team_last_at'] : [];
  const perBucket = `select x.customer_id, ${bucket} as b, ${['max(x.last_at) as last_at', ...teamLast, 'min(x.day) as first_day', ...perMeasure, ...masks].join(', ')}
      from x group by 1, 2`;
  const perCustomer = [...plan.sums].map(([alias, { measure, days }]) => {
    const within = days === null ? '' : ` filter (where y.b >= ${spans.indexOf(days) + 1})`;
    return `coalesce(sum(y."${measure}")${within}, 0)::${MEASURES[measure].type} as "${alias}"`;
  });
  return { perBucket, perCustomer };
}

/** The CTE `t`: the plan's sums per customer, and whether it has a row on each span of `rowSpans`. */
function sumsCte(plan: EngagementPlan): string {
  const { perBucket, perCustomer: sums } = windowSums(plan);
  const masks = plan.rowSpans.size > 0 ? dayMaskColumns(plan).map((alias) => `bit_or(y.${alias}) as ${alias}`) : [];
  const teamLast = plan.readsTeamLastAt ? ['max(y.team_last_at) as team_last_at'] : [];
  const perCustomer = `select y.customer_id, ${['max(y.last_at) as last_at', ...teamLast, 'min(y.first_day) as first_day', ...sums, ...masks].join(', ')}
      from (${perBucket}) y group by y.customer_id`;
  if (plan.rowSpans.size === 0) return `t as (${perCustomer})`;
  const spans = [...plan.rowSpans].map(([alias, span]) => `${onDays(plan, 's', span)} as "${alias}"`);
  return `t as (select s.*, ${spans.join(', ')} from (${perCustomer}) s)`;
}

/** Over the groups `s` of one value each, how many values have a row on each earlier window's days: its distinct values. */
function earlierDistinctCounts(plan: EngagementPlan, earlier: Map<string, DaySpan>): string[] {
  return [...earlier].map(([alias, span]) => `count(*) filter (where ${onDays(plan, 's', span)}) as "${alias}"`);
}

/**
 * A CTE counting, per customer and window, the distinct values of `value` (an expression over the
 * rows `x`, a set-returning one for arrays) over `source`. Every row `x` is at or before asOf and
 * every window ends there, so a value is in a window when its latest row is after the window's
 * start: each value is grouped once, keeping only its latest instant. The earlier windows of whole
 * days (`earlier`) count the value's rows on their days. An empty CTE when no window needs it.
 */
function distinctCountsCte(
  name: string,
  source: string,
  value: string,
  windows: Map<string, string>,
  plan: EngagementPlan,
  earlier = new Map<string, DaySpan>(),
): string {
  if (windows.size === 0 && earlier.size === 0) return `${name} as (select null::text as customer_id where false)`;
  const counts = [...windows].map(([alias, start]) => `count(*) filter (where s.latest > ${start}) as "${alias}"`);
  const perValue = ['max(v.at) as latest', ...(earlier.size > 0 ? dayMasks(plan, 'v.day') : [])];
  return `${name} as (select s.customer_id, ${[...counts, ...earlierDistinctCounts(plan, earlier)].join(', ')} from (
      select v.customer_id, v.value, ${perValue.join(', ')} from (select x.customer_id, x.at, x.day, ${value} as value from ${source}) v group by 1, 2
    ) s group by 1)`;
}

/**
 * The CTE `us`: per customer and window, its distinct users (as `distinctCountsCte`) and, for the
 * windows that ask (`userDays`), the array of each user's UTC days of use in it. For those, the raw
 * events of a split day are first made one row per user and day, as a rollup day's users are.
 */
function usersCte(plan: EngagementPlan): string {
  if (plan.userDaysWindows.size === 0) return distinctCountsCte('us', 'x', 'unnest(x.users)', plan.users, plan, plan.earlierUsers);
  const source = `(select x.customer_id, x.at, x.day, unnest(x.users) as value from x where not x.raw
      union all
      select r.customer_id, max(r.at), r.day, r.value from (select x.customer_id, x.day, x.at, unnest(x.users) as value from x where x.raw) r
      group by r.customer_id, r.day, r.value) v`;
  const days = [...plan.userDaysWindows].map(([alias, start]) =>
    start === null ? `count(*) as "${alias}"` : `count(*) filter (where v.at > ${start}) as "${alias}"`,
  );
  const counts = [
    ...[...plan.users].map(([alias, start]) => `count(*) filter (where s.latest > ${start}) as "${alias}"`),
    ...[...plan.userDaysWindows.keys()].map((alias) => `array_agg(s."${alias}") filter (where s."${alias}" > 0) as "${alias}"`),
    ...[...plan.usualUsersSums].map(([alias, sum]) => `${sum} as "${alias}"`),
    ...earlierDistinctCounts(plan, plan.earlierUsers),
  ];
  const masks = plan.earlierUsers.size > 0 ? dayMasks(plan, 'v.day') : [];
  return `us as (select s.customer_id, ${counts.join(', ')} from (
      select v.customer_id, v.value, max(v.at) as latest, ${[...days, ...masks].join(', ')} from ${source} group by 1, 2
    ) s group by 1)`;
}

/**
 * A CTE of the raw events of split days, summed per UTC day within each window and then as
 * logarithms per customer, with the count of those days (`typicalEventsPerDay`). An empty CTE when no
 * window needs it.
 */
function splitDayLogsCte(windows: Map<string, string>): string {
  if (windows.size === 0) return `sl as (select null::text as customer_id where false)`;
  const perDay = [...windows].map(([name, condition]) => `sum(x.events) filter (where ${condition}) as "${name}"`);
  const logs = [...windows.keys()].map((name) => `sum(ln(d."${name}"::float8)) as "lnday_${name}", count(d."${name}") as "nday_${name}"`);
  return `sl as (select d.customer_id, ${logs.join(', ')} from (
      select x.customer_id, ${perDay.join(', ')} from x where x.raw group by x.customer_id, x.day
    ) d group by 1)`;
}

/** Whether a cut falls between the first and the last event of rollup day `d`, as SQL. */
function splitBy(cuts: number[]): string {
  return `(${cuts
    .map((ms) => {
      const at = new Date(ms).toISOString();
      return `(d.day = '${utcDate(ms)}'::date and d.first_at <= '${at}'::timestamptz and d.last_at > '${at}'::timestamptz)`;
    })
    .join(' or ')})`;
}

/**
 * The CTEs `rollup` (the rollup days of the extent, each marked when a cut falls between its first
 * and last event), `raw` (the events of the split days, up to asOf) and `x`, the rows the aggregates
 * read. Takes the customers from `c`, and the extent's first and last UTC day as parameters.
 */
function engagementRowsCtes(cuts: number[], sumStart: string, asOfIso: string): string {
  return `rollup as materialized (
       select d.customer_id, d.day, d.first_at, d.last_at, d.team_last_at, d.event_count, d.user_added_count, d.features, d.user_ids, ${splitBy(cuts)} as split
       from engagement_day d
       -- One bitmap scan for the whole batch: each heap page is read once, however many of the
       -- batch's customers have a day on it (a page holds one day of many accounts), not once per customer.
       where d.customer_id = any(array(select id from c)) and d.day >= ?::date and d.day <= ?::date
     ),
     -- One index range scan per split day (OFFSET 0 keeps the planner from flattening it).
     raw as materialized (
       select e.* from rollup d
       join lateral (
         select customer_id, occurred_at, event_type, feature, user_id from engagement_event
         where customer_id = d.customer_id and occurred_at >= d.day::timestamp at time zone 'UTC' and occurred_at < (d.day + 1)::timestamp at time zone 'UTC'
           and occurred_at > '${sumStart}'::timestamptz and occurred_at <= '${asOfIso}'::timestamptz
         offset 0
       ) e on true
       where d.split
     ),
     -- The days wholly within the extent that no cut splits, and the split days' events; read in
     -- place by each aggregate.
     x as not materialized (
       select d.customer_id, false as raw, d.first_at as at, d.day, d.event_count as events, d.user_added_count as users_added, d.last_at,
              d.team_last_at, d.features, d.user_ids as users
       from rollup d
       where not d.split and d.first_at > '${sumStart}'::timestamptz and d.last_at <= '${asOfIso}'::timestamptz
       union all
       select e.customer_id, true, e.occurred_at, (e.occurred_at at time zone 'UTC')::date, 1, (e.event_type = 'user_added')::int, e.occurred_at,
              case when e.user_id is not null then e.occurred_at end,
              case when e.feature is null then '{}'::text[] else array[e.feature] end,
              case when e.user_id is null then '{}'::text[] else array[e.user_id] end
       from raw e
     )`;
}

/**
 * The days of use over SILENCE_LOOKBACK_DAYS, the first instant of use among them and the visits
 * they form (runs of consecutive UTC days), for the accounts a silence request finds with too few
 * active days in its window (one index range scan each; none for the others): a day counts when its
 * first event is within the lookback and at or before asOf. Also the visits among the days of use of
 * each silence window (`sparseWindowVisits`). A window is shorter than the lookback by a day or more,
 * so its days are the last of the lookback's: those with an event after the window's start (their
 * last); a day of the window begins one of its visits when it begins one of the lookback's or the
 * day before it is not in the window.
 */
function sparseLookbackJoin(plan: EngagementPlan, end: number): string {
  if (plan.sparseWhen.length === 0) return '';
  const start = new Date(end - SILENCE_LOOKBACK_DAYS * DAY_MS).toISOString();
  const asOfIso = new Date(end).toISOString();
  const windowVisits = [...plan.sparseWindows].map(
    ([days, windowStart]) =>
      `count(*) filter (where v.last_at > ${windowStart} and (v.begins_visit or not v.previous_last_at > ${windowStart})) as "visits_${days}"`,
  );
  const reads = `(${plan.sparseWhen.join(' or ')})`;
  // Only the accounts it reads scan and sort their days: the test sits above the aggregate (OFFSET 0
  // keeps it out of the scan), and the others take the constant row of zero counts.
  return `left join lateral (
       select s.* from (
         select ${['count(*) as days', 'min(v.first_at) as first_at', 'count(*) filter (where v.begins_visit) as visits', ...windowVisits].join(', ')}
         from (
           select d.first_at, d.last_at, d.day - 1 is distinct from lag(d.day) over days as begins_visit, lag(d.last_at) over days as previous_last_at
           from engagement_day d
           where d.customer_id = c.id
             and d.day >= '${utcDate(end - SILENCE_LOOKBACK_DAYS * DAY_MS)}'::date and d.day <= '${utcDate(end)}'::date
             and d.first_at > '${start}'::timestamptz and d.first_at <= '${asOfIso}'::timestamptz
           window days as (order by d.day)
         ) v
         offset 0
       ) s
       where ${reads}
       union all
       select ${['0::int8', 'null::timestamptz', '0::int8', ...windowVisits.map(() => '0::int8')].join(', ')} where not ${reads}
     ) sparse on true`;
}

/**
 * The probe `team` of `teamSilence`, for the accounts whose team rhythm the rows `x` do not settle
 * (fewer than TEAM_RHYTHM_DAYS team days among them in a rhythm's days ending at asOf) and whose last
 * event is not their team's (one index probe or two each; none for the others): the team's last
 * event (`last_at`), the rows' own when they hold one, else the latest day's of the rollup before
 * them that has one, within SILENCE_LOOKBACK_DAYS (none of the team's events up to asOf is among
 * the rows, so that day's is); and per rhythm of `days` days, the UTC days with an event that names
 * a user in the `days` ending then (`days_<days>`): its own day, and each earlier day whose latest
 * such event is after their start (the rollup's `team_last_at`: earlier days lie wholly before the
 * team's last event). `rowsStart` is where the rows `x` begin (exclusive).
 */
function teamRhythmJoin(plan: EngagementPlan, end: number, rowsStart: number): string {
  if (plan.teamRhythms.size === 0) return '';
  const lookbackStart = end - SILENCE_LOOKBACK_DAYS * DAY_MS;
  const unsettled = [...plan.teamRhythms.values()].map((teamDays) => `${teamDays} < ${TEAM_RHYTHM_DAYS}`);
  const longest = Math.max(...plan.teamRhythms.keys());
  const rhythmStart = (days: number) => `p.last_at - interval '${days * 24} hours'`;
  const counts = [...plan.teamRhythms.keys()].map(
    (days) => `1 + count(d.day) filter (where d.team_last_at > ${rhythmStart(days)}) as "days_${days}"`,
  );
  // OFFSET 0 keeps the planner from flattening p, which would run the probe once per use of last_at.
  return `left join lateral (
       select p.last_at, ${counts.join(', ')}
       from (
         select coalesce(t.team_last_at, (
           select d.team_last_at from engagement_day d
           where d.customer_id = c.id and d.day >= '${utcDate(lookbackStart)}'::date and d.day <= '${utcDate(rowsStart)}'::date
             and d.team_last_at > '${new Date(lookbackStart).toISOString()}'::timestamptz
           order by d.day desc limit 1
         )) as last_at
         where (${unsettled.join(' or ')}) and a.last_at > coalesce(t.team_last_at, '-infinity')
         offset 0
       ) p
       left join engagement_day d on d.customer_id = c.id
         and d.day >= ((${rhythmStart(longest)}) at time zone 'UTC')::date and d.day < (p.last_at at time zone 'UTC')::date
       where p.last_at > '${new Date(lookbackStart).toISOString()}'::timestamptz
       group by p.last_at
     ) team on true`;
}

/**
 * The lateral `a`: the account's last activity (the latest of the rows `x` and of its latest rollup
 * day before asOf's, that one within the scan from `scanStart`), and the days it has been in use
 * (`observed_days`, and their whole days; null for an account in use for the whole extent).
 */
function accountJoin(scanStart: string, asOfIso: string): string {
  return `cross join lateral (
       select nullif(greatest(coalesce(t.last_at, '-infinity'), case when latest_day.last_at > '${scanStart}'::timestamptz then latest_day.last_at end), '-infinity') as last_at,
              o.observed_days, floor(o.observed_days) as observed_whole_days
       from (select extract(epoch from ('${asOfIso}'::timestamptz - (first_day.day::timestamp at time zone 'UTC'))) / 86400.0 as observed_days) o
       -- OFFSET 0 keeps the planner from pulling this up into the outputs, which read its columns many
       -- times each: pulled up, every reading would compute its expression again.
       offset 0
     ) a`;
}

/**
 * Engagement metrics and lastActivityAt for a batch. Sums and counts run in one hash aggregate over
 * rows `x` (rollup days of the longest extent, and raw events of the days a boundary splits);
 * distinct counts (active days among raw events, features, users) are grouped once per value with
 * its latest instant, which tells the windows it appears in. The last activity is the latest of
 * rows `x` up to asOf and the `last_at` of the customer's latest rollup day before asOf's day: one
 * index probe.
 */
export async function aggregateEngagement(
  db: Db,
  requests: MetricRequest[],
  lookbackDays: number,
  ids: string[],
  asOf: Date,
): Promise<Array<Record<string, unknown>>> {
  // Both silence metrics read the last activity over SILENCE_LOOKBACK_DAYS: silence_vs_cadence's
  // lookback, and the call of an integration after a team's last event in it (`teamSilence`).
  const readsSilence = requests.some((r) => r.metric === 'silence_vs_cadence' || r.metric === 'days_since_last_activity');
  const scanDays = readsSilence ? Math.max(lookbackDays, SILENCE_LOOKBACK_DAYS) : lookbackDays;
  const end = asOf.getTime();
  const asOfIso = asOf.toISOString();
  const scanStart = new Date(end - checkedDays(scanDays) * DAY_MS).toISOString();
  // days_since_last_activity reads the rows `x` of its window's last TEAM_RHYTHM_MAX_WINDOW_DAYS at
  // most, the team rhythm's days that settle most accounts (`teamSilence`; the probe `team` reads
  // further back for the others); its own window is only a lookback bound.
  const extentOf = (r: MetricRequest) =>
    r.metric === 'days_since_last_activity' ? Math.min(checkedDays(r.windowDays), TEAM_RHYTHM_MAX_WINDOW_DAYS) : engagementExtentDays(r);
  const extent = Math.max(1, ...requests.map(extentOf));
  const plan = new EngagementPlan(asOf, extent);
  const outputs = requests.map((r) => `${readAsNoneAfterUse(r, outputFor(plan, r, asOfIso), end)} as "${r.key}"`);
  plan.boundaries.add(end - extent * DAY_MS);
  const cuts = [...plan.boundaries].sort((a, b) => a - b);
  const sumStart = new Date(end - extent * DAY_MS).toISOString();
  const ctes = [
    sumsCte(plan),
    distinctCountsCte('rd', 'x where x.raw', 'x.day', plan.rawDays, plan),
    distinctCountsCte('td', 'x where x.raw and cardinality(x.users) > 0', 'x.day', plan.rawTeamDays, plan),
    distinctCountsCte('fd', 'x where x.raw', `x.day::text || ' ' || unnest(x.features)`, plan.rawFeatureDays, plan),
    distinctCountsCte('pd', 'x where x.raw', `x.day::text || ' ' || unnest(x.users)`, plan.rawPersonDays, plan),
    // unnest in the select list: a lateral function scan would set up a tuplestore per row.
    distinctCountsCte('fe', 'x', 'unnest(x.features)', plan.features, plan, plan.earlierFeatures),
    usersCte(plan),
    splitDayLogsCte(plan.splitDayLogs),
  ];
  const needsSeats = requests.some((r) => r.metric === 'seat_utilisation');
  const seatsJoin = needsSeats
    ? `left join lateral (
         select coalesce((select p.seats from customer_plan_change p where p.customer_id = c.id and p.changed_at <= '${asOfIso}'::timestamptz
                          order by p.changed_at desc, p.id desc limit 1), (select cu.seats from customer cu where cu.id = c.id)) as seats
       ) seats on true`
    : '';
  return query(
    db,
    `with c as materialized (select jsonb_array_elements_text(?::jsonb) as id),
     ${engagementRowsCtes(cuts, sumStart, asOfIso)},
     ${ctes.join(',\n     ')}
     select c.id as "customerId", a.last_at as "lastActivityAt"${outputs.map((o) => `, ${o}`).join('')}
     from c
     left join t on t.customer_id = c.id
     left join rd on rd.customer_id = c.id
     left join td on td.customer_id = c.id
     left join fd on fd.customer_id = c.id
     left join pd on pd.customer_id = c.id
     left join fe on fe.customer_id = c.id
     left join us on us.customer_id = c.id
     left join sl on sl.customer_id = c.id
     ${seatsJoin}
     left join lateral (
       select d.last_at from engagement_day d
       where d.customer_id = c.id and d.day >= ?::date and d.day < ?::date
       order by d.day desc limit 1
     ) latest_day on true
     -- The account's first day of use, looked up (one index probe) only when its first day in the
     -- extent is not the extent's first: used on that day, it has been in use for the whole extent,
     -- which holds every window and baseline (observed_days is then null: no shorter baseline).
     left join lateral (
       select d.day from engagement_day d where d.customer_id = c.id and t.first_day > ?::date order by d.day limit 1
     ) first_day on true
     ${sparseLookbackJoin(plan, end)}
     ${accountJoin(scanStart, asOfIso)}
     ${teamRhythmJoin(plan, end, end - extent * DAY_MS)}`,
    [
      json(ids),
      utcDate(end - extent * DAY_MS),
      utcDate(end),
      utcDate(end - scanDays * DAY_MS),
      utcDate(end),
      utcDate(end - extent * DAY_MS),
    ],
  );
}
