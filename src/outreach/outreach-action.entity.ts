// The proactive outreach log: every playbook action, sent, skipped for opt-out or suppressed by cooldown.
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'outreach_action' })
@Index({ name: 'outreach_action_customer_time_idx', properties: ['customer', 'createdAt', 'id'] })
@Index({ name: 'outreach_action_status_time_idx', properties: ['status', 'createdAt', 'id'] })
@Index({ name: 'outreach_action_time_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'outreach_action_playbook_time_idx', properties: ['playbook', 'createdAt', 'id'] })
// outreachLog(audience:): by the time index alone, a page of the rarer audience skipped every action of the other.
@Index({ name: 'outreach_action_audience_time_idx', properties: ['audience', 'createdAt', 'id'] })
export class OutreachAction {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  @Property({ type: 'text' })
  playbook!: string;

  @Property({ type: 'text' })
  action!: string;

  /** CUSTOMER or TEAM. */
  @Property({ type: 'text' })
  audience!: string;

  @Property({ type: 'text' })
  channel!: string;

  /** What fired the playbook: TIER_WORSENED, SCORE_DROP, CRITICAL, AT_RISK_DECLINING, SILENCE, EXPANSION. */
  @Property({ type: 'text' })
  trigger!: string;

  @Property({ type: 'text', nullable: true })
  fromTier?: string | null;

  @Property({ type: 'text', nullable: true })
  toTier?: string | null;

  @Property({ type: 'integer', nullable: true })
  score?: number | null;

  /**
   * The score before `score` as the message shows it after "was", decided with the action; null
   * without one (a first scoring, or one after a model change that scores otherwise). Deliveries
   * read it here, so a payload says what its message says whatever history is written later.
   */
  @Property({ type: 'integer', nullable: true })
  previousScore?: number | null;

  /** An OutreachStatus: DECIDED, SKIPPED_OPT_OUT, SUPPRESSED_COOLDOWN or SUPPRESSED_DUPLICATE. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'boolean', default: false })
  escalation = false;

  @Property({ type: 'text', nullable: true })
  message?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
