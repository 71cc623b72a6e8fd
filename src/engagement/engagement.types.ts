// GraphQL shapes of product-usage ingestion and its read side.
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { jsonOf } from '../infra/field-cost';
import { MAX_JSON_BYTES } from '../infra/input';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, JSONScalar, DateTimeValue } from '../infra/scalars';

@ObjectType()
export class EngagementEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field({ description: 'login, feature_used, page_view, api_call, user_added, …' })
  eventType!: string;

  @Field(() => String, { nullable: true })
  userId!: string | null;

  @Field(() => String, { nullable: true })
  feature!: string | null;

  @Field(() => JSONScalar, { nullable: true, complexity: jsonOf(MAX_JSON_BYTES) })
  metadata!: Record<string, unknown> | null;

  @Field(() => DateTimeScalar)
  occurredAt!: DateTimeValue;

  @Field(() => String, { nullable: true })
  idempotencyKey!: string | null;

  @Field(() => DateTimeScalar)
  receivedAt!: DateTimeValue;
}

export const EngagementEventConnection = Connection(EngagementEvent);

@InputType({ description: 'One product-usage event. No text may contain a NUL character (BAD_USER_INPUT).' })
export class EngagementEventInput {
  @Field(() => ID, { description: 'At most 200 characters.' })
  customerId!: string;

  @Field({ description: 'Not empty; at most 500 characters.' })
  eventType!: string;

  @Field(() => String, { nullable: true, description: 'At most 500 characters.' })
  userId?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 500 characters.' })
  feature?: string | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'A JSON object of free-form attributes: at most 10 levels deep and 8 KB of JSON.',
  })
  metadata?: unknown;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Defaults to the time the event is received; from 1970 up to a day after now.',
  })
  occurredAt?: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'At most 500 characters. A repeat of a key already stored for this customer is counted as a duplicate and not stored again.',
  })
  idempotencyKey?: string | null;
}

@ObjectType()
export class BatchItemError {
  @Field(() => Int, { description: 'Position of the rejected item in the `events` list.' })
  index!: number;

  @Field({ description: 'BAD_USER_INPUT or NOT_FOUND.' })
  code!: string;

  @Field()
  message!: string;
}

@ObjectType()
export class BatchIngestResult {
  @Field(() => Int, { description: 'Events stored.' })
  accepted!: number;

  @Field(() => Int, { description: 'Events skipped because their idempotencyKey was already stored for the customer.' })
  duplicates!: number;

  @Field(() => [BatchItemError])
  errors!: BatchItemError[];
}

@ArgsType()
export class EngagementEventsArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: "Only this customer's; NOT_FOUND for an unknown customer." })
  customerId?: string | null;

  @Field(() => String, { nullable: true })
  eventType?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound on occurredAt.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound on occurredAt.' })
  to?: Date | null;
}

@ArgsType()
export class CustomerEngagementArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  eventType?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound on occurredAt.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound on occurredAt.' })
  to?: Date | null;
}
