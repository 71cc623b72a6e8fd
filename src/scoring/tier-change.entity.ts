// Every tier transition: the durable record behind the `healthTierChanged` subscription, so a
// client that reconnects catches up with `tierChanges(since)`.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'tier_change' })
@Index({ name: 'tier_change_time_idx', properties: ['changedAt', 'id'] })
@Index({ name: 'tier_change_customer_time_idx', properties: ['customer', 'changedAt', 'id'] })
// Live changes only (the changes feed, tierChanges(backfill: false)): a backfilled history holds far more of the others.
@Index({
  name: 'tier_change_live_time_idx',
  expression: 'create index "tier_change_live_time_idx" on "tier_change" ("changed_at", "id") where not "backfill"',
})
export class TierChange {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'text', nullable: true })
  fromTier?: string | null;

  @Property({ type: 'text' })
  toTier!: string;

  @Property({ type: 'smallint', nullable: true })
  fromScore?: number | null;

  @Property({ type: 'smallint' })
  toScore!: number;

  /** WORSENED, IMPROVED or NEW. */
  @Property({ type: 'text' })
  direction!: string;

  /** The scoring's `asOf`: when the change happened in the customer's timeline. */
  @Property({ type: 'timestamptz' })
  changedAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  recordedAt: Date = new Date();

  /** Written by a backfill of past scores rather than by a scoring as of its time. */
  @Property({ type: 'boolean', default: false })
  backfill = false;
}
