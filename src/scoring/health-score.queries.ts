// Read side of scoring: latest scores, history, tier changes, the summary and the worklist.
import {
  addCustomerSegment,
  ARR_AT_RISK_STORED_KEY,
  addSegmentFilter,
  checkCustomerId,
  CUSTOMER_COLUMNS,
  CUSTOMER_ORDERINGS,
  CustomerSegment,
  LIFECYCLE_STAGE_SQL,
  STILL_TO_KEEP,
} from '../customers/customer.service';
import { Customer, CustomerOrder } from '../customers/customer.types';
import { ensure } from '../infra/errors';
import { checkStrings, filterInstant, labelFilter } from '../infra/input';
import { byTimeThenId, ConnectionResult, keysetPage } from '../infra/pagination';
import { LatestChildSpec, LoaderRegistry, loadChildPage, projectedLatestChild } from '../infra/loaders';
import { Db, json, query } from '../infra/sql';
import { addTimeRange } from '../infra/time-range';
import { bandsBestFirst, isAtRiskTier } from './model';
import { HEALTH_SCORE_COLUMN_MAP, HEALTH_SCORE_COLUMNS, TIER_CHANGE_COLUMNS } from './score-customers';
import { measuredFromPreviousSql, pointOf } from './compared-points.sql';
import { checkModelKeys, getActiveModel, WITH_MODEL_SCORING } from './scoring-model.service';
import type {
  CustomerTierChangesArgs,
  HealthScore,
  HealthScoresArgs,
  HealthSummary,
  HistoryArgs,
  TierChange,
  TierChangesArgs,
} from './scoring.types';

/** The latest scoring of each customer is the one with the greatest asOf. */
export const LATEST_SCORE_JOIN = `cross join lateral (select * from health_score h0 where h0.customer_id = c.id order by h0.as_of desc, h0.id desc limit 1) h`;

/**
 * SQL: how far the point `h` fell from the point before it (previous_score − score, negative for a
 * rise), null without one, when that point was scored by a version that computes scores otherwise
 * (the model moved, not the account), or when it rested on next to nothing (thinly observed: a score
 * of no data is no height to fall from), as the trend, the score-drop trigger and the changes feed read
 * it (measuredFromPreviousSql). The statement names `model_scoring` in its with clause (WITH_MODEL_SCORING).
 */
export const SCORE_DROP_SQL = `case when ${measuredFromPreviousSql(pointOf('h'), { computedAlike: true })} then h.previous_score - h.score end`;

/**
 * A customer's latest score, with the columns `fields` (the selection) asks for: the explanation
 * (`signals`, `penalties`) alone is kilobytes of JSON per score that a dashboard never shows.
 */
export function latestScoreSpec(fields: ReadonlyMap<string, unknown>): LatestChildSpec {
  const spec = { name: 'Customer.currentScore', from: 'health_score h', parentColumn: 'h.customer_id', orderBy: 'h.as_of desc, h.id desc' };
  return projectedLatestChild(spec, HEALTH_SCORE_COLUMN_MAP, withReasonInputs(fields));
}

/**
 * `reasons` is ranked from the explanation: asking for it reads `signals` and `penalties`. The
 * penalties' held-back conditions are told by the model that scored them: `penalties` reads `modelVersion`.
 */
function withReasonInputs(fields: ReadonlyMap<string, unknown>): ReadonlyMap<string, unknown> {
  const inputs = [...(fields.has('reasons') ? ['signals', 'penalties'] : []), ...(fields.has('penalties') ? ['modelVersion'] : [])];
  if (inputs.every((input) => fields.has(input))) return fields;
  const withInputs = new Map(fields);
  for (const input of inputs) if (!withInputs.has(input)) withInputs.set(input, []);
  return withInputs;
}

/**
 * A customer's stored score at an instant, as the graph answers it. By instant, not by id: a
 * concurrent scoring of the same instant replaces the point (one per instant), and this answers
 * the one that stands.
 */
export async function getHealthScoreAt(db: Db, customerId: string, asOf: Date): Promise<HealthScore> {
  const [row] = await query<HealthScore>(
    db,
    `select ${HEALTH_SCORE_COLUMNS} from health_score h where h.customer_id = ? and h.as_of = ?::timestamptz order by h.id desc limit 1`,
    [customerId, asOf.toISOString()],
  );
  if (!row) throw new Error(`customer ${customerId} has no score at ${asOf.toISOString()}`);
  return row;
}

