import { Migration } from '@mikro-orm/migrations';

// The histories that scoring as of a past instant needs: a customer's plan size over time
// (customer_plan_change), a ticket's status over time (support_ticket_status_change) and the users
// active each day (engagement_day.user_ids); plus the churn reason and the flags that mark scores and
// tier changes written by a backfill. The histories start from what the tables hold now.
export class Migration20261201030704 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "customer_plan_change" ("id" bigserial primary key, "customer_id" text not null, "arr_cents" bigint not null, "seats" int null, "changed_at" timestamptz not null);`,
    );
    this.addSql(`create index "customer_plan_change_customer_time_idx" on "customer_plan_change" ("customer_id", "changed_at", "id");`);

    this.addSql(
      `create table "support_ticket_status_change" ("id" bigserial primary key, "ticket_id" bigint not null, "customer_id" text not null, "status" text not null, "changed_at" timestamptz not null);`,
    );
    this.addSql(`create index "support_ticket_status_change_ticket_idx" on "support_ticket_status_change" ("ticket_id");`);
    this.addSql(
      `create index "support_ticket_status_change_customer_time_idx" on "support_ticket_status_change" ("customer_id", "changed_at", "id");`,
    );

    this.addSql(
      `alter table "customer_plan_change" add constraint "customer_plan_change_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "support_ticket_status_change" add constraint "support_ticket_status_change_ticket_id_foreign" foreign key ("ticket_id") references "support_ticket" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "customer" add column "churn_reason" text null;`);

    this.addSql(`alter table "engagement_day" add column "user_ids" text[] not null default '{}';`);

    this.addSql(`alter table "health_score" add column "backfill" boolean not null default false;`);

    this.addSql(`alter table "tier_change" add column "backfill" boolean not null default false;`);

    // Each customer's plan as it stands, since its sign-up (or its creation, when the sign-up is unknown).
    this.addSql(`insert into "customer_plan_change" ("customer_id", "arr_cents", "seats", "changed_at")
      select "id", "arr_cents", "seats", coalesce("signed_up_at", "created_at") from "customer" order by "id";`);

    // Each ticket as ingestion now records it: its status at its opening (a solved ticket was open
    // then), and a solved one SOLVED at its resolution. A solved ticket with no resolution time was
    // solved by its last update at the latest; never before its opening, so the last change stays SOLVED.
    this.addSql(`insert into "support_ticket_status_change" ("ticket_id", "customer_id", "status", "changed_at")
      select t."id", t."customer_id", s."status", s."changed_at"
      from "support_ticket" t
      cross join lateral (values
        (1, case when t."status" = 'SOLVED' then 'OPEN' else t."status" end, t."opened_at"),
        (2, 'SOLVED', greatest(t."opened_at", coalesce(t."resolved_at", t."updated_at")))
      ) as s("ord", "status", "changed_at")
      where s."ord" = 1 or t."status" = 'SOLVED'
      order by t."id", s."ord";`);

    // The users active each day, from the events already stored; from now on ingestion maintains them.
    this.addSql(`update "engagement_day" d set "user_ids" = u."user_ids"
      from (
        select "customer_id", ("occurred_at" at time zone 'UTC')::date as "day", array_agg(distinct "user_id" order by "user_id") as "user_ids"
        from "engagement_event" where "user_id" is not null group by 1, 2
      ) u
      where d."customer_id" = u."customer_id" and d."day" = u."day";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "customer_plan_change" cascade;`);

    this.addSql(`drop table if exists "support_ticket_status_change" cascade;`);

    this.addSql(`alter table "customer" drop column "churn_reason";`);

    this.addSql(`alter table "engagement_day" drop column "user_ids";`);

    this.addSql(`alter table "health_score" drop column "backfill";`);

    this.addSql(`alter table "tier_change" drop column "backfill";`);
  }
}
