// GraphQL shapes of the scoring engine: explainable scores, tier changes, runs, the model and summaries.
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, JSONScalar, DateTimeValue } from '../infra/scalars';
import { jsonOf, listOf, textOf } from '../infra/field-cost';
import { MAX_PENALTY_CONDITIONS, MODEL_LIMITS, type PenaltyResult, type SignalResult } from './model';
import { LifecycleStage, RiskReasonKind, TierDirection, Trend } from './scoring.enums';
import type { StoredPenalty, StoredSignal } from './signal-storage';

@ObjectType({ simpleResolvers: true, description: 'A component of the score (engagement, payments, support, nps).' })
export class ComponentScore {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true, description: '0–100; null when every signal of the component was missing and excluded.' })
  score!: number | null;

  @Field(() => Float, { description: 'Share of the score this component carried, 0–1.' })
  weight!: number;
}

@ObjectType({ simpleResolvers: true, description: "One signal's part in a score." })
export class SignalScore {
  @Field()
  name!: string;

  @Field()
  component!: string;

  @Field(() => Float, {
    nullable: true,
    description:
      "The aggregate as measured (e.g. 14 active days); null when missing, or when a condition of the signal's `onlyWhen` did not hold (then `missing` is false: the signal was not measured by design, and takes its missing policy's value).",
  })
  rawValue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Normalised 0–1 value used; null when excluded.' })
  value!: number | null;

  @Field(() => Float, { description: 'Configured weight.' })
  weight!: number;

  @Field(() => Float, { description: 'Score points this signal contributed.' })
  contribution!: number;

  @Field({ description: 'No data for the signal: its missing policy gave its value (or left it out).' })
  missing!: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: "A condition of a penalty's `onlyWhen` that did not hold, so the penalty cost nothing, and the value its metric had.",
})
export class HeldBackCondition {
  @Field({ description: 'The metric, as in the scoring model (e.g. `active_days_trend`).' })
  metric!: string;

  @Field(() => Int)
  windowDays!: number;

  @Field(() => Int, { nullable: true, description: 'The baseline of a metric relative to the account history; null for the others.' })
  baselineDays?: number;

  @Field({ description: '`at_least` or `below`: the condition holds when the value is at least, or below, the threshold.' })
  direction!: string;

  @Field(() => Float)
  threshold!: number;

  @Field(() => Float, { description: "The metric's value at the scoring instant, which did not meet the condition." })
  value!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A penalty subtracted after weighting.' })
export class PenaltyScore {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true, description: "The value of the penalty's metric; null when it could not be measured." })
  rawValue!: number | null;

  @Field(() => Float)
  points!: number;

  @Field({
    description:
      "Whether it cost points: its metric crossed the threshold and every condition in the penalty's `onlyWhen` held (a condition can hold it back while the metric alone is past the threshold), or its metric reached the penalty's `unconditionalThreshold`, from which it applies whatever its conditions.",
  })
  applied!: boolean;

  @Field({
    description:
      "Its metric crossed the threshold, but a condition in the penalty's `onlyWhen` did not hold, so it cost nothing (false for scores written before this was recorded, on 1 December 2026).",
  })
  heldBack!: boolean;

  @Field(() => [HeldBackCondition], {
    complexity: listOf(MAX_PENALTY_CONDITIONS),
    description:
      "When held back: the conditions that did not hold, each with its metric's value (empty otherwise, and for scores written before they were kept, on 1 December 2026).",
  })
  heldBackBy!: HeldBackCondition[];

  @Field({
    description:
      "Applied only because it applied at the customer's previous scoring: its metric (or a condition) has come back across the threshold, but not yet by the model's `penaltyHysteresis` (a share of the threshold), so the red flag stays instead of coming and going as the value wavers around it. False for scores written before 2 December 2026.",
  })
  kept!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'What cost a score points: a red flag, or a signal below its best.' })
export class RiskReason {
  @Field(() => RiskReasonKind)
  kind!: RiskReasonKind;

  @Field({ description: "The penalty's or the signal's name in the model." })
  name!: string;

  @Field(() => Float, { description: "Score points it cost: a penalty's points, or the signal's effective weight × (1 − value) × 100." })
  pointsLost!: number;

  @Field(() => Float, { nullable: true, description: "A signal's normalised value, 0 (worst) … 1; null for a penalty." })
  value!: number | null;
}

/**
 * The cost estimate of a score's lists (src/infra/field-cost.ts): a score lists every component,
 * signal and penalty of its model, counted as half of what a model may have, above what the default
 * model has. Declared on the field resolvers of `signals` and `penalties` (a field resolver's options
 * replace its field's).
 */
export const SCORE_LIST_COST = {
  components: listOf(MODEL_LIMITS.components / 2),
  signals: listOf(MODEL_LIMITS.signals / 2),
  penalties: listOf(MODEL_LIMITS.penalties / 2),
};

