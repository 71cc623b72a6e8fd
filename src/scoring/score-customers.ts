// Scores a batch of customers as of a time, in one transaction and a bounded number of SQL
// statements whatever the batch size: gather the metrics (one aggregate per signal table), read
// the previous scores and recent outreach (one statement each), run the pure model in memory (with
// one more read, for the accounts the expansion play may reach, of the tiers they left in its hold),
// then write history, current state, tier changes and outreach in one bulk statement each (and,
// when a batch scores before existing history, one more that relinks the points after it: history-links.ts).
// The events to publish are returned, to be published only after the transaction commits.
import { customerStartSql, firstActivitySql } from './customer-start';
import { ColumnMap, selectColumns } from '../infra/columns';
import { Db, inTransaction, json, query } from '../infra/sql';
import { enqueueDeliveries } from '../delivery/enqueue-deliveries.sql';
import { insertOutreachActions, NewOutreachAction } from '../outreach/outreach.service';
import type { OutreachAction } from '../outreach/outreach.types';
import { GatheredCustomer, gatherMetrics } from './gather-metrics.sql';
import { HeldTierRow, linkIntoHistory, MovedChange, PublishedChange, publishedChangesAt, RelinkRow } from './history-links';
import { warmedUpFlags } from './warm-up-flags';
import { MARK_BACKGROUND_WORK } from '../infra/shutdown-drain';
import { appliedPenaltyNames, encodePenalties, encodeSignals, StoredPenalty, StoredSignal } from './signal-storage';
import { ALIKE_VERSIONS_SQL, loadModelConfigs } from './scoring-model.service';
import { tierChangeFromSql, wellObservedSql } from './compared-points.sql';
import {
  assessCustomer,
  carriedFlags,
  changeDirection,
  decidePlaybookActions,
  engagementScoreOf,
  expansionHoldDays,
  flagsDefinedAlike,
  longestCooldownDays,
  metricRequests,
  OutreachStatus,
  PenaltyResult,
  qualifiesForExpansion,
  readsPreviousFlags,
  ScoringModelConfig,
  SignalResult,
  silenceMetricKey,
  TierBand,
} from './model';

const DAY_MS = 86_400_000;

export interface ScoredCustomer {
  id: string;
  customerId: string;
  score: number;
  tier: string;
  trend: string;
  previousScore: number | null;
  components: unknown;
  signals: unknown;
  penalties: unknown;
  coverage: number;
  modelVersion: number;
  asOf: Date;
  computedAt: Date;
  /** As this scoring placed the customer (a stored point written before the column has none: HealthScore). */
  lifecycleStage: string;
  /** As stored: true when its instant was scored as history only (replacePointsAt keeps a live point's false). */
  backfill: boolean;
  /** Whether this scoring of it was history only (no playbook run, nothing to publish), whatever the point's stored mark. */
  historyOnly: boolean;
}

export interface TierChangeRecord {
  id: string;
  customerId: string;
  fromTier: string | null;
  toTier: string;
  fromScore: number | null;
  toScore: number;
  modelVersion: number | null;
  fromModelVersion: number | null;
  direction: string;
  changedAt: Date;
  backfill: boolean;
}

export interface BatchResult {
  scores: ScoredCustomer[];
  tierChanges: TierChangeRecord[];
  outreach: OutreachAction[];
}

interface CustomerRow {
  id: string;
  name: string;
  arrCents: number;
  communicationOptOut: boolean;
  signedUpAt: string | null;
  startedAt: string;
  churnedAt: string | null;
  createdAt: string;
  firstActivityAt: string | null;
}

/** A health_score row as written (snake_case; the JSON columns in their stored form). */
interface ScoreRow {
  customer_id: string;
  score: number;
  tier: string;
  trend: string;
  previous_score: number | null;
  peak_score: number | null;
  components: unknown;
  signals: StoredSignal[];
  penalties: StoredPenalty[];
  coverage: number;
  lifecycle_stage: string;
  /** History only: the batch is a backfill, or this customer already has a later point (see planBatch). */
  backfill: boolean;
}

interface HistoryRow {
  id: string;
  previousScore: number | null;
  previousTier: string | null;
  /**
   * Whether the previous point was scored by the model scoring now, or by a version that scores alike
   * (of its run of versions differing only in playbook settings: MODEL_SCORING_SQL); null without one.
   */
  previousScoredAlike: boolean | null;
  /**
   * Whether the previous point's score was computed alike (scoresComputedAlike along a run:
   * MODEL_SCORING_SQL's `computing`), though its tier may have been placed by other bands: the score
   * drop compares with its score; null without one.
   */
  previousComputedAlike: boolean | null;
  /** The model version that scored the previous point (null without one). */
  previousModelVersion: number | null;
  /** The previous point's instant (null without one). */
  previousAsOf: Date | null;
  /** The share of the model's weight the previous point observed (null without one): a thinly observed one is no "before" (thinlyObserved). */
  previousCoverage: number | null;
  /**
   * The score a trend window ago and the highest in the drop window, both among points of the model
   * scoring now or of versions that compute scores alike: a trend or a drop across a change of what
   * computes scores measures the change, not the customer; a change of playbook settings or of the
   * tiers, trend or lifecycle settings alone changes no score.
   * Both are of well observed points only (thinlyObserved): a score of 80 on no data is no height
   * an account fell from, nor the start of a decline.
   */
  earlierScore: number | null;
  peakScore: number | null;
  /**
   * The lowest score, of the points the peak is taken from, after the last one at or above the peak
   * (null when none): one already scoreDrop.points below it took the slide (newScoreDrop), as the
   * changes feed lists a slide once.
   */
  lowestSincePeak: number | null;
  /** The penalties the previous score applied (read only for a model with `penaltyHysteresis`). */
  previousPenalties?: string[] | null;
  /** The earliest point after asOf (there is one when the batch scores before existing history): its id, tier and instant. */
  nextId: string | null;
  nextTier: string | null;
  nextAsOf: Date | null;
}

