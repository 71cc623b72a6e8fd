// One customer's assessment at one instant: score, tier (with hysteresis against its previous tier
// where its bounds are unchanged), trend, lifecycle stage and whether it counts as flagged (at risk
// and not excused). Shared by the scoring batch, which writes it, and by the backtest and preview,
// which only look.
import { computeScore } from './compute-score';
import { lifecycleStageOf } from './lifecycle';
import { isAtRiskTier, tierByKey, tierFor, tierHeldFrom } from './tiers';
import { trendOf } from './trend';
import { BASELINE_METRICS, USAGE_METRICS } from './types';
import type { LifecycleStage, MetricValues, ScoreResult, ScoringModelConfig, TierBand, Trend } from './types';

export interface AssessmentInput {
  model: ScoringModelConfig;
  metrics: MetricValues;
  asOf: Date;
  signedUpAt: Date | null;
  /** Its signup, or without one its first recorded signal or creation (customerStartSql). */
  startedAt: Date;
  churnedAt: Date | null;
  /** Last engagement event at or before asOf; null if none. */
  lastActivityAt: Date | null;
  /** The first engagement event ever recorded (customer-start.ts firstActivitySql); null if none. */
  firstActivityAt: Date | null;
  /** The tier of the customer's previous scoring (hysteresis); null on its first. */
  previousTierKey: string | null;
  /**
   * The tier of the customer's next point, when an instant before its latest is scored (a backfill);
   * null or absent otherwise. Past its churn with no point before, that point is past it too and holds
   * the tier the customer left in.
   */
  nextTierKey?: string | null;
  /**
   * The tier bands of the model version that scored the previous point (`model.tiers` under the same
   * model): hysteresis holds the previous tier only where they gave it the bounds `model` gives it
   * (tierHeldFrom). Null when unknown: the score then takes its plain band.
   */
  previousBands: readonly TierBand[] | null;
  /**
   * The score `model.trend.windowDays` earlier, of this model version or one that computes scores
   * alike (scoresComputedAlike: a new tier scheme leaves the scores as they were); null without one
   * (none then, or one a version that computes scores otherwise gave): the trend is not measured.
   */
  earlierScore: number | null;
  /** The penalties applied at the customer's previous scoring (`penaltyHysteresis`); none on its first. */
  previousPenalties?: ReadonlySet<string> | null;
}

/**
 * The tier a cancelled customer left in, kept when the model scoring it no longer defines it (its
 * tier scheme changed after the churn): only its key, which no band of this model has.
 */
export interface TierLeftIn {
  key: string;
}

export interface Assessment {
  result: ScoreResult;
  tier: TierBand | TierLeftIn;
  trend: Trend;
  /**
   * Whether the trend compared the score with one a trend window earlier: without one (a customer
   * first scored less than a window ago, or a model change since) it reads STABLE unmeasured.
   */
  trendMeasured: boolean;
  lifecycleStage: LifecycleStage;
  /** The NPS component's raw value (account NPS) rounded to a whole number, null without one. */
  accountNps: number | null;
  /**
   * In one of the two worst tiers and neither ONBOARDING (young or thinly observed: missing data
   * alone never flags an account) nor CHURNED: what a CS team is asked to act on.
   */
  flagged: boolean;
  /** Past its churnedAt at asOf: in no tier any more, it keeps the one it left in. */
  cancelled: boolean;
}

export function assessCustomer(input: AssessmentInput): Assessment {
  const { model, asOf } = input;
  const result = computeScore(model, input.metrics, input.previousPenalties ?? null);
  // A customer past its churn keeps the tier it left in: it is in no tier any more, and a score
  // that goes on falling as its silence grows is no change a CS team could act on (nor a live event).
  // So does a new tier scheme: placing it in one of the new bands would record and publish a change.
  // That is the tier of its last point before the churn, which is the previous point's: a point before
  // the churn, or one after it holding that tier. Without a point before, the points after the churn
  // hold the tier of the first of them scored (its own score's), until a point before the churn is
  // written, whose tier they then all take (score-customers.ts, holdTierAfterChurn): so they hold one
  // tier, the one it left in, whatever order they are scored in.
  const churned = input.churnedAt !== null && input.churnedAt.getTime() <= asOf.getTime();
  const tierLeftIn = input.previousTierKey ?? input.nextTierKey ?? null;
  const tier: TierBand | TierLeftIn =
    churned && tierLeftIn !== null
      ? (tierByKey(model.tiers, tierLeftIn) ?? { key: tierLeftIn })
      : tierFor(result.score, model.tiers, tierHeldFrom(input.previousTierKey, input.previousBands, model.tiers), model.hysteresis);
  const trend = trendOf(result.score, input.earlierScore, model.trend.threshold);
  const npsValue = accountNpsOf(model, result);
  // Stored on the customer as a whole number (a recency-weighted NPS is fractional); the advocate
  // threshold is compared with the value itself: 49.6 is below 50, though it is stored as 50.
  const accountNps = npsValue === null ? null : Math.round(npsValue);
  const lifecycleStage = lifecycleStageOf({
    signedUpAt: input.signedUpAt,
    startedAt: input.startedAt,
    churnedAt: input.churnedAt,
    asOf,
    lastActivityAt: input.lastActivityAt,
    firstActivityAt: input.firstActivityAt,
    tierKey: tier.key,
    score: result.score,
    accountNps: npsValue,
    coverage: result.coverage,
    redFlagged: result.penalties.some((penalty) => penalty.applied),
    atRiskForFacts: isAtRiskTier(model.tiers, tier.key) && !isAtRiskTier(model.tiers, tierWithoutFacts(model, result).key),
    model,
  });
  const flagged = isAtRiskTier(model.tiers, tier.key) && !excusedFromFlags(lifecycleStage);
  return { result, tier, trend, trendMeasured: input.earlierScore !== null, lifecycleStage, accountNps, flagged, cancelled: churned };
}

