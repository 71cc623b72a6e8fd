// A daily rollup of engagement events per customer (UTC calendar days), maintained by the same
// statement that stores the events. Scoring aggregates whole days from here and reads raw events
// only for the few days a window boundary cuts through, so a full run touches a customer's ~50
// active days instead of its ~200 events, and stays exact for any asOf.
import { Entity, ManyToOne, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'engagement_day' })
export class EngagementDay {
  [PrimaryKeyProp]?: ['customer', 'day'];

  @ManyToOne(() => Customer, { primary: true, deleteRule: 'cascade' })
  customer!: Customer;

  /** The UTC date the events occurred on. */
  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'integer' })
  eventCount!: number;

  /** Events of type `user_added`. */
  @Property({ type: 'integer' })
  userAddedCount!: number;

  /** Earliest and latest `occurredAt` of the day: an edge day is in a window iff these are. */
  @Property({ type: 'timestamptz' })
  firstAt!: Date;

  @Property({ type: 'timestamptz' })
  lastAt!: Date;

  /**
   * The latest `occurredAt` of the day's events that name a user (the team's), null on a day of an
   * integration's calls only: the silence signal of an account with a team rhythm reads the team's
   * last event, which an integration calling every day would otherwise hide.
   */
  @Property({ type: 'timestamptz', nullable: true })
  teamLastAt?: Date | null;

  /** The distinct non-null features used that day, sorted. */
  @Property({ columnType: 'text[]', type: 'string[]' })
  features!: string[];

  /** The distinct non-null user ids active that day, sorted. */
  @Property({ columnType: 'text[]', type: 'string[]', default: '{}' })
  userIds!: string[];
}
