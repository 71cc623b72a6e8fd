import { Migration } from '@mikro-orm/migrations';

// NPS answers take an optional idempotency key: the survey tool's id of the answer, unique per
// customer, so a retried submission stores one row.
export class Migration20261201040426_nps_external_id extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "nps_response" add column "external_id" text null;`);
    this.addSql(
      `create unique index "nps_response_external_id_uq" on "nps_response" ("customer_id", "external_id") where "external_id" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "nps_response_external_id_uq";`);
    this.addSql(`alter table "nps_response" drop column "external_id";`);
  }
}
