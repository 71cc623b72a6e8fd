// GraphQL shapes of support-ticket ingestion: the ticket, its severity and status, the input and
// the customer's ticket list arguments.
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { textOf } from '../infra/field-cost';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';

/** Characters of a ticket's subject. */
export const MAX_SUBJECT_LENGTH = 1_000;

export enum SupportTicketSeverity {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(SupportTicketSeverity, {
  name: 'SupportTicketSeverity',
  description: "A ticket's severity, as the helpdesk set it; HIGH and URGENT ones are the urgent tickets of scoring.",
  valuesConfig: {
    LOW: { description: 'Low priority.' },
    NORMAL: { description: "Normal priority (a new ticket's default)." },
    HIGH: { description: 'High priority: counts among urgent tickets while open.' },
    URGENT: { description: 'Urgent: counts among urgent tickets while open.' },
  },
});

export enum SupportTicketStatus {
  OPEN = 'OPEN',
  PENDING = 'PENDING',
  SOLVED = 'SOLVED',
}
registerEnumType(SupportTicketStatus, {
  name: 'SupportTicketStatus',
  description: "A ticket's status; OPEN and PENDING are open, SOLVED is resolved (at resolvedAt).",
  valuesConfig: {
    OPEN: { description: 'Open.' },
    PENDING: { description: "Open, and waiting (the helpdesk's pending): counts as open, as OPEN does." },
    SOLVED: { description: 'Resolved, at resolvedAt.' },
  },
});

@ObjectType({ description: "A helpdesk ticket, kept up to date by the helpdesk's own id." })
export class SupportTicket {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field({ description: "The helpdesk's id of the ticket." })
  externalId!: string;

  @Field(() => String, { nullable: true, complexity: textOf(MAX_SUBJECT_LENGTH) })
  subject!: string | null;

  @Field(() => SupportTicketSeverity)
  severity!: SupportTicketSeverity;

  @Field(() => SupportTicketStatus)
  status!: SupportTicketStatus;

  @Field(() => Int, { nullable: true, description: 'Customer satisfaction rating, 1–5.' })
  csatRating!: number | null;

  @Field(() => Float, { nullable: true, description: '−1 (angry) … 1 (delighted).' })
  sentiment!: number | null;

  @Field(() => DateTimeScalar)
  openedAt!: DateTimeValue;

  @Field(() => DateTimeScalar, { nullable: true })
  resolvedAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, { description: 'When the ticket was last recorded.' })
  updatedAt!: DateTimeValue;
}

export const SupportTicketConnection = Connection(SupportTicket);

@InputType({
  description:
    'Creates the ticket or updates the one with the same (customer, externalId). On an update, omitted fields keep ' +
    'their stored value and an explicit null clears subject, csatRating or sentiment; severity, status and openedAt ' +
    'cannot be cleared (null is BAD_USER_INPUT), and resolvedAt goes with the status (see there). An update dated (resolvedAt of a resolution, else ' +
    "statusChangedAt) before the stored ticket's current state is an earlier state arriving late: recorded in its history, " +
    'the ticket left as it is.',
})
export class SupportTicketInput {
  @Field(() => ID, { description: 'At most 200 characters.' })
  customerId!: string;

  @Field({ description: "The helpdesk's id of the ticket; the upsert key within the customer; not empty, at most 200 characters." })
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'At most 1,000 characters.' })
  subject?: string | null;

  @Field(() => SupportTicketSeverity, { nullable: true, description: 'NORMAL for a new ticket when omitted.' })
  severity?: SupportTicketSeverity | null;

  @Field(() => SupportTicketStatus, { nullable: true, description: 'OPEN for a new ticket when omitted.' })
  status?: SupportTicketStatus | null;

  @Field(() => Int, { nullable: true, description: '1–5.' })
  csatRating?: number | null;

  @Field(() => Float, { nullable: true, description: '−1 … 1.' })
  sentiment?: number | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Defaults to the time the ticket is first received; on an update the stored time is kept unless given. From 1970 up to a day after now.',
  })
  openedAt?: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Not before openedAt; from 1970 up to a day after now. A ticket reopened (status OPEN or PENDING) is no longer resolved. ' +
      'Sent SOLVED without it (left out or null), a ticket keeps its resolution, else is resolved at statusChangedAt or now. ' +
      'Without a status, it corrects the resolution of a SOLVED ticket (BAD_USER_INPUT for an OPEN or PENDING one; it needs ' +
      'the read scope as well, FORBIDDEN otherwise), and null leaves a solved ticket its resolution.',
  })
  resolvedAt?: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'When the status or severity given took effect, for a change other than a resolution (a reopening, a move to PENDING, an escalation) loaded after the fact; default now. Not before openedAt (it is moved to that); from 1970 up to a day after now. A resolution is dated by resolvedAt. ' +
      "A change dated before the ticket's current state (its latest status, severity or rating change) arrived late: it is recorded in the ticket's history at its date, and the ticket is left as it is.",
  })
  statusChangedAt?: Date | null;
}

@ArgsType()
export class CustomerSupportTicketsArgs extends PageArgs {
  @Field(() => SupportTicketStatus, { nullable: true })
  status?: SupportTicketStatus | null;
}