@ObjectType({ simpleResolvers: true, description: 'One scoring of one customer, with its explanation.' })
export class HealthScore {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => Int)
  score!: number;

  @Field()
  tier!: string;

  @Field(() => Trend)
  trend!: Trend;

  @Field(() => Int, { nullable: true })
  previousScore!: number | null;

  @Field(() => [ComponentScore], { complexity: SCORE_LIST_COST.components })
  components!: ComponentScore[];

  /** As stored (positional arrays) in a row, as objects in a score fresh from the engine: ScoringResolver.signals answers both. */
  @Field(() => [SignalScore])
  signals!: ReadonlyArray<StoredSignal | SignalResult>;

  /** Stored or fresh, like `signals`: ScoringResolver.penalties answers both. */
  @Field(() => [PenaltyScore])
  penalties!: ReadonlyArray<StoredPenalty | PenaltyResult>;

  @Field(() => Float, { description: "Share of the model's weight actually observed, 0–1." })
  coverage!: number;

  @Field(() => Int)
  modelVersion!: number;

  @Field(() => DateTimeScalar, { description: 'The time the score describes: only signals up to it counted.' })
  asOf!: DateTimeValue;

  @Field(() => LifecycleStage, {
    nullable: true,
    description:
      "The customer's lifecycle stage as of `asOf`, as this scoring placed it from what was recorded when it scored: a cancellation or a silence after `asOf` is not in it, nor a cancellation recorded after the scoring. Null on scores written before the database had this field.",
  })
  lifecycleStage!: LifecycleStage | null;

  @Field(() => DateTimeScalar)
  computedAt!: DateTimeValue;

  @Field({
    description:
      'True when written by scoring a past instant (a backfill): such a scoring runs no playbook and publishes nothing. A point scored live stays false when its instant is scored again.',
  })
  backfill!: boolean;
}

export const HealthScoreConnection = Connection(HealthScore);

@ObjectType({ simpleResolvers: true, description: 'A tier transition: the durable record behind healthTierChanged.' })
export class TierChange {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The tier before it; null for a first placement: the customer's first tier, or a move off a thinly observed score (on less than lifecycle.minCoverage of the weight: no tier the account was in), as `changes` lists it.",
  })
  fromTier!: string | null;

  @Field()
  toTier!: string;

  @Field(() => Int, { nullable: true, description: 'The score before it; null when fromTier is.' })
  fromScore!: number | null;

  @Field(() => Int)
  toScore!: number;

  @Field(() => Int, { nullable: true, description: 'The model version that scored the point the change goes to (toScore).' })
  modelVersion!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "The model version that scored the point the change comes from (that of a thinly observed score for a first placement off it); null for a customer's first tier. When it differs from modelVersion and the two versions score otherwise (they are not of one run of versions activated one after another, each differing from the one before only in playbook settings), the model changed, not the account: `changes` leaves the change out.",
  })
  fromModelVersion!: number | null;

  @Field(() => TierDirection)
  direction!: TierDirection;

  @Field(() => DateTimeScalar)
  changedAt!: DateTimeValue;

  @Field({ description: 'True when found by scoring a past instant (a backfill); it was never published live.' })
  backfill!: boolean;
}

export const TierChangeConnection = Connection(TierChange);

/** Characters of a failed run's `error` as stored. */
export const MAX_RUN_ERROR_LENGTH = 2_000;

@ObjectType({ simpleResolvers: true })
export class ScoringRun {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'RUNNING, SUCCEEDED or FAILED.' })
  status!: string;

  @Field(() => Int, { description: 'Customers of the batches committed so far (a RUNNING or interrupted run: how far it got).' })
  customersScored!: number;

  @Field(() => Int, { description: 'Tier changes of the batches committed so far.' })
  tierChanges!: number;

  @Field(() => DateTimeScalar)
  asOf!: DateTimeValue;

  @Field(() => DateTimeScalar)
  startedAt!: DateTimeValue;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: DateTimeValue | null;

  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_RUN_ERROR_LENGTH),
    description: 'Why a FAILED run failed (e.g. interrupted: the instance running it stopped).',
  })
  error!: string | null;

  @Field({
    description:
      'True for a run as of a past instant (refreshAllHealthScores with a past asOf, an import or first-start backfill): it ran no playbook and published nothing.',
  })
  backfill!: boolean;
}

export const ScoringRunConnection = Connection(ScoringRun);

@ArgsType()
export class ScoringRunsArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'RUNNING, SUCCEEDED or FAILED (trimmed); blank is no filter.' })
  status?: string | null;
}

@ObjectType({ simpleResolvers: true })
export class TierBandType {
  @Field()
  key!: string;

  @Field()
  label!: string;

  @Field(() => Int)
  lowerBound!: number;

  @Field(() => Int, { description: '0 = best; higher = worse.' })
  severity!: number;
}

@ObjectType('ScoringModel', { simpleResolvers: true })
export class ScoringModelType {
  @Field(() => Int)
  version!: number;

  @Field(() => [TierBandType])
  tiers!: TierBandType[];

