import { Migration } from '@mikro-orm/migrations';

/**
 * An instant is scored once per customer (scoring it again replaces its point). Histories written
 * before that may hold two points at one instant, and the same tier change twice: the first written
 * of each is kept.
 */
export class Migration20261202140000_one_point_per_instant extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `delete from "health_score" h using "health_score" first where first."customer_id" = h."customer_id" and first."as_of" = h."as_of" and first."id" < h."id";`,
    );
    this.addSql(
      `delete from "tier_change" t using "tier_change" first where first."customer_id" = t."customer_id" and first."changed_at" = t."changed_at" and first."id" < t."id";`,
    );
  }

  override async down(): Promise<void> {
    // Nothing to undo: the duplicates are gone.
  }
}
