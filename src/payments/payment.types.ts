// GraphQL shapes of payment ingestion: the Payment object, its status and the input.
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, SafeIntScalar, DateTimeValue } from '../infra/scalars';

export enum PaymentStatus {
  PAID = 'PAID',
  FAILED = 'FAILED',
  REFUNDED = 'REFUNDED',
}
registerEnumType(PaymentStatus, {
  name: 'PaymentStatus',
  description: 'The state of a payment attempt.',
  valuesConfig: {
    PAID: { description: 'Paid, at paidAt (default its occurredAt).' },
    FAILED: {
      description: 'The attempt failed (it has no paidAt): a failed payment, and its invoice unpaid until a payment of it is PAID.',
    },
    REFUNDED: { description: 'Paid back: it neither pays its invoice nor leaves it unpaid.' },
  },
});

@ObjectType({ description: 'An invoice payment attempt; failed payments are the strongest involuntary-churn signal.' })
export class Payment {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => String, { nullable: true, description: "The billing system's own id of the payment, if given." })
  externalId!: string | null;

  @Field(() => SafeIntScalar, { description: "Amount in the currency's minor unit (cents)." })
  amountCents!: number;

  @Field({ description: 'ISO-4217 code, upper case (e.g. `EUR`).' })
  currency!: string;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  dueAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'When it was paid: always set while PAID; null once it FAILED, and for a refund recorded without it.',
  })
  paidAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, { description: 'When the attempt (or its latest status change) happened.' })
  occurredAt!: DateTimeValue;
}

export const PaymentConnection = Connection(Payment);

@InputType({
  description:
    'A payment attempt. With an externalId, recording the same (customer, externalId) again updates the stored payment ' +
    '(a retried webhook or a status change): omitted optional fields keep their stored value, null clears dueAt or paidAt ' +
    '(not with PAID, see paidAt) and occurredAt cannot be cleared (null is BAD_USER_INPUT). An update dated (paidAt ' +
    "of a payment made, else occurredAt) before the stored payment's current state is an earlier state arriving late: " +
    'recorded in its history, the payment left as it is.',
})
export class PaymentInput {
  @Field(() => ID, { description: 'At most 200 characters.' })
  customerId!: string;

  @Field(() => String, {
    nullable: true,
    description: "The billing system's id; the upsert key within the customer; at most 200 characters.",
  })
  externalId?: string | null;

  @Field(() => SafeIntScalar, { description: 'Amount in cents, ≥ 0.' })
  amountCents!: number;

  @Field({ description: 'Three-letter ISO-4217 code; stored upper-cased.' })
  currency!: string;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => DateTimeScalar, { nullable: true, description: 'From 1970 up to ten years after now.' })
  dueAt?: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'From 1970 up to a day after now. Not with FAILED: a failed payment is not paid, and recording one FAILED clears it. ' +
      'Recorded PAID without it (left out or null), a payment keeps the paid date it has, else was paid at the occurredAt sent ' +
      'with it (a new payment: its own), else now.',
  })
  paidAt?: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Defaults to the time the payment is received; on an update the stored time is kept unless given (null is BAD_USER_INPUT). ' +
      'From 1970 up to a day after now.',
  })
  occurredAt?: Date | null;
}
