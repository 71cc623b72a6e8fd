// One product-usage event (login, feature_used, page_view, api_call, user_added, …).
// The largest table by far: ingestion writes it set-based, scoring aggregates it by window.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'engagement_event' })
@Index({ name: 'engagement_event_customer_time_idx', properties: ['customer', 'occurredAt', 'id'] })
// A customer's events of one type, newest first (its signal drill-down): without it, the type's events of every customer are read.
@Index({ name: 'engagement_event_customer_type_time_idx', properties: ['customer', 'eventType', 'occurredAt', 'id'] })
@Index({ name: 'engagement_event_type_time_idx', properties: ['eventType', 'occurredAt', 'id'] })
@Index({ name: 'engagement_event_time_idx', properties: ['occurredAt', 'id'] })
@Index({
  name: 'engagement_event_idempotency_key_uq',
  expression:
    'create unique index "engagement_event_idempotency_key_uq" on "engagement_event" ("customer_id", "idempotency_key") where "idempotency_key" is not null',
})
export class EngagementEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  // No row-by-row foreign key on the largest, hottest table: integrity is kept set-based by the
  // statement-level triggers of Migration20261125192504 (one anti-join per insert statement instead
  // of one locking lookup per event; deleting a customer still deletes its events).
  @ManyToOne(() => Customer, { createForeignKeyConstraint: false, index: false })
  customer!: Customer;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'text', nullable: true })
  userId?: string | null;

  @Property({ type: 'text', nullable: true })
  feature?: string | null;

  @Property({ type: 'json', nullable: true })
  metadata?: Record<string, unknown> | null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'text', nullable: true })
  idempotencyKey?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  receivedAt: Date = new Date();
}
