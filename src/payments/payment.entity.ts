// An invoice payment attempt. Failed payments are the strongest involuntary-churn signal.
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'payment' })
@Check({ name: 'payment_failed_unpaid', expression: "((status <> 'FAILED') OR (paid_at IS NULL))" })
// A payment made has its date: recorded PAID without one, it is paid when that is recorded (payment.service.ts).
@Check({ name: 'payment_paid_dated', expression: "((status <> 'PAID') OR (paid_at IS NOT NULL))" })
@Index({ name: 'payment_customer_time_idx', properties: ['customer', 'occurredAt', 'id'] })
@Index({ name: 'payment_status_time_idx', properties: ['status', 'occurredAt'] })
@Index({
  name: 'payment_external_id_uq',
  expression: 'create unique index "payment_external_id_uq" on "payment" ("customer_id", "external_id") where "external_id" is not null',
})
export class Payment {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'text', nullable: true })
  externalId?: string | null;

  @Property({ type: 'bigint', columnType: 'bigint' })
  amountCents!: string | number;

  @Property({ type: 'text' })
  currency!: string;

  /** PAID, FAILED or REFUNDED. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  paidAt?: Date | null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}
