import { Migration } from '@mikro-orm/migrations';

/**
 * `customers(orderBy: NAME_ASC)` sorts names as people read them (the ICU root collation: case and
 * accents second), not in byte order, which put "Zeta" before "alpha" on a database created with
 * the C locale. The keyset index follows the new sort expression.
 */
export class Migration20261203000000_names_in_reading_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index "customer_name_keyset_idx";`);
    this.addSql(`create index "customer_name_keyset_idx" on "customer" (("name" collate "und-x-icu"), "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "customer_name_keyset_idx";`);
    this.addSql(`create index "customer_name_keyset_idx" on "customer" ("name", "id");`);
  }
}
