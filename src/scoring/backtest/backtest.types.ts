// GraphQL shapes of the backtest ("does the score predict churn?"), the fitted-weights suggestion
// and the what-if preview. The report objects mirror evaluate.ts field for field.
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar, SafeIntScalar } from '../../infra/scalars';
import { PageInfo } from '../../infra/pagination';
import { TierCount } from '../scoring.types';

@InputType({
  description:
    'The model a backtest scores: a stored version, or a full config (the shape of `scoringModel.config`). The active model when omitted.',
})
export class BacktestModelInput {
  @Field(() => Int, { nullable: true })
  version?: number | null;

  @Field(() => JSONScalar, { nullable: true })
  config?: unknown;
}

@InputType({ description: 'A grid of past instants: from, from + stepDays, … up to to (at most 366 instants: a year of daily snapshots).' })
export class BacktestGridInput {
  @Field(() => DateTimeScalar)
  from!: Date;

  @Field(() => DateTimeScalar, { description: 'Not in the future.' })
  to!: Date;

  @Field(() => Int, { nullable: true, description: 'Days between snapshot instants, 1…90. Default 7.' })
  stepDays?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The same as stepDays, under the name issue 12 gave it (`backtest(input: { from, to, step, horizonDays })`); give either.',
  })
  step?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Days after a snapshot within which a churn counts as foreseen by it, 1…365. Default 30.',
  })
  horizonDays?: number | null;
}

@InputType()
export class BacktestInput extends BacktestGridInput {
  @Field(() => BacktestModelInput, { nullable: true })
  model?: BacktestModelInput | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'Churners flagged (in the two worst tiers, neither onboarding nor churned by silence: what the worklist lists) at their latest snapshot at least `leadDays` before churning.',
})
export class RecallAtLead {
  @Field(() => Int)
  leadDays!: number;

  @Field(() => Int, { description: 'Churners with a snapshot that many days before their churn.' })
  churners!: number;

  @Field(() => Int)
  flagged!: number;

  @Field(() => Float, { nullable: true })
  recall!: number | null;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Flagged snapshots whose horizon has elapsed, and the share whose account churned within it.',
})
export class PrecisionReport {
  @Field(() => Float, { nullable: true })
  precision!: number | null;

  @Field(() => Int)
  flaggedSnapshots!: number;

  @Field(() => Int)
  truePositives!: number;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Probability that a churner `leadDays` before churning scores lower than a non-churner (1 = perfect, 0.5 = chance).',
})
export class AucReport {
  @Field(() => Int)
  leadDays!: number;

  @Field(() => Float, { nullable: true })
  auc!: number | null;

  @Field(() => Int)
  positives!: number;

  @Field(() => Int)
  negatives!: number;
}

@ObjectType({ simpleResolvers: true, description: 'How long before churning detected churners had been flagged without a break, in days.' })
export class LeadTimeReport {
  @Field(() => Int)
  detected!: number;

  @Field(() => Float, { nullable: true })
  medianDays!: number | null;

  @Field(() => Float, { nullable: true })
  p25Days!: number | null;

  @Field(() => Float, { nullable: true })
  p75Days!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'Accounts that did not churn but were flagged at least once.' })
export class FalseAlarmReport {
  @Field(() => Int)
  nonChurners!: number;

  @Field(() => Int)
  flagged!: number;

  @Field(() => Float, { nullable: true })
  rate!: number | null;

  @Field(() => Float, { nullable: true, description: 'The rate scaled to 90 days of observation (the grid span, when longer).' })
  ratePer90Days!: number | null;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Snapshots in a tier whose horizon has elapsed, and the share whose account churned within it.',
})
export class TierChurnRate {
  @Field()
  tierKey!: string;

  @Field(() => Int)
  snapshots!: number;

  @Field(() => Int)
  churned!: number;

  @Field(() => Float, { nullable: true })
  rate!: number | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "How well a model's past scores foresaw the churn that followed. Nothing was written to compute it.",
})
export class BacktestReport {
  @Field(() => Int, { nullable: true, description: 'The stored model version scored; null for a config given inline or suggested.' })
  modelVersion!: number | null;

