// Every tier transition: the durable record behind the `healthTierChanged` subscription, so a
// client that reconnects catches up with `tierChanges(since)`.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'tier_change' })
@Index({ name: 'tier_change_time_idx', properties: ['changedAt', 'id'] })
@Index({ name: 'tier_change_customer_time_idx', properties: ['customer', 'changedAt', 'id'] })
// Live changes only (tierChanges(backfill: false)): a backfilled history holds far more of the others.
@Index({
  name: 'tier_change_live_time_idx',
  expression: 'create index "tier_change_live_time_idx" on "tier_change" ("changed_at", "id") where not "backfill"',
})
// The changes feed: live changes the account made, not the moves of a model change (a run after an activation moves thousands).
@Index({
  name: 'tier_change_feed_time_idx',
  expression:
    'create index "tier_change_feed_time_idx" on "tier_change" ("changed_at", "id") where not "backfill" and coalesce("from_model_version" = "model_version", true)',
})
// The feed's moves across two versions that score alike (of one run differing only in playbook settings), by
// their pair of versions: the thousands of moves an activation's run makes are never read for them.
@Index({
  name: 'tier_change_model_move_idx',
  expression:
    'create index "tier_change_model_move_idx" on "tier_change" ("model_version", "from_model_version", "changed_at") where not "backfill" and "from_model_version" <> "model_version"',
})
export class TierChange {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  /**
   * The tier of the point before it (null when there is none), with its score and the direction
   * between them: the history's link to that point. Readers tell a move off a thinly observed point
   * as a first placement (tierChangeFromSql), not as stored.
   */
  @Property({ type: 'text', nullable: true })
  fromTier?: string | null;

  @Property({ type: 'text' })
  toTier!: string;

  @Property({ type: 'smallint', nullable: true })
  fromScore?: number | null;

  @Property({ type: 'smallint' })
  toScore!: number;

  /**
   * The model versions of the points the change lies between: the point at its instant (as
   * `toScore`) and the one before it (as `fromScore`; null when there is none). Kept with them
   * wherever the history is relinked. Different, and the two versions score otherwise (not of one
   * run of versions differing only in playbook settings: MODEL_SCORING_SQL), the model moved, not the
   * account.
   */
  @Property({ type: 'integer', nullable: true })
  modelVersion?: number | null;

  @Property({ type: 'integer', nullable: true })
  fromModelVersion?: number | null;

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
