// GraphQL shapes of the customer module: the Customer object, its input and the list arguments.
import { ArgsType, Extensions, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Scope } from '../auth/scopes';
import { textOf } from '../infra/field-cost';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, SafeIntScalar, DateTimeValue } from '../infra/scalars';
import { LifecycleStage, Trend } from '../scoring/scoring.enums';

/**
 * Every field but the id needs the read scope, checked on the whole operation before it runs
 * (auth/operation-scopes.ts): an ingest-only key writing a customer learns its id back, not its
 * score, tier or stored plan, so a leaked pipeline key cannot read the customer base.
 */
const NeedsRead = Extensions({ requiredScopes: [Scope.READ] });

/** Characters of a churn reason. */
export const MAX_CHURN_REASON_LENGTH = 1_000;

@ObjectType({ simpleResolvers: true, description: "An account being scored, addressed by the integrator's own id." })
export class Customer {
  @Field(() => ID)
  id!: string;

  @NeedsRead
  @Field()
  name!: string;

  @NeedsRead
  @Field(() => String, { nullable: true })
  plan!: string | null;

  @NeedsRead
  @Field(() => SafeIntScalar, { description: 'Annual recurring revenue, in cents.' })
  arrCents!: number;

  @NeedsRead
  @Field(() => Int, { nullable: true })
  seats!: number | null;

  @NeedsRead
  @Field(() => DateTimeScalar, { nullable: true })
  signedUpAt!: DateTimeValue | null;

  @NeedsRead
  @Field(() => String, { nullable: true })
  csmOwner!: string | null;

  @NeedsRead
  @Field({ description: 'When true, no customer-facing outreach is sent (team alerts still happen).' })
  communicationOptOut!: boolean;

  @NeedsRead
  @Field(() => String, { nullable: true, description: 'Where customer-facing email goes (EMAIL destinations).' })
  contactEmail!: string | null;

  @NeedsRead
  @Field(() => DateTimeScalar, { nullable: true })
  churnedAt!: DateTimeValue | null;

  @NeedsRead
  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_CHURN_REASON_LENGTH),
    description: 'Why the customer churned, in your own words or codes.',
  })
  churnReason!: string | null;

  @NeedsRead
  @Field(() => Int, { nullable: true, description: 'Latest health score, 0–100 (null until first scored).' })
  healthScore!: number | null;

  @NeedsRead
  @Field(() => Int, { nullable: true, description: 'Latest engagement component score, 0–100.' })
  engagementScore!: number | null;

  @NeedsRead
  @Field(() => String, { nullable: true, description: 'Key of the current tier band (e.g. `healthy`).' })
  tier!: string | null;

  @NeedsRead
  @Field(() => Trend, { nullable: true })
  trend!: Trend | null;

  @NeedsRead
  @Field(() => LifecycleStage, { nullable: true })
  lifecycleStage!: LifecycleStage | null;

  @NeedsRead
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Time of the latest engagement event, as of the latest scoring (seconds after the event with continuous rescoring on).',
  })
  lastActivityAt!: DateTimeValue | null;

  @NeedsRead
  @Field(() => Int, {
    nullable: true,
    description:
      "The account's NPS as its score reads it: the answers of the model's NPS window, each weighted by recency (its weight halves as the model says), −100…100, as of its last scoring. npsSummary(customerId:) gives the plain NPS, every answer alike.",
  })
  nps!: number | null;

  @NeedsRead
  @Field(() => DateTimeScalar, { nullable: true })
  scoredAt!: DateTimeValue | null;

  @NeedsRead
  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;

  @NeedsRead
  @Field(() => DateTimeScalar)
  updatedAt!: DateTimeValue;
}

export const CustomerConnection = Connection(Customer);

@ObjectType({
  simpleResolvers: true,
  description: "One entry of a customer's plan history: its ARR and seats from `changedAt` on (upsertCustomer records one per change).",
})
export class PlanChange {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeScalar, {
    description: 'When the plan took effect: `planChangedAt`, else when it was recorded; the sign-up for the first.',
  })
  changedAt!: DateTimeValue;

  @Field(() => SafeIntScalar, { description: 'ARR from changedAt on, in cents.' })
  arrCents!: number;

  @Field(() => Int, { nullable: true })
  seats!: number | null;

  @Field({
    description:
      'true when a change recorded later and dated the same instant corrected this one (`correctsLastPlanChange`): it was never in effect, and scoring reads the correction.',
  })
  corrected!: boolean;
}

export const PlanChangeConnection = Connection(PlanChange);

