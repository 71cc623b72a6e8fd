// The account being scored. `id` is the integrator's own identifier (e.g. `cust_abc123`).
// The score columns are the denormalised current state written by the scoring engine.
import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'customer' })
@Check({
  name: 'customer_churned_after_signup',
  expression: '((churned_at IS NULL) OR (signed_up_at IS NULL) OR (churned_at >= signed_up_at))',
})
@Index({
  name: 'customer_score_keyset_idx',
  expression: 'create index "customer_score_keyset_idx" on "customer" (coalesce("health_score", -1), "id")',
})
@Index({ name: 'customer_arr_keyset_idx', properties: ['arrCents', 'id'] })
@Index({
  name: 'customer_arr_at_risk_idx',
  expression: `create index "customer_arr_at_risk_idx" on "customer" ((case when "lifecycle_stage" = 'CHURNED' then -1 else "arr_cents" * (100 - coalesce("health_score", 100)) end), "id")`,
})
// Names sort as people read them (Unicode's root collation: "alice", "Alice", "Émile", "Zoë"), not
// by their bytes, on every PostgreSQL whatever its database's locale.
@Index({
  name: 'customer_name_keyset_idx',
  expression: 'create index "customer_name_keyset_idx" on "customer" (("name" collate "und-x-icu"), "id")',
})
// A tier's accounts in score order (`healthScores(tier:)`, `customers(tier:, orderBy: SCORE_…)`): by tier
// alone, a page read the score index from the lowest score and skipped every other tier's account.
@Index({
  name: 'customer_tier_score_idx',
  expression: 'create index "customer_tier_score_idx" on "customer" ("tier", coalesce("health_score", -1), "id")',
})
// "Who has gone quiet": `customers(orderBy: LAST_ACTIVITY_…)`, never used first (customer.service.ts).
@Index({
  name: 'customer_last_activity_idx',
  expression: `create index "customer_last_activity_idx" on "customer" (coalesce("last_activity_at", '1900-01-01 00:00:00+00'::timestamptz), "id")`,
})
// Customers whose churn date has come since their last scoring (a date given ahead): queueDatesComeDue.
@Index({
  name: 'customer_churn_due_idx',
  expression: 'create index "customer_churn_due_idx" on "customer" ("churned_at") where "scored_at" < "churned_at"',
})
// Customers not scored since their sign-up (a date given ahead, or moved ahead): queueDatesComeDue.
@Index({
  name: 'customer_signup_due_idx',
  expression:
    'create index "customer_signup_due_idx" on "customer" ("signed_up_at") where "scored_at" is null or "scored_at" < "signed_up_at"',
})
// Customers with a churn date not staged CHURNED yet (a date given ahead, until the scoring round after
// it): the cancelled ones among them are read apart by ARR_AT_RISK_DESC and the stage filter (customer.service.ts).
@Index({
  name: 'customer_churn_unstaged_idx',
  expression: `create index "customer_churn_unstaged_idx" on "customer" ("churned_at", "id") where "churned_at" is not null and "lifecycle_stage" is distinct from 'CHURNED'`,
})
@Index({ name: 'customer_lifecycle_idx', properties: ['lifecycleStage', 'id'] })
@Index({ name: 'customer_csm_owner_idx', properties: ['csmOwner', 'id'] })
@Index({ name: 'customer_plan_idx', properties: ['plan', 'id'] })
export class Customer {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  plan?: string | null;

  @Property({ type: 'bigint', columnType: 'bigint', default: 0 })
  arrCents: string | number = 0;

  @Property({ type: 'integer', nullable: true })
  seats?: number | null;

  @Property({ type: 'timestamptz', nullable: true })
  signedUpAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  csmOwner?: string | null;

  @Property({ type: 'boolean', default: false })
  communicationOptOut = false;

  /** Where customer-facing email goes. */
  @Property({ type: 'text', nullable: true })
  contactEmail?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  churnedAt?: Date | null;

  /** Why the customer churned, in the integrator's words. */
  @Property({ type: 'text', nullable: true })
  churnReason?: string | null;

  // ---- current state, written by scoring ----
  @Property({ type: 'integer', nullable: true })
  healthScore?: number | null;

  @Property({ type: 'integer', nullable: true })
  engagementScore?: number | null;

  @Property({ type: 'text', nullable: true })
  tier?: string | null;

  @Property({ type: 'text', nullable: true })
  trend?: string | null;

  @Property({ type: 'text', nullable: true })
  lifecycleStage?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastActivityAt?: Date | null;

  /** Account NPS, −100…100, over the model's NPS window. */
  @Property({ type: 'integer', nullable: true })
  nps?: number | null;

  @Property({ type: 'timestamptz', nullable: true })
  scoredAt?: Date | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