export async function listLatestScores(db: Db, args: HealthScoresArgs): Promise<ConnectionResult<HealthScore>> {
  const where = ['c.health_score is not null'];
  const params: unknown[] = [];
  const tier = labelFilter(args.tier);
  if (tier) {
    await checkModelKeys(db, 'tiers', [tier], 'tier');
    where.push('c.tier = ?');
    params.push(tier);
  }
  ensure(args.minScore == null || (args.minScore >= 0 && args.minScore <= 100), 'minScore must be 0–100', { argument: 'minScore' });
  ensure(args.maxScore == null || (args.maxScore >= 0 && args.maxScore <= 100), 'maxScore must be 0–100', { argument: 'maxScore' });
  ensure(args.minScore == null || args.maxScore == null || args.minScore <= args.maxScore, 'minScore must not be above maxScore', {
    argument: 'minScore',
  });
  // A lost customer (cancelled, or churned by silence) keeps its last tier and goes on being scored,
  // but is in no tier and no average of the book any more (as in `customers(tier:)`, healthSummary):
  // a list narrowed to a tier or a score range is of the accounts still to keep, so that narrowing by
  // both gives what each gives, not a churned account the tier filter alone would leave out.
  if (tier || args.minScore != null || args.maxScore != null) where.push(STILL_TO_KEEP);
  // The order of `customers(orderBy: SCORE_ASC)`, so the two lists share their cursors. The range is
  // written on that order's own expression: the score index then starts at minScore and stops at
  // maxScore, where a condition on the bare column is checked row by row from the lowest score up.
  const { sortKeys, direction } = CUSTOMER_ORDERINGS[CustomerOrder.SCORE_ASC];
  const score = sortKeys[0].expression;
  if (args.minScore != null) {
    where.push(`${score} >= ?`);
    params.push(args.minScore);
  }
  if (args.maxScore != null) {
    where.push(`${score} <= ?`);
    params.push(args.maxScore);
  }
  return keysetPage<HealthScore>(db, {
    select: HEALTH_SCORE_COLUMNS,
    from: `customer c ${LATEST_SCORE_JOIN}`,
    where,
    params,
    sortKeys,
    direction,
    first: args.first,
    after: args.after,
  });
}

/** What both score histories page over: a customer's points, newest first (so the same cursors). */
const HISTORY_PAGE = {
  select: HEALTH_SCORE_COLUMNS,
  from: 'health_score h',
  sortKeys: byTimeThenId('h', 'as_of'),
  direction: 'desc' as const,
};

export async function scoreHistory(db: Db, customerId: string, args: HistoryArgs): Promise<ConnectionResult<HealthScore>> {
  const where = ['h.customer_id = ?'];
  const params: unknown[] = [checkCustomerId(customerId)];
  addTimeRange(where, params, 'h.as_of', args.from, args.to);
  return keysetPage<HealthScore>(db, { ...HISTORY_PAGE, where, params, first: args.first, after: args.after });
}

/**
 * `Customer.scoreHistory`: one statement per page of customers (plus one for totalCount), as every
 * other nested list, rather than one per customer. Same order, so same cursors, as `healthScoreHistory`.
 */
export function loadCustomerScoreHistory(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  args: HistoryArgs,
): Promise<ConnectionResult<HealthScore>> {
  const where: string[] = [];
  const params: unknown[] = [];
  addTimeRange(where, params, 'h.as_of', args.from, args.to);
  return loadChildPage<HealthScore>(db, loaders, customerId, {
    ...HISTORY_PAGE,
    name: 'Customer.scoreHistory',
    parentColumn: 'h.customer_id',
    where,
    params,
    first: args.first,
    after: args.after,
  });
}

/**
 * The instants of the full runs of the present going on at `since`: a run's tier changes are dated at
 * its asOf and committed batch by batch over the seconds after it, so those of a run still going at
 * `since` are dated before it and may have been committed after a change dated later. A client
 * catching up from the last change it received (`tierChanges(since:)`) gets them too, and tells
 * those it has seen by their ids.
 */
async function runsGoingOn(db: Db, since: Date): Promise<Date[]> {
  // `finished_at` is by the database's clock, `since` by an instance's: a run that ended within a
  // minute of it counts as going on (its changes are then sent again, and told apart by their ids).
  const rows = await query<{ asOf: string }>(
    db,
    `select as_of as "asOf" from scoring_run
     where as_of < ? and not backfill and (finished_at is null or finished_at >= ?::timestamptz - interval '1 minute')`,
    [since, since],
  );
  return rows.map((row) => new Date(row.asOf));
}

