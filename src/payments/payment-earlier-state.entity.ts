// The states a payment had before a change of its status or of a date (another attempt, another due
// date), each with the instant it ended. A payment
// is upserted by its externalId, so its row holds only its latest state (a failed invoice later paid
// reads PAID); scoring as of an earlier instant reads the state it had then: the earliest one that
// ended after that instant, else the row. A payment never changed so has none. A change dated before
// the payment's current state (a webhook arriving late) is placed among them at its own date.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Payment } from './payment.entity';

@Entity({ tableName: 'payment_earlier_state' })
// A payment's states by their end: scoring reads the first one ending after its instant, and
// deleting a customer deletes its payments, and each payment its states, through this index.
@Index({ name: 'payment_earlier_state_payment_idx', properties: ['payment', 'endedAt', 'id'] })
// A batch's payments changed after its instant, by customer: one index range each.
@Index({ name: 'payment_earlier_state_customer_idx', properties: ['customerId', 'endedAt'] })
export class PaymentEarlierState {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Payment, { deleteRule: 'cascade', index: false })
  payment!: Payment;

  /** The payment's customer, copied so scoring finds a customer's changed payments by one index range. */
  @Property({ type: 'text' })
  customerId!: string;

  /** PAID, FAILED or REFUNDED, as the payment was then. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  paidAt?: Date | null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  /** When the next state took effect: the payment's paidAt for a payment made, else the occurredAt sent with the change, else when it was recorded. */
  @Property({ type: 'timestamptz' })
  endedAt!: Date;
}