/** A health_score row, by GraphQL field. */
export const HEALTH_SCORE_COLUMN_MAP: ColumnMap = {
  id: 'h.id::text',
  customerId: 'h.customer_id',
  score: 'h.score',
  tier: 'h.tier',
  trend: 'h.trend',
  previousScore: 'h.previous_score',
  components: 'h.components',
  signals: 'h.signals',
  penalties: 'h.penalties',
  coverage: 'h.coverage',
  modelVersion: 'h.model_version',
  asOf: 'h.as_of',
  computedAt: 'h.computed_at',
  lifecycleStage: 'h.lifecycle_stage',
  backfill: 'h.backfill',
};

export const HEALTH_SCORE_COLUMNS = selectColumns(HEALTH_SCORE_COLUMN_MAP);

const TOLD_FROM = tierChangeFromSql('t');

/**
 * A tier_change row `t` as a TierChange, where it came from told as everywhere (tierChangeFromSql):
 * the tierChanges lists and the healthTierChanged event (the rows as written, read back) say what the
 * changes feed says.
 */
export const TIER_CHANGE_COLUMNS = `t.id::text as id, t.customer_id as "customerId", ${TOLD_FROM.fromTier} as "fromTier", t.to_tier as "toTier",
  ${TOLD_FROM.fromScore} as "fromScore", t.to_score as "toScore", t.model_version as "modelVersion", t.from_model_version as "fromModelVersion",
  ${TOLD_FROM.direction} as direction, t.changed_at as "changedAt", t.backfill`;

interface RecentAction {
  playbook: string;
  action: string;
  createdAt: Date;
  status: OutreachStatus;
}

/**
 * A suppression is logged once per cooldown: hourly runs over a critical account would otherwise
 * write the whole suppressed playbook every hour.
 */
function alreadySuppressed(recent: RecentAction[], playbook: string, action: string): boolean {
  const lastRun = Math.max(
    0,
    ...recent.filter((r) => r.playbook === playbook && r.status !== 'SUPPRESSED_COOLDOWN').map((r) => r.createdAt.getTime()),
  );
  return recent.some(
    (r) => r.playbook === playbook && r.action === action && r.status === 'SUPPRESSED_COOLDOWN' && r.createdAt.getTime() >= lastRun,
  );
}

export interface BatchOptions {
  /**
   * Scoring as of a past instant: history and tier changes are written marked `backfill`, no
   * playbook runs, and the caller publishes nothing.
   */
  backfill: boolean;
  /** Customer-facing messages per customer per 7 days (`CUSTOMER_MESSAGES_PER_WEEK`). */
  customerMessagesPerWeek: number;
  /** The full run (scoring_run id) the batch belongs to: its counts grow in the batch's transaction. */
  runId?: string;
}

/** What a batch reads before it scores: the customers, their metrics, score history and recent outreach. */
interface BatchInputs {
  customers: CustomerRow[];
  gathered: Map<string, GatheredCustomer>;
  historyById: Map<string, HistoryRow>;
  /** By the other model versions that applied flags at previous points, the flags they define as this one does: those carry on. */
  flagsAlikeByVersion: Map<number, ReadonlySet<string>>;
  /** By the other model versions that scored previous points, their tier bands: a tier they placed is held where its bounds are unchanged (tierHeldFrom). */
  bandsByVersion: Map<number, readonly TierBand[]>;
  outreachById: Map<string, RecentAction[]>;
  /** The previous flags of the customers scored without a recent point whose start conditions a history could have met (warm-up-flags.ts). */
  warmedFlags: Map<string, ReadonlySet<string> | null>;
  /** Of the customers a live batch scores before their latest point, the tier change published at that point, by customer id. */
  publishedNextChanges: Map<string, PublishedChange>;
}

type Assessment = ReturnType<typeof assessCustomer>;

/** The batch's inputs with each customer through the pure model, in the order of `customers`, and the expansion play's hold of those it may reach. */
interface AssessedBatch extends BatchInputs {
  assessments: Assessment[];
  /** By customer id (readTiersInExpansionHold). */
  tiersInExpansionHold: Map<string, string[]>;
}

/** A tier change a batch writes, at its instant. */
interface TierChangeRow {
  customer_id: string;
  from_tier: string | null;
  to_tier: string;
  from_score: number | null;
  to_score: number;
  /** The model versions of the points it lies between (tier-change.entity.ts). */
  model_version: number;
  from_model_version: number | null;
  direction: string;
  backfill: boolean;
}

/** The rows a batch writes, built in memory from its inputs by the pure model. */
interface BatchPlan {
  scoreRows: ScoreRow[];
  /** The signals and penalties as the model produced them, for the events published: the rows carry the stored form. */
  signalsByRow: SignalResult[][];
  penaltiesByRow: PenaltyResult[][];
  stateRows: unknown[];
  tierChangeRows: TierChangeRow[];
  relinkRows: RelinkRow[];
  heldTierRows: HeldTierRow[];
  movedChanges: MovedChange[];
  outreachRows: NewOutreachAction[];
}

/**
 * Whether a full run as of its present finds the customer already scored as of a later instant
 * under its model or a newer one (continuous rescoring, refreshHealthScore, while the run went on),
 * as SQL over the history statement's customer `c` and instant `p`, with the model's version as its
 * parameter; false otherwise. Such a customer is up to date, and a point of the run dated before
 * theirs would rewrite the tier change they published into one from the run's tier
 * (history-links.ts). A backfill writes its points before later ones on purpose. Asked in the history
 * statement, after the one that locked the rows: its snapshot sees a scoring that held a row and
 * committed while the batch waited for it, which the locking statement's did not.
 */
function supersededSql(options: BatchOptions): string {
  // The parameter is there either way, so the statement's list of them stays one.
  if (options.runId === undefined || options.backfill) return 'false and ?::int is null';
  return 'exists (select 1 from health_score h where h.customer_id = c.id and h.as_of > p.as_of and h.model_version >= ?)';
}

