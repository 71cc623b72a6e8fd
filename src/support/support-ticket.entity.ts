// A support ticket, upserted by the helpdesk's own id (`externalId`) as it moves through statuses.
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'support_ticket' })
@Unique({ name: 'support_ticket_external_id_uq', properties: ['customer', 'externalId'] })
@Index({ name: 'support_ticket_customer_time_idx', properties: ['customer', 'openedAt', 'id'] })
@Index({ name: 'support_ticket_status_idx', properties: ['status', 'openedAt'] })
// The urgent tickets of the changes feed, newest first.
@Index({
  name: 'support_ticket_urgent_time_idx',
  expression: `create index "support_ticket_urgent_time_idx" on "support_ticket" ("opened_at") where "severity" in ('HIGH', 'URGENT')`,
})
@Check({ name: 'support_ticket_csat_range', expression: '((csat_rating IS NULL) OR ((csat_rating >= 1) AND (csat_rating <= 5)))' })
@Check({ name: 'support_ticket_resolved_after_opened', expression: '((resolved_at IS NULL) OR (resolved_at >= opened_at))' })
export class SupportTicket {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text', nullable: true })
  subject?: string | null;

  /** LOW, NORMAL, HIGH or URGENT. */
  @Property({ type: 'text' })
  severity!: string;

  /** OPEN, PENDING or SOLVED. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'smallint', nullable: true })
  csatRating?: number | null;

  /** −1 (angry) … 1 (delighted). */
  @Property({ type: 'real', nullable: true })
  sentiment?: number | null;

  @Property({ type: 'timestamptz' })
  openedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt?: Date | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
