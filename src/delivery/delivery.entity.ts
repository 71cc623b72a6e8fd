// One outreach action on its way to one destination: the durable record of at-least-once delivery.
// Its id is the Standard Webhooks `webhook-id`, the same on every attempt, so receivers can
// deduplicate. The queue (graphile-worker) holds the job; this row holds what users see.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';
import { OutreachAction } from '../outreach/outreach-action.entity';
import { Destination } from './destination.entity';

@Entity({ tableName: 'delivery' })
@Index({ name: 'delivery_action_idx', properties: ['action', 'destination'] })
@Index({ name: 'delivery_status_action_idx', properties: ['status', 'action'] })
@Index({ name: 'delivery_destination_status_idx', properties: ['destination', 'status'] })
@Index({ name: 'delivery_customer_time_idx', properties: ['customer', 'audience', 'createdAt'] })
// deliverySummary(from, to), answered from the index alone.
@Index({ name: 'delivery_created_idx', properties: ['createdAt', 'destination', 'status'] })
@Index({ name: 'delivery_digest_idx', properties: ['digestId'] })
export class Delivery {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => OutreachAction, { deleteRule: 'cascade', index: false })
  action!: OutreachAction;

  @ManyToOne(() => Destination, { index: false })
  destination!: Destination;

  /** The action's customer and audience, for the weekly cap on customer-facing messages. */
  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'text' })
  audience!: string;

  /** The account's CSM when the action was decided: a digest collects per CSM. */
  @Property({ type: 'text', nullable: true })
  csmOwner?: string | null;

  /** PENDING, RETRYING, DELIVERED, DEAD, CANCELLED or SKIPPED_WEEKLY_CAP. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'integer', default: 0 })
  attempts = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** Set when a digest message took this delivery: every attempt of that message carries the same set. */
  @Property({ type: 'uuid', nullable: true })
  digestId?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** Retries end DELIVERY_RETRY_WINDOW_MS after this: the first enqueue, or the latest `redeliver`. */
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  retryFrom: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;

  /**
   * When the attempt sending it took it. Another attempt (a retry, a `redeliver`) takes it only once
   * that attempt must have ended, so one message is not sent twice at once. It also names the
   * attempt (a later claim always has a later time): an attempt records its outcome, and clears
   * this, only while the claim is still its own.
   */
  @Property({ type: 'timestamptz', nullable: true })
  sendingSince?: Date | null;
}
