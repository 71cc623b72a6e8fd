// One answer to the NPS survey ("how likely are you to recommend us", 0–10).
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';
import { DETRACTOR_MAX_SCORE } from './nps-categories';

@Entity({ tableName: 'nps_response' })
@Index({ name: 'nps_response_customer_time_idx', properties: ['customer', 'respondedAt', 'id'] })
@Index({ name: 'nps_response_time_idx', properties: ['respondedAt', 'id'] })
// Detractor answers (the changes feed).
@Index({
  name: 'nps_response_detractor_time_idx',
  expression: `create index "nps_response_detractor_time_idx" on "nps_response" ("responded_at") where "score" <= ${DETRACTOR_MAX_SCORE}`,
})
@Check({ name: 'nps_response_score_range', expression: '((score >= 0) AND (score <= 10))' })
@Index({
  name: 'nps_response_external_id_uq',
  expression:
    'create unique index "nps_response_external_id_uq" on "nps_response" ("customer_id", "external_id") where "external_id" is not null',
})
export class NpsResponse {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @ManyToOne(() => Customer, { deleteRule: 'cascade', index: false })
  customer!: Customer;

  /** The survey tool's id of the answer: the idempotency key of a submission, unique per customer. */
  @Property({ type: 'text', nullable: true })
  externalId?: string | null;

  @Property({ type: 'smallint' })
  score!: number;

  @Property({ type: 'text', nullable: true })
  comment?: string | null;

  @Property({ type: 'text', nullable: true })
  respondent?: string | null;

  @Property({ type: 'timestamptz' })
  respondedAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