/**
 * SQL joins of the history read: `peak`, the highest score of the drop window, and `since_peak`, the
 * lowest after the last point at or above it (newScoreDrop: a slide past the mark is taken once). Of
 * the well observed points of versions computing scores alike (`computed_alike`), as the feed's
 * SCORE_DROPPED reads them; `c` is the customer, `p` the instant scored.
 */
function dropWindowJoinsSql(config: ScoringModelConfig): string {
  const compared = (point: string) =>
    `${point}.customer_id = c.id and ${point}.as_of < p.as_of and ${point}.model_version in (select version from computed_alike)
     and ${wellObservedSql(point, config.lifecycle.minCoverage ?? 0)}`;
  const inWindow = (point: string) => `${point}.as_of >= p.as_of - interval '${config.scoreDrop.withinDays} days'`;
  return `left join lateral (select max(h.score) as score from health_score h where ${compared('h')} and ${inWindow('h')}) peak on true
     left join lateral (select min(h.score) as score from health_score h where ${compared('h')}
                        and h.as_of > (select max(held.as_of) from health_score held
                                       where ${compared('held')} and ${inWindow('held')} and held.score >= peak.score)) since_peak on true`;
}

async function readBatchInputs(
  tx: Db,
  ids: string[],
  asOf: Date,
  model: { version: number; config: ScoringModelConfig },
  options: BatchOptions,
): Promise<Omit<BatchInputs, 'warmedFlags'>> {
  const { config } = model;
  const asOfIso = asOf.toISOString();
  const locked = await query<CustomerRow>(
    tx,
    `select id, name, arr_cents::float8 as "arrCents", communication_opt_out as "communicationOptOut",
            signed_up_at as "signedUpAt", start.at as "startedAt", churned_at as "churnedAt", created_at as "createdAt",
            ${firstActivitySql('customer')} as "firstActivityAt"
     from customer cross join lateral (select ${customerStartSql('customer')} as at) start
     where id in (select jsonb_array_elements_text(?::jsonb))
       -- No score exists before the customer started (signed up, or with no signup known, first seen).
       and start.at <= ?::timestamptz
     order by id
     for no key update of customer`,
    [json(ids), asOfIso],
  );
  // The previous score's flags matter only to a model that widens them or asks a condition only to start one.
  const readFlags = readsPreviousFlags(config);
  // The trend and the drop window compare with well observed points only (thinlyObserved): a score
  // of 80 on no data is no height an account fell from, nor the start of a decline.
  const wellObserved = wellObservedSql('h', config.lifecycle.minCoverage ?? 0);
  // `alike`: the versions that score as this one does (itself included, scoresAlike), whose points
  // give the previous tier; `computed_alike`: those that compute its scores (scoresComputedAlike),
  // whose points the scores compare with (the trend, the drop window's peak, a fall from the previous).
  const history = await query<HistoryRow & { superseded: boolean }>(
    tx,
    `with p as (select ?::timestamptz as as_of),
     ${ALIKE_VERSIONS_SQL}
     select c.id, prev.score as "previousScore", prev.tier as "previousTier",
            prev.model_version in (select version from alike) as "previousScoredAlike",
            prev.model_version in (select version from computed_alike) as "previousComputedAlike",
            prev.model_version as "previousModelVersion", prev.as_of as "previousAsOf", prev.coverage as "previousCoverage",
            case when earlier.model_version in (select version from computed_alike) then earlier.score end as "earlierScore", peak.score as "peakScore",
            since_peak.score as "lowestSincePeak",
            next.id::text as "nextId", next.tier as "nextTier", next.as_of as "nextAsOf",
            ${supersededSql(options)} as superseded
            ${readFlags ? `, ${appliedPenaltyNames('prev.penalties')} as "previousPenalties"` : ''}
     from jsonb_array_elements_text(?::jsonb) as c(id) cross join p
     left join lateral (select h.score, h.tier, h.model_version, h.as_of, h.coverage${readFlags ? ', h.penalties' : ''} from health_score h where h.customer_id = c.id and h.as_of < p.as_of
                        order by h.as_of desc, h.id desc limit 1) prev on true
     left join lateral (select h.score, h.model_version from health_score h where h.customer_id = c.id
                        and h.as_of <= p.as_of - interval '${config.trend.windowDays} days'
                        and h.as_of >= p.as_of - interval '${2 * config.trend.windowDays} days' and ${wellObserved}
                        order by h.as_of desc, h.id desc limit 1) earlier on true
     ${dropWindowJoinsSql(config)}
     left join lateral (select h.id, h.tier, h.as_of from health_score h where h.customer_id = c.id and h.as_of > p.as_of
                        order by h.as_of, h.id limit 1) next on true`,
    [asOfIso, model.version, model.version, json(locked.map((c) => c.id))],
  );
  const superseded = new Set(history.filter((h) => h.superseded).map((h) => h.id));
  const customers = superseded.size === 0 ? locked : locked.filter((c) => !superseded.has(c.id));
  const kept = superseded.size === 0 ? history : history.filter((h) => !h.superseded);
  const idsJson = json(customers.map((c) => c.id));
  const gathered = await gatherMetrics(
    tx,
    customers.map((c) => c.id),
    asOf,
    metricRequests(config),
    config.lifecycle.churnWindowDays + 1,
  );
  const outreachById = await readRecentOutreach(tx, idsJson, asOf, config, options);
  // After a model change, the versions that scored the previous points (one statement; none
  // otherwise): their tier bands, and their flags compared with this model once for the batch.
  const previousConfigs = await loadModelConfigs(
    tx,
    kept.filter((h) => !h.previousScoredAlike && h.previousModelVersion !== null).map((h) => h.previousModelVersion as number),
  );
  const flagsAlikeByVersion = new Map([...previousConfigs].map(([version, previous]) => [version, flagsDefinedAlike(previous, config)]));
  const bandsByVersion = new Map([...previousConfigs].map(([version, previous]) => [version, previous.tiers]));
  const publishedNextChanges = await publishedChangesAfter(tx, kept, options);
  return {
    customers,
    gathered,
    historyById: new Map(kept.map((h) => [h.id, h])),
    flagsAlikeByVersion,
    bandsByVersion,
    outreachById,
    publishedNextChanges,
  };
}

