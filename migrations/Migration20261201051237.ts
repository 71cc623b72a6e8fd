import { Migration } from '@mikro-orm/migrations';

export class Migration20261201051237 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "customer_plan_idx" on "customer" ("plan", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_plan_idx";`);
  }
}
