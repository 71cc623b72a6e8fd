import { Migration } from '@mikro-orm/migrations';

/** Customers not scored since their sign-up, found by each scoring round once the date has come (queueDatesComeDue). */
export class Migration20261208100000_signup_due_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "customer_signup_due_idx" on "customer" ("signed_up_at") where "scored_at" is null or "scored_at" < "signed_up_at";`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_signup_due_idx";`);
  }
}
