import { Migration } from '@mikro-orm/migrations';

/**
 * The states a payment had before a change of its status or of a date, so scoring as of an earlier
 * instant reads it as it was. Payments stored before keep no earlier state: they read as they are now.
 */
export class Migration20261203223745_payment_earlier_states extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "payment_earlier_state" ("id" bigserial primary key, "payment_id" bigint not null, "customer_id" text not null, "status" text not null, "due_at" timestamptz null, "paid_at" timestamptz null, "occurred_at" timestamptz not null, "ended_at" timestamptz not null);`,
    );
    this.addSql(`create index "payment_earlier_state_customer_idx" on "payment_earlier_state" ("customer_id", "ended_at");`);
    this.addSql(`create index "payment_earlier_state_payment_idx" on "payment_earlier_state" ("payment_id", "ended_at", "id");`);

    this.addSql(
      `alter table "payment_earlier_state" add constraint "payment_earlier_state_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "payment_earlier_state" cascade;`);
  }
}