/**
 * The outreach logged for each customer, by customer id. A backfill runs no playbook, so it needs no
 * cooldown history. A live scoring counts every action already logged, those of a concurrent scoring
 * of the customer whose "now" came a moment later too (it committed first, as this batch waited for
 * the customer's row): each is logged once. It reads back as far as the longest cooldown, which a
 * model may set to years.
 */
async function readRecentOutreach(
  tx: Db,
  idsJson: string,
  asOf: Date,
  config: ScoringModelConfig,
  options: BatchOptions,
): Promise<Map<string, RecentAction[]>> {
  const asOfIso = asOf.toISOString();
  const recentOutreach = options.backfill
    ? []
    : await query<{ customerId: string; playbook: string; action: string; createdAt: string; status: string }>(
        tx,
        `select customer_id as "customerId", playbook, action, created_at as "createdAt", status from outreach_action
         where customer_id in (select jsonb_array_elements_text(?::jsonb))
           and created_at > ?::timestamptz - make_interval(days => ?::int)`,
        [idsJson, asOfIso, Math.ceil(longestCooldownDays(config))],
      );
  const outreachById = new Map<string, RecentAction[]>();
  for (const o of recentOutreach) {
    const list = outreachById.get(o.customerId) ?? [];
    list.push({ playbook: o.playbook, action: o.action, createdAt: new Date(o.createdAt), status: o.status as RecentAction['status'] });
    outreachById.set(o.customerId, list);
  }
  return outreachById;
}

/**
 * A live scoring finds a later point only when another scoring of the customer, a moment later,
 * committed while it waited: that point's tier change was published (a backfill publishes nothing).
 */
function publishedChangesAfter(tx: Db, history: HistoryRow[], options: BatchOptions): Promise<Map<string, PublishedChange>> {
  if (options.backfill) return Promise.resolve(new Map());
  const later = history.filter((h) => h.nextAsOf !== null);
  return publishedChangesAt(
    tx,
    later.map((h) => ({ customerId: h.id, asOf: new Date(h.nextAsOf as Date).toISOString() })),
  );
}

/** The batch's inputs with the flags a weekly scoring would carry for the customers that need them (warm-up-flags.ts). */
async function withWarmedUpFlags(
  tx: Db,
  inputs: Omit<BatchInputs, 'warmedFlags'>,
  asOf: Date,
  config: ScoringModelConfig,
): Promise<BatchInputs> {
  const candidates = inputs.customers.map((customer) => {
    const past = inputs.historyById.get(customer.id);
    return {
      id: customer.id,
      metrics: inputs.gathered.get(customer.id)?.metrics ?? {},
      previousAsOf: past?.previousAsOf ? new Date(past.previousAsOf) : null,
      previousFlags: () => previousFlags(past, inputs.flagsAlikeByVersion),
      startedAt: new Date(customer.startedAt),
    };
  });
  return { ...inputs, warmedFlags: await warmedUpFlags(tx, candidates, asOf, config) };
}

/** The flags the previous point applied that this scoring carries on: all under a model that scores alike, else those defined alike (carriedFlags). */
function previousFlags(past: HistoryRow | undefined, flagsAlikeByVersion: Map<number, ReadonlySet<string>>) {
  if (!past?.previousPenalties) return null;
  if (past.previousScoredAlike) return new Set(past.previousPenalties);
  return carriedFlags(past.previousPenalties, flagsAlikeByVersion.get(past.previousModelVersion as number) ?? null);
}

/** The tier bands the previous point was placed by: this model's under a version that scores alike, else those of the version that scored it. */
function previousBands(
  config: ScoringModelConfig,
  past: HistoryRow | undefined,
  bandsByVersion: Map<number, readonly TierBand[]>,
): readonly TierBand[] | null {
  if (!past || past.previousModelVersion === null) return null;
  return past.previousScoredAlike ? config.tiers : (bandsByVersion.get(past.previousModelVersion) ?? null);
}

/** One customer's playbook actions for this scoring, less the suppressions already logged in this cooldown. */
function plannedOutreach(
  config: ScoringModelConfig,
  customer: CustomerRow,
  assessment: Assessment,
  batch: AssessedBatch,
  { lastActivityAt, silenceInUsualGaps }: { lastActivityAt: Date | null; silenceInUsualGaps: number | null },
  asOf: Date,
): NewOutreachAction[] {
  const { result, tier, trend, lifecycleStage } = assessment;
  const past = batch.historyById.get(customer.id);
  const recent = batch.outreachById.get(customer.id) ?? [];
  const actions = decidePlaybookActions({
    model: config,
    customer: { id: customer.id, name: customer.name, arrCents: customer.arrCents, communicationOptOut: customer.communicationOptOut },
    // A tier or a drop compared across models that score otherwise is the model change, not the
    // customer's: new weights would otherwise alert (and write to) every customer they move. A change
    // of playbook settings alone moves nobody: the comparison holds across it. A new tier scheme
    // computes the same scores: the score is compared across it, the tier it placed it in is not.
    previous:
      past?.previousScore != null && past.previousTier && past.previousComputedAlike
        ? {
            score: past.previousScore,
            tierKey: past.previousScoredAlike ? past.previousTier : null,
            coverage: past.previousCoverage ?? undefined,
          }
        : null,
    current: {
      score: result.score,
      tierKey: tier.key,
      trend,
      lifecycleStage,
      trendUnknown: !assessment.trendMeasured,
      coverage: result.coverage,
      signals: result.signals,
    },
    peakScoreInDropWindow: past?.peakScore ?? null,
    lowestSincePeak: past?.lowestSincePeak ?? null,
    earlierScore: past?.earlierScore ?? null,
    daysSinceLastActivity: lastActivityAt ? (asOf.getTime() - lastActivityAt.getTime()) / DAY_MS : null,
    wasPreviouslyActive: lastActivityAt !== null,
    firstActivityAt: customer.firstActivityAt ? new Date(customer.firstActivityAt) : null,
    silenceInUsualGaps,
    tiersInExpansionHold: batch.tiersInExpansionHold.get(customer.id) ?? null,
    recentActions: recent,
    now: asOf,
  });
  return actions
    .filter((action) => !(action.status === 'SUPPRESSED_COOLDOWN' && alreadySuppressed(recent, action.playbook, action.action)))
    .map((action) => ({
      ...action,
      customerId: customer.id,
      toTier: tier.key,
      score: result.score,
      createdAt: asOf,
    }));
}