  @Field(() => Int)
  instants!: number;

  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  churners!: number;

  @Field(() => Int)
  snapshots!: number;

  @Field(() => Int)
  horizonDays!: number;

  @Field(() => Float, {
    description:
      'Days from the first to the last instant of the grid at which an account was observed: what false alarms are scaled to 90 days by (weeks of the grid before the first signup or after the last account left do not dilute them).',
  })
  spanDays!: number;

  @Field(() => [RecallAtLead])
  recall!: RecallAtLead[];

  @Field(() => PrecisionReport)
  precision!: PrecisionReport;

  @Field(() => AucReport)
  auc!: AucReport;

  @Field(() => LeadTimeReport)
  leadTime!: LeadTimeReport;

  @Field(() => FalseAlarmReport)
  falseAlarms!: FalseAlarmReport;

  @Field(() => [TierChurnRate], { description: "Every tier, best first: a sound model's worst tier churns most." })
  tierChurnRates!: TierChurnRate[];
}

@ObjectType({ simpleResolvers: true })
export class FittedSignalWeight {
  @Field()
  name!: string;

  @Field(() => Float, { description: 'The suggested weight (the weights sum to 100).' })
  weight!: number;

  @Field(() => Float, { description: 'The weight in the active model.' })
  currentWeight!: number;

  @Field(() => Float, { description: 'The fitted logistic coefficient on 1 − value (risk); 0 for a signal left out.' })
  coefficient!: number;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'Signal weights fitted to the labelled history, with both models backtested on the same snapshots. Apply with updateScoringModel(input: { config }).',
})
export class SuggestedScoringModel {
  @Field(() => JSONScalar)
  config!: unknown;

  @Field(() => [FittedSignalWeight])
  weights!: FittedSignalWeight[];

  @Field(() => Int, { description: 'Snapshots the weights were fitted on (those whose horizon has elapsed).' })
  samples!: number;

  @Field(() => Int, { description: 'Of which followed by churn within the horizon.' })
  positives!: number;

  @Field(() => Int, { description: 'Churned accounts those positives belong to.' })
  churners!: number;

  @Field(() => [String], {
    description: 'What to know before applying the weights: fitted to fewer than 10 churned accounts, say. Empty when nothing.',
  })
  warnings!: string[];

  @Field(() => BacktestReport)
  current!: BacktestReport;

  @Field(() => BacktestReport)
  suggested!: BacktestReport;
}

@InputType()
export class SuggestScoringModelInput extends BacktestGridInput {}

@ObjectType({ simpleResolvers: true })
export class TierMove {
  @Field(() => ID)
  customerId!: string;

  @Field()
  name!: string;

  @Field(() => SafeIntScalar)
  arrCents!: number;

  @Field(() => String, {
    description: 'The tier the active model gives the customer now (scored at the same instant as `toTier`).',
  })
  fromTier!: string;

  @Field(() => Int, { description: 'The score the active model gives the customer now, from the same metrics as `toScore`.' })
  fromScore!: number;

  @Field()
  toTier!: string;

  @Field(() => Int, { description: 'The score the previewed model gives the customer now.' })
  toScore!: number;
}

@ObjectType({ simpleResolvers: true, description: 'What a model would change now. Nothing was written to compute it.' })
export class ScoringModelPreview {
  @Field(() => [TierCount], {
    description:
      'Customers per tier under the active model, scored now from the same metrics as `proposed` (not their stored tiers); as in healthSummary, one CHURNED by its silence is in none.',
  })
  current!: TierCount[];

  @Field(() => [TierCount], {
    description: 'Customers per tier under `config`, scored at the same instant as `current`, those it would have CHURNED in none.',
  })
  proposed!: TierCount[];

  @Field(() => Int)
  changed!: number;

  @Field(() => [TierMove], { description: 'The customers that would change tier, largest ARR first: a page of `first`, after `after`.' })
  changes!: TierMove[];

  @Field(() => PageInfo, { description: 'Whether more changes follow `changes`, and the cursor to pass as `after` for them.' })
  changesPageInfo!: PageInfo;
}
