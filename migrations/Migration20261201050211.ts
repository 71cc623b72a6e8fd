import { Migration } from '@mikro-orm/migrations';

export class Migration20261201050211 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "customer_csm_owner_idx" on "customer" ("csm_owner", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_csm_owner_idx";`);
  }
}