/**
 * Whether a customer's point is history only (marked backfill: no playbook, nothing published): the
 * batch is a backfill, or the point lies before the customer's latest one whatever its instant (an
 * asOf within the live slack of isBackfill, a clock behind another instance's), as the current state
 * stays the later point's.
 */
function historyOnly(options: BatchOptions, past: HistoryRow | undefined): boolean {
  return options.backfill || Boolean(past?.nextId);
}

/**
 * Whether the point scored is the customer's last before its churn, or its first at or after it, with
 * a later point at or after the churn: the points there hold the tier it left in, which is this
 * point's (assessCustomer), however many were scored before it (linkIntoHistory).
 */
function leadsIntoChurn(customer: CustomerRow, past: HistoryRow | undefined): boolean {
  if (customer.churnedAt === null || !past?.nextAsOf) return false;
  const churnedAt = new Date(customer.churnedAt).getTime();
  return (
    new Date(past.nextAsOf).getTime() >= churnedAt && (past.previousAsOf === null || new Date(past.previousAsOf).getTime() < churnedAt)
  );
}

/** One customer of the batch through the pure model, with what the batch read of it. */
function assessInBatch(config: ScoringModelConfig, customer: CustomerRow, inputs: BatchInputs, asOf: Date) {
  const { metrics, lastActivityAt } = inputs.gathered.get(customer.id) ?? { metrics: {}, lastActivityAt: null };
  const past = inputs.historyById.get(customer.id);
  return assessCustomer({
    model: config,
    metrics,
    asOf,
    signedUpAt: customer.signedUpAt ? new Date(customer.signedUpAt) : null,
    startedAt: new Date(customer.startedAt),
    churnedAt: customer.churnedAt ? new Date(customer.churnedAt) : null,
    lastActivityAt,
    firstActivityAt: customer.firstActivityAt ? new Date(customer.firstActivityAt) : null,
    previousTierKey: past?.previousTier ?? null,
    nextTierKey: past?.nextTier ?? null,
    previousBands: previousBands(config, past, inputs.bandsByVersion),
    earlierScore: past?.earlierScore ?? null,
    // Flags of another model version carry on only where this model defines them alike: a
    // redefined one starts afresh, its start conditions asked. Without a recent point, those a weekly
    // scoring would carry (warm-up-flags.ts).
    previousPenalties: inputs.warmedFlags.has(customer.id)
      ? inputs.warmedFlags.get(customer.id)
      : previousFlags(past, inputs.flagsAlikeByVersion),
  });
}

/** Each customer of the batch through the pure model, in the order of `inputs.customers`: what the plan is built from. */
function assessBatch(config: ScoringModelConfig, inputs: BatchInputs, asOf: Date): Assessment[] {
  return inputs.customers.map((customer) => assessInBatch(config, customer, inputs, asOf));
}

/**
 * For each customer whose scoring may run the expansion play (qualifiesForExpansion), every tier it
 * was in under this model version, or one that scores alike, within the play's hold before asOf: its previous point's, and
 * those its tier changes in the hold left. One statement, for those customers only (none when none
 * qualifies or the hold is off). Each customer's changes in the hold are one range of its own index
 * (customer, time: OFFSET 0 keeps the planner from flattening the lateral into a scan by time). A
 * change whose earlier point's version is unknown counts: unknown is no reason to ask for a referral.
 */
async function readTiersInExpansionHold(
  tx: Db,
  inputs: BatchInputs,
  assessments: Assessment[],
  asOf: Date,
  model: { version: number; config: ScoringModelConfig },
  options: BatchOptions,
): Promise<Map<string, string[]>> {
  const holdDays = expansionHoldDays(model.config);
  const tiersById = new Map<string, string[]>();
  if (holdDays === 0) return tiersById;
  for (const [index, customer] of inputs.customers.entries()) {
    const past = inputs.historyById.get(customer.id);
    const { result, tier, trend, lifecycleStage } = assessments[index];
    if (historyOnly(options, past)) continue;
    if (
      !qualifiesForExpansion(model.config, {
        score: result.score,
        tierKey: tier.key,
        trend,
        lifecycleStage,
        coverage: result.coverage,
        signals: result.signals,
      })
    ) {
      continue;
    }
    tiersById.set(customer.id, past?.previousScoredAlike && past.previousTier ? [past.previousTier] : []);
  }
  if (tiersById.size === 0) return tiersById;
  const left = await query<{ customerId: string; fromTier: string }>(
    tx,
    `with ${ALIKE_VERSIONS_SQL}
     select c.id as "customerId", t.from_tier as "fromTier"
     from jsonb_array_elements_text(?::jsonb) as c(id)
     cross join lateral (select t.from_tier from tier_change t
                         where t.customer_id = c.id and t.from_tier is not null
                           and t.changed_at > ?::timestamptz and t.changed_at < ?::timestamptz
                           and coalesce(t.from_model_version in (select version from alike), true)
                         offset 0) t`,
    [model.version, json([...tiersById.keys()]), new Date(asOf.getTime() - holdDays * DAY_MS).toISOString(), asOf.toISOString()],
  );
  for (const { customerId, fromTier } of left) tiersById.get(customerId)?.push(fromTier);
  return tiersById;
}

