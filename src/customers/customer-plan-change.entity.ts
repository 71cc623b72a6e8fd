// The history of a customer's plan size (ARR and seats): one row when the customer arrives and one
// for every later change of either. Scoring as of a past instant reads the plan in force then, and
// the contraction signal compares it with the plan some time before.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from './customer.entity';

@Entity({ tableName: 'customer_plan_change' })
@Index({ name: 'customer_plan_change_customer_time_idx', properties: ['customer', 'changedAt', 'id'] })
export class CustomerPlanChange {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  /** ARR from `changedAt` on, in cents. */
  @Property({ type: 'bigint', columnType: 'bigint' })
  arrCents!: string | number;

  @Property({ type: 'integer', nullable: true })
  seats?: number | null;

  /** When the change took effect (`planChangedAt`, or the sign-up for the first row). */
  @Property({ type: 'timestamptz' })
  changedAt!: Date;
}
