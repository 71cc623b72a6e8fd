// The severity and CSAT rating a ticket had before a change of either, each with the instant it
// ended. A ticket is upserted by its externalId, so its row holds only its latest ones; scoring as of
// an earlier instant reads those it had then (a ticket escalated to URGENT later was not urgent
// before, a rating given later was not known before): the earliest state that ended after that
// instant, else the ticket's own. Its status has its own history (support_ticket_status_change). A
// change dated before the ticket's current state (a webhook arriving late) is placed among them at
// its own date, until the ticket's next recorded change.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { SupportTicket } from './support-ticket.entity';

@Entity({ tableName: 'support_ticket_earlier_state' })
// A ticket's states by their end: scoring reads the first one ending after its instant, and
// deleting a ticket deletes them through this index.
@Index({ name: 'support_ticket_earlier_state_ticket_idx', properties: ['ticket', 'endedAt', 'id'] })
export class SupportTicketEarlierState {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => SupportTicket, { deleteRule: 'cascade', index: false })
  ticket!: SupportTicket;

  /** LOW, NORMAL, HIGH or URGENT, as the ticket was until endedAt. */
  @Property({ type: 'text' })
  severity!: string;

  /** 1–5, or null when not rated yet, as the ticket was until endedAt. */
  @Property({ type: 'smallint', nullable: true })
  csatRating?: number | null;

  /**
   * When the next state took effect: the statusChangedAt sent with the change, else the resolvedAt
   * sent with it, else when it was recorded.
   */
  @Property({ type: 'timestamptz' })
  endedAt!: Date;
}