function emptyPlan(): BatchPlan {
  return {
    scoreRows: [],
    signalsByRow: [],
    penaltiesByRow: [],
    stateRows: [],
    tierChangeRows: [],
    relinkRows: [],
    heldTierRows: [],
    movedChanges: [],
    outreachRows: [],
  };
}

/** Runs the pure model over every customer of the batch: the rows to write, nothing written yet. */
function planBatch(
  inputs: AssessedBatch,
  asOf: Date,
  model: { version: number; config: ScoringModelConfig },
  options: BatchOptions,
): BatchPlan {
  const { config } = model;
  const plan = emptyPlan();
  const silenceKey = silenceMetricKey(config);
  for (const [index, customer] of inputs.customers.entries()) {
    const gathered = inputs.gathered.get(customer.id) ?? { metrics: {}, lastActivityAt: null };
    const { metrics, lastActivityAt } = gathered;
    const past = inputs.historyById.get(customer.id);
    const previousTier = past?.previousTier ?? null;
    const backfill = historyOnly(options, past);
    const assessment = inputs.assessments[index];
    const { result, tier, trend, lifecycleStage, accountNps } = assessment;
    plan.scoreRows.push({
      customer_id: customer.id,
      score: result.score,
      tier: tier.key,
      trend,
      previous_score: past?.previousScore ?? null,
      peak_score: past?.peakScore ?? null,
      components: result.components,
      signals: encodeSignals(result.signals),
      penalties: encodePenalties(result.penalties),
      coverage: result.coverage,
      lifecycle_stage: lifecycleStage,
      backfill,
    });
    plan.signalsByRow.push(result.signals);
    plan.penaltiesByRow.push(result.penalties);
    plan.stateRows.push({
      id: customer.id,
      health_score: result.score,
      engagement_score: engagementScoreOf(config, result),
      tier: tier.key,
      trend,
      lifecycle_stage: lifecycleStage,
      last_activity_at: lastActivityAt?.toISOString() ?? null,
      nps: accountNps,
    });
    const published = inputs.publishedNextChanges.get(customer.id);
    if (previousTier !== tier.key && published?.fromTier === previousTier && past?.nextTier === tier.key) {
      // The later point's published change, the same move, happened by this instant: it moves here,
      // its id and its mark kept, so the history keeps the change clients were told of rather than a
      // copy of it. A change from another tier (this instant scored before, otherwise) is not this
      // move: the point is linked as any point scored before history is.
      plan.movedChanges.push({ id: published.id, changed_at: asOf.toISOString(), to_score: result.score, model_version: model.version });
    } else if (previousTier !== tier.key) {
      plan.tierChangeRows.push({
        customer_id: customer.id,
        from_tier: previousTier,
        to_tier: tier.key,
        from_score: past?.previousScore ?? null,
        to_score: result.score,
        model_version: model.version,
        from_model_version: past?.previousModelVersion ?? null,
        direction: changeDirection(config.tiers, previousTier, tier.key),
        // A customer past its churn keeps the tier it left in; one first scored after it (an import
        // of past churners) gets its first tier as history only, not as a change to act on or publish.
        backfill: backfill || assessment.cancelled,
      });
    }
    // A point inserted before existing history becomes the previous point of the next one. Past a
    // churn, the points after it take the tier it leaves in, the next one's too.
    const held = leadsIntoChurn(customer, past);
    if (held && customer.churnedAt) {
      plan.heldTierRows.push({ customer_id: customer.id, tier: tier.key, churned_at: new Date(customer.churnedAt).toISOString() });
    }
    if (past?.nextId && past.nextTier) {
      plan.relinkRows.push({
        next_id: past.nextId,
        from_tier: tier.key,
        from_score: result.score,
        from_model_version: model.version,
        // Past a churn, linkIntoHistory holds this tier over the next point and drops its change, or,
        // when the next point is a live move's, relinks that move itself, keeping it published.
        direction: past.nextTier === tier.key ? null : changeDirection(config.tiers, tier.key, past.nextTier),
      });
    }
    // Scoring the past (a backfill) only writes history: no playbook fires for a day gone by.
    if (!backfill) {
      const silenceInUsualGaps = silenceKey === null ? null : (metrics[silenceKey] ?? null);
      plan.outreachRows.push(...plannedOutreach(config, customer, assessment, inputs, { lastActivityAt, silenceInUsualGaps }, asOf));
    }
  }
  return plan;
}

/** What replacePointsAt found at the instant. */
interface ReplacedAtInstant {
  /** The customers whose tier change at the instant was kept. */
  keptChanges: Set<string>;
  /** The id of each customer's point at the instant, deleted: its replacement is written under it. */
  pointIds: Map<string, string>;
  /** The customers whose point at the instant was scored live (not backfill): its replacement keeps that mark. */
  livePoints: Set<string>;
}

/**
 * An instant is scored once per customer: scoring it again (a retried backfill, a second
 * `refreshHealthScore` with the same asOf) replaces its point and the tier change at it, so the
 * history never holds two points at one instant nor the same change twice. The new point takes the
 * old one's id: it stands for the same thing (the customer's score at that instant), and a client that
 * cached the point by its id (a normalised cache) sees it updated rather than holding one that no
 * longer exists. It keeps the old one's live mark too (backfill false): that instant was scored live,
 * its playbooks ran and it was published, which a backfill of it afterwards does not undo. A change
 * the new scoring finds again (the same tiers) keeps its row, its id and, once published, its live
 * mark, with the new scores: it is the change clients were told of, not a new one to publish again. The batch holds its customers' rows, so two runs scoring one instant at once take
 * turns and the second sees the first.
 */
