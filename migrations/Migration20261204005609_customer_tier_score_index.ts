import { Migration } from '@mikro-orm/migrations';

/**
 * A tier's accounts in score order come from one index: by (tier, id), a page of one tier in score
 * order read the score index from the lowest score and skipped every other tier's account. The new
 * index serves a filter by tier alone as well, so it replaces the old one.
 */
export class Migration20261204005609_customer_tier_score_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "customer_tier_idx";`);

    this.addSql(`create index "customer_tier_score_idx" on "customer" ("tier", coalesce("health_score", -1), "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_tier_score_idx";`);

    this.addSql(`create index "customer_tier_idx" on "customer" ("tier", "id");`);
  }
}
