import { Migration } from '@mikro-orm/migrations';

/** customers(orderBy: LAST_ACTIVITY_ASC / _DESC) reads a page in its order, never used first. */
export class Migration20261204042355_customer_last_activity_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "customer_last_activity_idx" on "customer" (coalesce("last_activity_at", '1900-01-01 00:00:00+00'::timestamptz), "id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_last_activity_idx";`);
  }
}