async function replacePointsAt(tx: Db, customerIds: string[], asOfIso: string, changes: TierChangeRow[]): Promise<ReplacedAtInstant> {
  if (customerIds.length === 0) return { keptChanges: new Set(), pointIds: new Map(), livePoints: new Set() };
  // Each customer's rows are found through its own index range (OFFSET 0 keeps the planner from
  // flattening the lateral): a run writes every tier change at its one instant, which the statistics
  // taken before the run do not know, and read by time they would be all the earlier batches'
  // changes, each tested against this batch's ids. The time test of the tier changes is kept out of
  // the index conditions (`is true`), or their time index would be chosen for it again; a customer's
  // tier changes are few.
  const [replaced] = await query<{ keptChanges: string[]; pointIds: Record<string, string>; livePoints: string[] }>(
    tx,
    `with ids as (select jsonb_array_elements_text(?::jsonb) as id),
     points as (
       delete from health_score h where h.id in (select x.id from ids cross join lateral (
         select s.id from health_score s where s.customer_id = ids.id and s.as_of = ?::timestamptz offset 0) x)
       returning h.id, h.customer_id, h.backfill
     ), found as (
       select x.* from ids cross join lateral (
         select c.id, c.customer_id, c.from_tier, c.to_tier, c.backfill from tier_change c
         where c.customer_id = ids.id and (c.changed_at = ?::timestamptz) is true offset 0) x
     ), kept as (
       update tier_change t set from_score = p.from_score, to_score = p.to_score, model_version = p.model_version,
              from_model_version = p.from_model_version, direction = p.direction
       from found f join jsonb_to_recordset(?::jsonb) as p(customer_id text, from_tier text, to_tier text, from_score smallint,
                                                          to_score smallint, model_version int, from_model_version int,
                                                          direction text, backfill boolean)
         on p.customer_id = f.customer_id and p.from_tier is not distinct from f.from_tier and p.to_tier = f.to_tier
            and (p.backfill or not f.backfill)
       where t.id = f.id
       returning t.id, t.customer_id
     ), dropped as (
       delete from tier_change t where t.id in (select id from found) and t.id not in (select id from kept)
     )
     -- A customer with two points at the instant (stored before an instant was scored once) keeps the first id.
     select coalesce((select json_agg(customer_id) from kept), '[]') as "keptChanges",
            coalesce((select json_object_agg(customer_id, id) from (select customer_id, min(id)::text as id from points group by customer_id) p),
                     '{}') as "pointIds",
            coalesce((select json_agg(distinct customer_id) from points where not backfill), '[]') as "livePoints"`,
    [json(customerIds), asOfIso, asOfIso, json(changes)],
  );
  return {
    keptChanges: new Set(replaced.keptChanges),
    pointIds: new Map(Object.entries(replaced.pointIds)),
    livePoints: new Set(replaced.livePoints),
  };
}

/** Inserts a batch's new tier changes at its instant, in one statement; returns them as read (none: no statement). */
async function insertTierChanges(tx: Db, asOfIso: string, rows: TierChangeRow[]): Promise<TierChangeRecord[]> {
  if (rows.length === 0) return [];
  return query<TierChangeRecord>(
    tx,
    `with inserted as (
       insert into tier_change (customer_id, from_tier, to_tier, from_score, to_score, model_version, from_model_version, direction,
                                changed_at, backfill)
       select customer_id, from_tier, to_tier, from_score, to_score, model_version, from_model_version, direction, ?::timestamptz, backfill
       from jsonb_to_recordset(?::jsonb) as x(customer_id text, from_tier text, to_tier text, from_score smallint, to_score smallint,
                                              model_version int, from_model_version int, direction text, backfill boolean)
       returning *
     ) select ${TIER_CHANGE_COLUMNS} from inserted t order by t.id`,
    [asOfIso, json(rows)],
  );
}

/**
 * Inserts the batch's points (`point_id`: the id of a live point replaced at the instant, replacePointsAt),
 * returning only the generated columns: the rest of each score is already in memory, and returning
 * the signal JSON of a whole batch would send the largest part of the write back again. The scalar
 * columns travel as one JSON record set; the three JSON columns, most of a row, as lines of JSON text
 * (JSON.stringify writes no line break), zipped with the records by position (ROWS FROM). Each line is
 * parsed once, by its cast to json: nested in the record set, it would be parsed with the whole set,
 * then again as its column's value.
 */
async function insertPoints(
  tx: Db,
  rows: Array<ScoreRow & { point_id: string | null }>,
  modelVersion: number,
  asOfIso: string,
): Promise<Array<{ id: string; customerId: string; computedAt: Date }>> {
  const lines = (column: (row: ScoreRow) => unknown) => rows.map((row) => JSON.stringify(column(row))).join('\n');
  return query<{ id: string; customerId: string; computedAt: Date }>(
    tx,
    `insert into health_score as h (id, customer_id, score, tier, trend, previous_score, peak_score, components, signals, penalties, coverage,
                                    lifecycle_stage, model_version, as_of, backfill)
     select coalesce(point_id, nextval(pg_get_serial_sequence('health_score', 'id'))), customer_id, score, tier, trend, previous_score, peak_score,
            components::json, signals::json, penalties::json, coverage, lifecycle_stage, ?, ?::timestamptz, backfill
     from rows from (
       json_to_recordset(?::json) as (customer_id text, score smallint, tier text, trend text, previous_score smallint, peak_score smallint,
                                      coverage real, lifecycle_stage text, backfill boolean, point_id bigint),
       unnest(string_to_array(?, E'\\n')), unnest(string_to_array(?, E'\\n')), unnest(string_to_array(?, E'\\n'))
     ) as x(customer_id, score, tier, trend, previous_score, peak_score, coverage, lifecycle_stage, backfill, point_id, components, signals, penalties)
     returning h.id::text as id, h.customer_id as "customerId", h.computed_at as "computedAt"`,
    [
      modelVersion,
      asOfIso,
      json(rows.map(({ components, signals, penalties, ...scalars }) => scalars)),
      lines((row) => row.components),
      lines((row) => row.signals),
      lines((row) => row.penalties),
    ],
  );
}