@InputType({
  description:
    'Creates the customer or updates it; omitted fields keep their stored value. No text may contain a NUL character, and ' +
    'every date is from 1970 up to a day after now (BAD_USER_INPUT otherwise).',
})
export class CustomerInput {
  @Field(() => ID, { description: 'Your own identifier for the account, e.g. `cust_abc123`; at most 200 characters.' })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Required to create the account; left out, an existing account keeps its name. Not empty; at most 500 characters.',
  })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 200 characters.' })
  plan?: string | null;

  @Field(() => SafeIntScalar, { nullable: true, description: '≥ 0.' })
  arrCents?: number | null;

  @Field(() => Int, { nullable: true, description: '≥ 0.' })
  seats?: number | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'When a change of arrCents or seats took effect; defaults to now; the history of these changes feeds the contraction signal.',
  })
  planChangedAt?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true: the arrCents or seats sent correct the latest recorded plan change (a typo), rather than change the plan. ' +
      'The correction is dated the instant of the change it corrects, which then was never in effect (no contraction); ' +
      'not with planChangedAt, and only for a stored customer.',
  })
  correctsLastPlanChange?: boolean | null;

  @Field(() => DateTimeScalar, { nullable: true })
  signedUpAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'At most 200 characters.' })
  csmOwner?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the customer cancelled (the churn label).' })
  churnedAt?: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the customer cancelled: only for an account with a churnedAt, stored or sent with it (BAD_USER_INPUT otherwise); ' +
      'churnedAt: null clears it. Sent without churnedAt, it needs the read scope as well (FORBIDDEN otherwise). ' +
      'At most 1,000 characters; an empty one is stored as null.',
  })
  churnReason?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Same as setCommunicationOptOut.' })
  communicationOptOut?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'Where customer-facing email goes; at most 320 characters; an empty one is stored as null.',
  })
  contactEmail?: string | null;
}

export enum CustomerOrder {
  NAME_ASC = 'NAME_ASC',
  SCORE_ASC = 'SCORE_ASC',
  SCORE_DESC = 'SCORE_DESC',
  ARR_DESC = 'ARR_DESC',
  ARR_AT_RISK_DESC = 'ARR_AT_RISK_DESC',
  LAST_ACTIVITY_ASC = 'LAST_ACTIVITY_ASC',
  LAST_ACTIVITY_DESC = 'LAST_ACTIVITY_DESC',
}
registerEnumType(CustomerOrder, {
  name: 'CustomerOrder',
  description: 'The order of `customers`; equal values are ordered by id.',
  valuesConfig: {
    NAME_ASC: { description: 'By name as people read them (ICU root collation: `alpha`, `ALPHA`, `Beta`, `Émile`), not byte by byte.' },
    SCORE_DESC: { description: 'Highest score first (unscored customers last of all).' },
    ARR_DESC: { description: 'Largest ARR (arrCents) first.' },
    SCORE_ASC: { description: 'Lowest score first (unscored customers first of all).' },
    ARR_AT_RISK_DESC: {
      description: 'ARR × (100 − score), largest first: where the money at risk is (none for a CHURNED account, which has lost its ARR).',
    },
    LAST_ACTIVITY_ASC: { description: 'The quietest first: never used, then the longest since the last activity (lastActivityAt).' },
    LAST_ACTIVITY_DESC: { description: 'The most recently active first (lastActivityAt), never used last.' },
  },
});

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1–500 (default 50).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge of the previous page.' })
  after?: string | null;
}

@ArgsType()
export class CustomersArgs extends PageArgs {
  @Field(() => String, {
    nullable: true,
    description:
      'The accounts still to keep in this tier: a lost one (cancelled, past its churnedAt, or CHURNED by a silence) keeps its last tier but is in none, as healthSummary counts it. Blank is no filter.',
  })
  tier?: string | null;

  @Field(() => LifecycleStage, {
    nullable: true,
    description: 'The accounts in this lifecycle stage as of now (CHURNED from the moment churnedAt passes).',
  })
  lifecycleStage?: LifecycleStage | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Match on a part of the id, name or CSM owner, ignoring case (full case mapping) and Unicode form, or the key an unsubscribe email names a long id by.',
  })
  search?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Exactly this CSM owner's accounts (trimmed); blank is no filter: everyone's, as in every list.",
  })
  csmOwner?: string | null;

  @Field(() => String, { nullable: true, description: "Exactly this plan's accounts." })
  plan?: string | null;

  @Field(() => CustomerOrder, { nullable: true, defaultValue: CustomerOrder.NAME_ASC })
  orderBy?: CustomerOrder;
}