export async function listTierChanges(db: Db, args: TierChangesArgs): Promise<ConnectionResult<TierChange>> {
  const where: string[] = [];
  const params: unknown[] = [];
  // A bound of a list filter, as `changes(since:)` and every from/to: no instant before 1970.
  const since = filterInstant(args.since, 'since');
  if (since) {
    const runs = await runsGoingOn(db, since);
    where.push('t.changed_at >= ?');
    if (runs.length === 0) params.push(since);
    else {
      // The earliest bound is the index range; the rest of the test filters within it.
      params.push(runs.reduce((earliest, run) => (run < earliest ? run : earliest), since));
      where.push(`(t.changed_at >= ? or t.changed_at = any(array(select jsonb_array_elements_text(?::jsonb)::timestamptz)))`);
      params.push(since, json(runs.map((run) => run.toISOString())));
    }
  }
  if (args.customerId != null) {
    where.push('t.customer_id = ?');
    params.push(checkCustomerId(args.customerId));
  }
  if (args.backfill != null) {
    where.push('t.backfill = ?');
    params.push(args.backfill);
  }
  checkStrings({ csmOwner: args.csmOwner }, '');
  addCustomerSegment(where, params, 't.customer_id', { csmOwner: args.csmOwner });
  return keysetPage<TierChange>(db, {
    select: TIER_CHANGE_COLUMNS,
    from: 'tier_change t',
    where,
    params,
    sortKeys: byTimeThenId('t', 'changed_at'),
    direction: 'asc',
    first: args.first,
    after: args.after,
  });
}

/** `Customer.tierChanges`, newest first: one statement per page of customers (plus one for totalCount). */
export function loadCustomerTierChanges(
  db: Db,
  loaders: LoaderRegistry,
  customerId: string,
  args: CustomerTierChangesArgs,
): Promise<ConnectionResult<TierChange>> {
  return loadChildPage<TierChange>(db, loaders, customerId, {
    name: 'Customer.tierChanges',
    select: TIER_CHANGE_COLUMNS,
    from: 'tier_change t',
    parentColumn: 't.customer_id',
    where: args.backfill == null ? [] : ['t.backfill = ?'],
    params: args.backfill == null ? [] : [args.backfill],
    sortKeys: byTimeThenId('t', 'changed_at'),
    direction: 'desc',
    first: args.first,
    after: args.after,
  });
}

export async function healthSummary(db: Db, segment: CustomerSegment = {}): Promise<HealthSummary> {
  checkStrings({ csmOwner: segment.csmOwner, plan: segment.plan }, '');
  const model = await getActiveModel(db);
  // One CSM's book, one plan's, or everyone's.
  const conditions: string[] = [];
  const ownerParams: unknown[] = [];
  addSegmentFilter(conditions, ownerParams, segment);
  const owned = conditions.length === 0 ? 'true' : conditions.join(' and ');
  const [totals, tiers, stages, components] = await Promise.all([
    query<{ total: number; churned: number; average: number | null }>(
      db,
      `select count(*)::int as total, count(*) filter (where not ${STILL_TO_KEEP})::int as churned,
              avg(health_score) filter (where ${STILL_TO_KEEP})::float8 as average
       from customer c where ${owned}`,
      ownerParams,
    ),
    // A lost customer (cancelled, or CHURNED by silence) keeps its last tier, but is in no tier of the
    // book any more, nor in its averages: it is counted once, as churned.
    query<{ tier: string; count: number; arrCents: string }>(
      db,
      `select tier, count(*)::int as count, sum(arr_cents)::text as "arrCents" from customer c
       where tier is not null and ${STILL_TO_KEEP} and ${owned} group by tier`,
      ownerParams,
    ),
    query<{ stage: string; count: number }>(
      db,
      // The stage as of now, as the customer's own field reads it: churnedCustomers counted the same moment.
      `select ${LIFECYCLE_STAGE_SQL} as stage, count(*)::int as count from customer c where ${LIFECYCLE_STAGE_SQL} is not null and ${owned} group by 1`,
      ownerParams,
    ),
    query<{ name: string; average: number | null }>(
      db,
      // Components are stored as json text (see the health_score entity): each array is parsed once, straight into records.
      `select comp.name, avg(comp.score) as average
       from customer c ${LATEST_SCORE_JOIN} cross join json_to_recordset(h.components) as comp(name text, score float8)
       where ${STILL_TO_KEEP} and ${owned}
       group by 1`,
      ownerParams,
    ),
  ]);
  const tierCounts = new Map(tiers.map((t) => [t.tier, t]));
  const componentAverages = new Map(components.map((c) => [c.name, c.average]));
  return {
    totalCustomers: totals[0].total,
    churnedCustomers: totals[0].churned,
    averageScore: totals[0].average === null ? null : Math.round(totals[0].average * 10) / 10,
    tiers: bandsBestFirst(model.config.tiers).map((band) => {
      const counted = tierCounts.get(band.key);
      return { tier: band.key, label: band.label, count: counted?.count ?? 0, arrCents: Number(counted?.arrCents ?? 0) };
    }),
    components: model.config.components.map((c) => {
      const average = componentAverages.get(c.name);
      return { name: c.name, averageScore: average == null ? null : Math.round(average * 10) / 10 };
    }),
    lifecycleStages: ['ONBOARDING', 'ACTIVE', 'AT_RISK', 'CHURNED', 'ADVOCATE'].map((stage) => ({
      stage: stage as HealthSummary['lifecycleStages'][number]['stage'],
      count: stages.find((s) => s.stage === stage)?.count ?? 0,
    })),
  };
}