/**
 * Writes a planned batch: history, current state, tier changes and outreach, one bulk statement each.
 * Also returns how many tier changes its points now have at their instant: the new ones (published),
 * those kept from an earlier scoring of the instant and those moved to it.
 */
async function writeBatch(
  tx: Db,
  plan: BatchPlan,
  asOf: Date,
  model: { version: number; config: ScoringModelConfig },
  options: BatchOptions,
): Promise<BatchResult & { changesAtInstant: number }> {
  const asOfIso = asOf.toISOString();
  const customerIds = plan.scoreRows.map((row) => row.customer_id);
  const { keptChanges, pointIds, livePoints } = await replacePointsAt(tx, customerIds, asOfIso, plan.tierChangeRows);
  // A live point replaced keeps its mark (replacePointsAt); the scoring itself stays history only.
  const storedBackfill = (row: Pick<ScoreRow, 'customer_id' | 'backfill'>) => row.backfill && !livePoints.has(row.customer_id);
  const newChanges = plan.tierChangeRows.filter((row) => !keptChanges.has(row.customer_id));
  const inserted = await insertPoints(
    tx,
    plan.scoreRows.map((row) => ({ ...row, backfill: storedBackfill(row), point_id: pointIds.get(row.customer_id) ?? null })),
    model.version,
    asOfIso,
  );
  const insertedByCustomer = new Map(inserted.map((row) => [row.customerId, row]));
  const scores: ScoredCustomer[] = plan.scoreRows.map((row, index) => {
    const stored = insertedByCustomer.get(row.customer_id) as { id: string; computedAt: Date };
    return {
      id: stored.id,
      customerId: row.customer_id,
      score: row.score,
      tier: row.tier,
      trend: row.trend,
      previousScore: row.previous_score,
      components: row.components,
      signals: plan.signalsByRow[index],
      penalties: plan.penaltiesByRow[index],
      coverage: row.coverage,
      modelVersion: model.version,
      asOf,
      computedAt: new Date(stored.computedAt),
      lifecycleStage: row.lifecycle_stage,
      backfill: storedBackfill(row),
      historyOnly: row.backfill,
    };
  });
  // The current state follows the newest scoring only: backfilling past dates leaves it alone.
  await query(
    tx,
    `update customer c set health_score = x.health_score, engagement_score = x.engagement_score, tier = x.tier, trend = x.trend,
            lifecycle_stage = x.lifecycle_stage, last_activity_at = coalesce(greatest(c.last_activity_at, x.last_activity_at), c.last_activity_at),
            nps = x.nps, scored_at = ?::timestamptz, updated_at = now()
     from jsonb_to_recordset(?::jsonb) as x(id text, health_score int, engagement_score int, tier text, trend text,
                                            lifecycle_stage text, last_activity_at timestamptz, nps int)
     where c.id = x.id and (c.scored_at is null or c.scored_at <= ?::timestamptz)`,
    [asOfIso, json(plan.stateRows), asOfIso],
  );
  const tierChanges = await insertTierChanges(tx, asOfIso, newChanges);
  await linkIntoHistory(tx, asOfIso, { moved: plan.movedChanges, relink: plan.relinkRows, held: plan.heldTierRows }, model.config.tiers);
  const outreach = plan.outreachRows.length === 0 ? [] : await insertOutreachActions(tx, plan.outreachRows);
  // Deliveries and their jobs commit with the actions, or not at all (a backfill decides none).
  await enqueueDeliveries(
    tx,
    outreach.filter((action) => action.status === 'DECIDED').map((action) => action.id),
    { perWeek: options.customerMessagesPerWeek, tiers: model.config.tiers },
  );
  return { scores, tierChanges, outreach, changesAtInstant: tierChanges.length + keptChanges.size + plan.movedChanges.length };
}

/** Scores a batch in one transaction: read its inputs, run the pure model, write the results. */
export async function scoreCustomerBatch(
  db: Db,
  ids: string[],
  asOf: Date,
  model: { version: number; config: ScoringModelConfig },
  options: BatchOptions,
): Promise<BatchResult> {
  if (ids.length === 0) return { scores: [], tierChanges: [], outreach: [] };
  return inTransaction(db, async (tx) => {
    // These statements are large by the planner's estimates but cheap to run: compiling them
    // (JIT, on by default) costs more than it saves. The engagement aggregate materialises the
    // events of the whole batch, more than the default work_mem holds: it would spill to disk.
    // Background work: a stopping server lets it finish (MARK_BACKGROUND_WORK).
    await query(tx, `select set_config('jit', 'off', true), set_config('work_mem', '64MB', true), ${MARK_BACKGROUND_WORK}`);
    const inputs = await withWarmedUpFlags(tx, await readBatchInputs(tx, ids, asOf, model, options), asOf, model.config);
    const assessments = assessBatch(model.config, inputs, asOf);
    const tiersInExpansionHold = await readTiersInExpansionHold(tx, inputs, assessments, asOf, model, options);
    const plan = planBatch({ ...inputs, assessments, tiersInExpansionHold }, asOf, model, options);
    const { changesAtInstant, ...written } = await writeBatch(tx, plan, asOf, model, options);
    // Last, as it locks the run's row until the commit, which batches in flight then take in turn. In
    // the same transaction, so the row counts exactly what has committed, however the run ends.
    if (options.runId !== undefined)
      await query(tx, 'update scoring_run set customers_scored = customers_scored + ?, tier_changes = tier_changes + ? where id = ?', [
        written.scores.length,
        changesAtInstant,
        options.runId,
      ]);
    return written;
  });
}