/**
 * Whether an account in `lifecycleStage` is never flagged, whatever its tier: onboarding (its windows
 * still filling up) or churned (cancelled, or silent past the churn window), as the worklist leaves
 * them out. The backtest's report and its fit read the same rule.
 */
export function excusedFromFlags(lifecycleStage: LifecycleStage): boolean {
  return lifecycleStage === 'ONBOARDING' || lifecycleStage === 'CHURNED';
}

/** What a model's assessments read of it, worked out once per model rather than once per customer. */
interface ModelReadings {
  /** Its penalties on facts whatever the account's age (failing invoices, urgent tickets, angry answers, a contraction). */
  factPenalties: ReadonlySet<string>;
  /** The signal the account NPS is read from; null without one. */
  npsSignal: string | null;
  /** The component the engagement score is read from; null without one. */
  engagementComponent: string | null;
}

const readingsByModel = new WeakMap<ScoringModelConfig, ModelReadings>();

function readingsOf(model: ScoringModelConfig): ModelReadings {
  let readings = readingsByModel.get(model);
  if (readings) return readings;
  // A fact is neither the account's use nor compared with its own baseline: in an account's first
  // weeks, both describe its onboarding (a trial team settling, setup tickets against week one).
  const factPenalties = new Set(
    model.penalties.filter((p) => !USAGE_METRICS.has(p.metric) && !BASELINE_METRICS.has(p.metric)).map((p) => p.name),
  );
  const signals = model.components.flatMap((c) => c.signals);
  const engagement =
    model.components.find((c) => c.name === 'engagement') ??
    model.components.find((c) => c.signals.length > 0 && c.signals.every((s) => USAGE_METRICS.has(s.metric)));
  readings = {
    factPenalties,
    npsSignal: signals.find((s) => s.metric === 'nps' || s.metric === 'nps_weighted')?.name ?? null,
    engagementComponent: engagement?.name ?? null,
  };
  readingsByModel.set(model, readings);
  return readings;
}

/**
 * The tier the score would be in without the red flags on facts (tier bounds alone, no hysteresis):
 * a young account is at risk for its facts only when they are what put it in a bad tier.
 */
function tierWithoutFacts(model: ScoringModelConfig, result: ScoreResult): TierBand {
  const { factPenalties } = readingsOf(model);
  const otherPoints = result.penalties.reduce((sum, p) => (p.applied && !factPenalties.has(p.name) ? sum + p.points : sum), 0);
  const score = Math.min(100, Math.max(0, Math.round(result.scoreBeforePenalties - otherPoints)));
  return tierFor(score, model.tiers, null, 0);
}

/**
 * The account NPS (−100…100) a score measured: the raw value of the model's first signal on an NPS
 * metric, in whichever component a model of your own puts it (a component renamed "survey" still
 * makes advocates); null without one or without answers.
 */
export function accountNpsOf(model: ScoringModelConfig, result: ScoreResult): number | null {
  const { npsSignal } = readingsOf(model);
  if (npsSignal === null) return null;
  return result.signals.find((s) => s.name === npsSignal)?.rawValue ?? null;
}

/**
 * The engagement score a score measured: the component named `engagement`, or else the first whose
 * signals all read the account's use (USAGE_METRICS), whatever a model of your own calls it.
 */
export function engagementScoreOf(model: ScoringModelConfig, result: ScoreResult): number | null {
  const { engagementComponent } = readingsOf(model);
  if (engagementComponent === null) return null;
  return result.components.find((c) => c.name === engagementComponent)?.score ?? null;
}
