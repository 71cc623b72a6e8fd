import { Migration } from '@mikro-orm/migrations';

/** Customers cancelled by now and not staged CHURNED yet, read apart from the rest by ARR_AT_RISK_DESC and the stage filter. */
export class Migration20261208090000_churn_unstaged_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "customer_churn_unstaged_idx" on "customer" ("churned_at", "id") where "churned_at" is not null and "lifecycle_stage" is distinct from 'CHURNED';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_churn_unstaged_idx";`);
  }
}
