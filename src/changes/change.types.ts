// GraphQL shapes of the "what changed" feed: one row per change a CS team acts on, newest first.
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { textOf } from '../infra/field-cost';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';
import { DETRACTOR_MAX_SCORE } from '../nps/nps-categories';
import { MAX_SUBJECT_LENGTH, SupportTicketSeverity } from '../support/support-ticket.types';

export enum ChangeKind {
  TIER_CHANGED = 'TIER_CHANGED',
  SCORE_DROPPED = 'SCORE_DROPPED',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  URGENT_TICKET = 'URGENT_TICKET',
  DETRACTOR = 'DETRACTOR',
}
registerEnumType(ChangeKind, {
  name: 'ChangeKind',
  description: 'What kind of change an entry of `changes` is.',
  valuesConfig: {
    TIER_CHANGED: { description: 'A tier change found live (backfills are left out).' },
    SCORE_DROPPED: {
      description:
        'A score that fell by at least minScoreDrop points while the tier held: in one scoring (fromScore the score before), or in small steps to minScoreDrop below its high of the drop window (fromScore that high; listed once).',
    },
    PAYMENT_FAILED: { description: 'A failed payment.' },
    URGENT_TICKET: { description: 'A HIGH or URGENT support ticket opened.' },
    DETRACTOR: { description: `An NPS answer of 0–${DETRACTOR_MAX_SCORE}.` },
  },
});

@ObjectType({ simpleResolvers: true, description: "One change to an account, with the account's name." })
export class Change {
  @Field(() => ID, { description: 'Stable across pages: the kind and the id of the underlying record.' })
  id!: string;

  @Field(() => ChangeKind)
  kind!: ChangeKind;

  @Field(() => DateTimeScalar)
  at!: DateTimeValue;

  @Field(() => ID)
  customerId!: string;

  @Field()
  customerName!: string;

  @Field(() => String, { nullable: true })
  fromTier!: string | null;

  @Field(() => String, { nullable: true })
  toTier!: string | null;

  @Field(() => Int, { nullable: true })
  fromScore!: number | null;

  @Field(() => Int, { nullable: true })
  toScore!: number | null;

  @Field(() => String, {
    nullable: true,
    // At its longest a ticket's: `URGENT: ` and its subject.
    complexity: textOf(`${SupportTicketSeverity.URGENT}: `.length + MAX_SUBJECT_LENGTH),
    description: "The payment's amount and currency, the ticket's severity and subject, or the NPS score.",
  })
  detail!: string | null;
}

export const ChangeConnection = Connection(Change);

@ArgsType()
export class ChangesArgs extends PageArgs {
  @Field(() => DateTimeScalar, { description: 'Changes at or after this instant (yesterday morning, the last visit).' })
  since!: Date;

  @Field(() => String, { nullable: true, description: "Only this CSM owner's accounts." })
  csmOwner?: string | null;

  @Field(() => Int, {
    nullable: true,
    defaultValue: 10,
    description: 'Points a score must fall within a tier to count, 1–100 (default 10).',
  })
  minScoreDrop?: number;
}
