// The history of a ticket's status: the status it was received with at its opening, and each later
// change. A ticket's status as of t is the status of its last change at or before t (by changedAt,
// then id), so scoring as of a past day sees the ticket open on the days it was open. A change dated
// before the ticket's latest one (a webhook arriving late) is recorded at its own date, the ticket
// keeping its status; one at the instant of another, recorded later, replaces it.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { SupportTicket } from './support-ticket.entity';

@Entity({ tableName: 'support_ticket_status_change' })
@Index({ name: 'support_ticket_status_change_customer_time_idx', properties: ['customerId', 'changedAt', 'id'] })
// Deleting a customer deletes its tickets, and each ticket its changes: found through this index.
@Index({ name: 'support_ticket_status_change_ticket_idx', properties: ['ticket'] })
export class SupportTicketStatusChange {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => SupportTicket, { deleteRule: 'cascade', index: false })
  ticket!: SupportTicket;

  /** The ticket's customer, copied so scoring reads a customer's history by one index range. */
  @Property({ type: 'text' })
  customerId!: string;

  /** OPEN, PENDING or SOLVED. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'timestamptz' })
  changedAt!: Date;
}
