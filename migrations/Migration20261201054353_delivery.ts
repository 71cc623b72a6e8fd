import { Migration } from '@mikro-orm/migrations';

export class Migration20261201054353_delivery extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "csm_contact" ("owner" text not null, "email" text null, "slack_target" text null, "updated_at" timestamptz not null default now(), constraint "csm_contact_pkey" primary key ("owner"));`,
    );

    this.addSql(
      `create table "destination" ("id" bigserial primary key, "kind" text not null, "name" text not null, "url" text null, "signing_secret" text null, "email_from" text null, "email_to" text null, "email_subject_template" text null, "email_text_template" text null, "email_html_template" text null, "audience" text null, "playbooks" text[] null, "tiers" text[] null, "csm_owner" text null, "digest_seconds" int null, "paused" boolean not null default false, "deleted_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "destination_active_idx" on "destination" ("deleted_at", "id");`);

    this.addSql(
      `create table "delivery" ("id" uuid not null default gen_random_uuid(), "action_id" bigint not null, "destination_id" bigint not null, "customer_id" text not null, "audience" text not null, "csm_owner" text null, "status" text not null, "attempts" int not null default 0, "last_error" text null, "digest_id" uuid null, "created_at" timestamptz not null default now(), "retry_from" timestamptz not null default now(), "last_attempt_at" timestamptz null, "next_attempt_at" timestamptz null, "delivered_at" timestamptz null, constraint "delivery_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "delivery_digest_idx" on "delivery" ("digest_id");`);
    this.addSql(`create index "delivery_customer_time_idx" on "delivery" ("customer_id", "audience", "created_at");`);
    this.addSql(`create index "delivery_destination_status_idx" on "delivery" ("destination_id", "status");`);
    this.addSql(`create index "delivery_status_action_idx" on "delivery" ("status", "action_id");`);
    this.addSql(`create index "delivery_action_idx" on "delivery" ("action_id", "destination_id");`);

    this.addSql(
      `alter table "delivery" add constraint "delivery_action_id_foreign" foreign key ("action_id") references "outreach_action" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "delivery" add constraint "delivery_destination_id_foreign" foreign key ("destination_id") references "destination" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "delivery" add constraint "delivery_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(`alter table "customer" add column "contact_email" text null;`);

    // The action's status says what the playbook decided; whether it reached anyone is the delivery's.
    this.addSql(`update "outreach_action" set "status" = 'DECIDED' where "status" = 'LOGGED';`);
  }

  override async down(): Promise<void> {
    this.addSql(`update "outreach_action" set "status" = 'LOGGED' where "status" = 'DECIDED';`);

    this.addSql(`alter table "delivery" drop constraint "delivery_destination_id_foreign";`);

    this.addSql(`drop table if exists "csm_contact" cascade;`);

    this.addSql(`drop table if exists "destination" cascade;`);

    this.addSql(`drop table if exists "delivery" cascade;`);

    this.addSql(`alter table "customer" drop column "contact_email";`);
  }
}
