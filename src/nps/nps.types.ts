// GraphQL shapes of NPS survey ingestion and its read side: responses, their list arguments and
// the promoter/passive/detractor summary.
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { textOf } from '../infra/field-cost';
import { MAX_TEXT_LENGTH } from '../infra/input';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';

@ObjectType({ simpleResolvers: true, description: 'One answer to "how likely are you to recommend us?" (0–10).' })
export class NpsResponse {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => String, { nullable: true, description: "The survey tool's id of the answer, if given (unique per customer)." })
  externalId!: string | null;

  @Field(() => Int, { description: '0–10: promoters 9–10, passives 7–8, detractors 0–6.' })
  score!: number;

  @Field(() => String, { nullable: true, complexity: textOf(MAX_TEXT_LENGTH) })
  comment!: string | null;

  @Field(() => String, { nullable: true, description: 'Who answered (e.g. an email address or user id).' })
  respondent!: string | null;

  @Field(() => DateTimeScalar)
  respondedAt!: DateTimeValue;

  @Field(() => DateTimeScalar, { description: 'When the response was first received (a later submission that replaces it keeps this).' })
  createdAt!: DateTimeValue;
}

export const NpsResponseConnection = Connection(NpsResponse);

@InputType()
export class NpsResponseInput {
  @Field(() => ID, { description: 'At most 200 characters.' })
  customerId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "The survey tool's id of the answer, at most 200 characters, unique per customer: a submission with an externalId already stored replaces the score and the other fields it sends (a retry of the same answer changes nothing) and returns the answer as stored.",
  })
  externalId?: string | null;

  @Field(() => Int, { description: 'An integer 0–10.' })
  score!: number;

  @Field(() => String, {
    nullable: true,
    description: 'At most 10,000 characters. Left out, an answer already stored keeps its comment; null clears it.',
  })
  comment?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'At most 500 characters. Left out, an answer already stored keeps its respondent; null clears it.',
  })
  respondent?: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Left out or null (every answer has a date): the time the response is received, and an answer already stored keeps its own. ' +
      'From 1970 up to a day after now.',
  })
  respondedAt?: Date | null;
}

@ArgsType()
export class NpsSummaryArgs {
  @Field(() => ID, { nullable: true, description: "Only this customer's; NOT_FOUND for an unknown customer." })
  customerId?: string | null;

  @Field(() => String, { nullable: true, description: "Only the answers of this CSM owner's accounts." })
  csmOwner?: string | null;

  @Field(() => String, { nullable: true, description: 'Only the answers of accounts on this plan.' })
  plan?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound on respondedAt.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound on respondedAt.' })
  to?: Date | null;
}

@ArgsType()
export class NpsResponsesArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: "Only this customer's; NOT_FOUND for an unknown customer." })
  customerId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound on respondedAt.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound on respondedAt.' })
  to?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'NPS figures over a set of responses.' })
export class NpsSummary {
  @Field(() => Int)
  responses!: number;

  @Field(() => Float, { nullable: true, description: 'Mean score, rounded to 2 decimals; null without responses.' })
  averageScore!: number | null;

  @Field(() => Int, { description: 'Responses scoring 9–10.' })
  promoters!: number;

  @Field(() => Int, { description: 'Responses scoring 7–8.' })
  passives!: number;

  @Field(() => Int, { description: 'Responses scoring 0–6.' })
  detractors!: number;

  @Field(() => Int, { nullable: true, description: 'round(% promoters − % detractors), −100…100; null without responses.' })
  nps!: number | null;
}
