import { Migration } from '@mikro-orm/migrations';

/** A churned account sorts below one with nothing at risk (-1, not 0): the index holds the new expression. */
export class Migration20261204051500_arr_at_risk_churned_below_none extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "customer_arr_at_risk_idx";`);
    this.addSql(
      `create index "customer_arr_at_risk_idx" on "customer" ((case when "lifecycle_stage" = 'CHURNED' then -1 else "arr_cents" * (100 - coalesce("health_score", 100)) end), "id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_arr_at_risk_idx";`);
    this.addSql(
      `create index "customer_arr_at_risk_idx" on "customer" ((case when "lifecycle_stage" = 'CHURNED' then 0 else "arr_cents" * (100 - coalesce("health_score", 100)) end), "id");`,
    );
  }
}
