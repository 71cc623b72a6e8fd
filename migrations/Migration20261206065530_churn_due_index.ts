import { Migration } from '@mikro-orm/migrations';

/** Customers whose churn date has come since their last scoring, found by each scoring round (queueChurnsDue). */
export class Migration20261206065530_churn_due_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "customer_churn_due_idx" on "customer" ("churned_at") where "scored_at" < "churned_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_churn_due_idx";`);
  }
}
