import { Migration } from '@mikro-orm/migrations';

// Rescoring marks move from a customer column to their own queue table (see rescore-request.entity.ts).
export class Migration20261125191530 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "rescore_request" ("customer_id" text not null, "requested_at" timestamptz not null default now(), constraint "rescore_request_pkey" primary key ("customer_id"));`,
    );
    this.addSql(`create index "rescore_request_requested_at_idx" on "rescore_request" ("requested_at");`);

    this.addSql(
      `alter table "rescore_request" add constraint "rescore_request_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    // Pending marks move to the new queue, so no rescoring is lost across the upgrade.
    this.addSql(
      `insert into "rescore_request" ("customer_id", "requested_at") select "id", "rescore_requested_at" from "customer" where "rescore_requested_at" is not null;`,
    );
    this.addSql(`drop index "customer_rescore_idx";`);
    this.addSql(`alter table "customer" drop column "rescore_requested_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer" add column "rescore_requested_at" timestamptz(6) null;`);
    this.addSql(
      `CREATE INDEX customer_rescore_idx ON public.customer USING btree (rescore_requested_at) WHERE (rescore_requested_at IS NOT NULL);`,
    );
    this.addSql(
      `update "customer" c set "rescore_requested_at" = r."requested_at" from "rescore_request" r where r."customer_id" = c."id";`,
    );

    this.addSql(`drop table if exists "rescore_request" cascade;`);
  }
}
