import { Migration } from '@mikro-orm/migrations';

/** ARR at risk is none for a churned account (it has lost its ARR): the index holds the new expression. */
export class Migration20261204043500_arr_at_risk_leaves_churned extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "customer_arr_at_risk_idx";`);
    this.addSql(
      `create index "customer_arr_at_risk_idx" on "customer" ((case when "lifecycle_stage" = 'CHURNED' then 0 else "arr_cents" * (100 - coalesce("health_score", 100)) end), "id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_arr_at_risk_idx";`);
    this.addSql(`create index "customer_arr_at_risk_idx" on "customer" (("arr_cents" * (100 - coalesce("health_score", 100))), "id");`);
  }
}
