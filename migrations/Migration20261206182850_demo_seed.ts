import { Migration } from '@mikro-orm/migrations';

/**
 * The demo data set a database holds (its options and the instant it ends at), so a later demo load
 * with other options is refused rather than mixed into it. Databases seeded before have no row.
 */
export class Migration20261206182850_demo_seed extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "demo_seed" ("singleton" boolean not null default true, "customers" int not null, "days" int not null, "seed" double precision not null, "anchored_at" timestamptz not null, "loaded_at" timestamptz null, constraint "demo_seed_pkey" primary key ("singleton"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "demo_seed" cascade;`);
  }
}