/** Narrows the worklist: one CSM's book, one plan, one of the two worst tiers, one lifecycle stage. */
export interface WorklistFilter extends CustomerSegment {
  tier?: string | null;
  lifecycleStage?: string | null;
}

/**
 * Accounts in the two worst tiers that a CS team can still act on (not churned, not onboarding:
 * a young or thinly observed account is never on it for missing data), ranked by ARR × risk
 * (100 − score), then by the latest decline.
 */
export async function worklist(
  db: Db,
  first: number | null | undefined,
  after: string | null | undefined,
  filter: WorklistFilter = {},
): Promise<ConnectionResult<Customer>> {
  const { lifecycleStage } = filter;
  checkStrings({ csmOwner: filter.csmOwner, plan: filter.plan, tier: filter.tier, after }, '');
  const tier = labelFilter(filter.tier);
  const model = await getActiveModel(db);
  const worstTiers = model.config.tiers.filter((band) => isAtRiskTier(model.config.tiers, band.key)).map((band) => band.key);
  if (tier) {
    await checkModelKeys(db, 'tiers', [tier], 'tier');
    ensure(worstTiers.includes(tier), `the worklist holds only the tiers ${worstTiers.join(' and ')}: ${tier} is never on it`, {
      argument: 'tier',
    });
  }
  ensure(
    lifecycleStage !== 'ONBOARDING' && lifecycleStage !== 'CHURNED',
    `the worklist never holds ${lifecycleStage} accounts: onboarding and churned accounts are not acted on`,
    { argument: 'lifecycleStage' },
  );
  const where = [
    'c.tier in (select jsonb_array_elements_text(?::jsonb))',
    STILL_TO_KEEP,
    `c.lifecycle_stage is distinct from 'ONBOARDING'`,
  ];
  const params: unknown[] = [JSON.stringify(worstTiers)];
  addSegmentFilter(where, params, filter);
  for (const [column, value] of [
    // A blank tier is no filter, as in `customers(tier:)`.
    ['tier', tier],
    ['lifecycle_stage', lifecycleStage],
  ] as const) {
    if (value == null) continue;
    where.push(`c.${column} = ?`);
    params.push(value);
  }
  return keysetPage<Customer>(db, {
    with: WITH_MODEL_SCORING,
    select: CUSTOMER_COLUMNS,
    from: `customer c ${LATEST_SCORE_JOIN}`,
    where,
    params,
    sortKeys: [
      // ARR at risk as `customer_arr_at_risk_idx` holds it (every scored account has a score, and the
      // worklist holds no account cancelled by now, so it is ARR_AT_RISK_DESC's value): the index then
      // gives the accounts in this order, and a page stops after its rows instead of sorting every account.
      ARR_AT_RISK_STORED_KEY,
      // The latest decline, none across a model change nor from a thinly observed score (SCORE_DROP_SQL).
      { expression: `coalesce(${SCORE_DROP_SQL}, 0)`, type: 'int' },
      { expression: 'c.id', type: 'text' },
    ],
    direction: 'desc',
    first,
    after,
  });
}
