import { Migration } from '@mikro-orm/migrations';

/**
 * A customer never churns before it signed up, whichever calls set the two dates. Customers stored
 * otherwise before the rule are taken as churned at their sign-up (the earliest churn their dates allow).
 */
export class Migration20261202114000_churn_after_signup extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update "customer" set "churned_at" = "signed_up_at" where "churned_at" < "signed_up_at";`);
    this.addSql(
      `alter table "customer" add constraint "customer_churned_after_signup" check (((churned_at IS NULL) OR (signed_up_at IS NULL) OR (churned_at >= signed_up_at)));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer" drop constraint "customer_churned_after_signup";`);
  }
}