  @Field(() => JSONScalar, {
    // Its JSON text is at most jsonLength UTF-16 units, each at most three bytes of UTF-8.
    complexity: jsonOf(3 * MODEL_LIMITS.jsonLength),
    description: 'The whole model: components, signals, penalties, tiers, hysteresis, trend, lifecycle, playbooks.',
  })
  config!: unknown;

  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;

  @Field({ description: 'Whether this version is the one scoring now.' })
  active!: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description:
    "A tier scheme updateScoringModel(input: { tierPreset }) applies: the model's tiers become the preset's, a tier it has already keeps its playbooks, a tier new to it gets the preset's default playbook, and the playbooks of tiers the preset does not have are dropped.",
})
export class ScoringModelPreset {
  @Field({ description: 'The name to pass as tierPreset.' })
  name!: string;

  @Field({ description: 'True for the scheme of the default model.' })
  isDefault!: boolean;

  @Field({ description: "Whether the active model's tiers are this preset's (the same bands): activating it changes nothing." })
  active!: boolean;

  @Field(() => [TierBandType])
  tiers!: TierBandType[];
}

@InputType()
export class ScoringModelInput {
  @Field(() => JSONScalar, { nullable: true, description: 'A complete model (the shape of `scoringModel.config`).' })
  config?: unknown;

  @Field(() => String, {
    nullable: true,
    description:
      "Replace the tiers of the current model with a preset: four_tier, three_tier, five_band_thriving, five_band_stable. A tier the model has already keeps its playbooks, a tier new to it gets the preset's default playbook, and the playbooks of tiers the preset does not have are dropped; everything else is kept. The preset whose tiers the model has already changes nothing. Given with `config`, the preset is laid over that config instead.",
  })
  tierPreset?: string | null;
}

@ObjectType({ simpleResolvers: true })
export class TierCount {
  @Field()
  tier!: string;

  @Field()
  label!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A tier of the health summary: its customers and their ARR.' })
export class TierSummary extends TierCount {
  // A Float, not a SafeInt: a sum of customers' SafeInt ARRs can pass 2^53, and a field that cannot
  // serialise its value would fail the whole summary for everyone.
  @Field(() => Float, {
    description: "Total ARR of the tier's customers, in cents: exact up to 2^53 cents, the nearest double beyond.",
  })
  arrCents!: number;
}

@ObjectType({ simpleResolvers: true })
export class ComponentAverage {
  @Field()
  name!: string;

  @Field(() => Float, { nullable: true })
  averageScore!: number | null;
}

@ObjectType({ simpleResolvers: true })
export class LifecycleCount {
  @Field(() => LifecycleStage)
  stage!: LifecycleStage;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ simpleResolvers: true })
export class HealthSummary {
  @Field(() => Int, { description: 'Every customer, the churned ones included.' })
  totalCustomers!: number;

  @Field(() => Int, {
    description:
      'Customers lost: cancelled (churnedAt passed) or CHURNED by a silence past the churn window. In no tier below, nor in the averages.',
  })
  churnedCustomers!: number;

  @Field(() => Float, { nullable: true, description: 'Of the customers still to keep (those in the tiers).' })
  averageScore!: number | null;

  @Field(() => [TierSummary], { description: 'Customers per tier, best first, the churned ones (churnedCustomers) left out.' })
  tiers!: TierSummary[];

  @Field(() => [ComponentAverage])
  components!: ComponentAverage[];

  @Field(() => [LifecycleCount])
  lifecycleStages!: LifecycleCount[];
}

@ArgsType()
export class HealthScoresArgs extends PageArgs {
  @Field(() => String, {
    nullable: true,
    description: "Only this tier's accounts still to keep: a lost one (cancelled, or CHURNED by its silence) is in no tier.",
  })
  tier?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Only scores from this one (0–100), of accounts still to keep, as with tier: a lost account is left out of every narrowed list.',
  })
  minScore?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Only scores up to this one (0–100, not below minScore), of accounts still to keep, as minScore.',
  })
  maxScore?: number | null;
}

@ArgsType()
export class HistoryArgs extends PageArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: "Inclusive lower bound on the point's asOf." })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Exclusive upper bound on the point's asOf." })
  to?: Date | null;
}

@ArgsType()
export class CustomerTierChangesArgs extends PageArgs {
  @Field(() => Boolean, {
    nullable: true,
    description: 'false: only changes found live (what was published); true: only backfilled ones; omitted: both.',
  })
  backfill?: boolean | null;
}

@ArgsType()
export class TierChangesArgs extends PageArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Changes at or after this time (catch up after a reconnect).' })
  since?: Date | null;

  @Field(() => ID, { nullable: true, description: "Only this customer's; NOT_FOUND for an unknown customer." })
  customerId?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'false: only changes found live (what was published); true: only backfilled ones; omitted: both.',
  })
  backfill?: boolean | null;

  @Field(() => String, { nullable: true, description: "Only this CSM owner's accounts." })
  csmOwner?: string | null;
}
