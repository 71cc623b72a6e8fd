import { Migration } from '@mikro-orm/migrations';

/**
 * The severity and CSAT rating a ticket had before a change of either, so scoring as of an earlier
 * instant reads those it had then. Tickets stored before keep none: they read as they are now.
 */
export class Migration20261203222121_ticket_earlier_states extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "support_ticket_earlier_state" ("id" bigserial primary key, "ticket_id" bigint not null, "severity" text not null, "csat_rating" smallint null, "ended_at" timestamptz not null);`,
    );
    this.addSql(
      `create index "support_ticket_earlier_state_ticket_idx" on "support_ticket_earlier_state" ("ticket_id", "ended_at", "id");`,
    );

    this.addSql(
      `alter table "support_ticket_earlier_state" add constraint "support_ticket_earlier_state_ticket_id_foreign" foreign key ("ticket_id") references "support_ticket" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "support_ticket_earlier_state" cascade;`);
  }
}
