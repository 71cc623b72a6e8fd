import { Migration } from '@mikro-orm/migrations';

export class Migration20261125164139 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "customer" ("id" text not null, "name" text not null, "plan" text null, "arr_cents" bigint not null default 0, "seats" int null, "signed_up_at" timestamptz null, "csm_owner" text null, "communication_opt_out" boolean not null default false, "churned_at" timestamptz null, "health_score" int null, "engagement_score" int null, "tier" text null, "trend" text null, "lifecycle_stage" text null, "last_activity_at" timestamptz null, "nps" int null, "scored_at" timestamptz null, "rescore_requested_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "customer_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "customer_rescore_idx" on "customer" ("rescore_requested_at") where "rescore_requested_at" is not null;`);
    this.addSql(`create index "customer_lifecycle_idx" on "customer" ("lifecycle_stage", "id");`);
    this.addSql(`create index "customer_tier_idx" on "customer" ("tier", "id");`);
    this.addSql(`create index "customer_name_keyset_idx" on "customer" ("name", "id");`);
    this.addSql(`create index "customer_arr_at_risk_idx" on "customer" (("arr_cents" * (100 - coalesce("health_score", 100))), "id");`);
    this.addSql(`create index "customer_arr_keyset_idx" on "customer" ("arr_cents", "id");`);
    this.addSql(`create index "customer_score_keyset_idx" on "customer" (coalesce("health_score", -1), "id");`);

    this.addSql(
      `create table "engagement_event" ("id" bigserial primary key, "customer_id" text not null, "event_type" text not null, "user_id" text null, "feature" text null, "metadata" jsonb null, "occurred_at" timestamptz not null, "idempotency_key" text null, "received_at" timestamptz not null default now());`,
    );
    this.addSql(
      `create unique index "engagement_event_idempotency_key_uq" on "engagement_event" ("customer_id", "idempotency_key") where "idempotency_key" is not null;`,
    );
    this.addSql(`create index "engagement_event_time_idx" on "engagement_event" ("occurred_at", "id");`);
    this.addSql(`create index "engagement_event_type_time_idx" on "engagement_event" ("event_type", "occurred_at", "id");`);
    this.addSql(`create index "engagement_event_customer_time_idx" on "engagement_event" ("customer_id", "occurred_at", "id");`);

    this.addSql(
      `create table "health_score" ("id" bigserial primary key, "customer_id" text not null, "score" smallint not null, "tier" text not null, "trend" text not null, "previous_score" smallint null, "components" jsonb not null, "signals" jsonb not null, "penalties" jsonb null, "coverage" real not null, "model_version" int not null, "as_of" timestamptz not null, "computed_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "health_score_customer_as_of_idx" on "health_score" ("customer_id", "as_of", "id");`);

    this.addSql(
      `create table "nps_response" ("id" bigserial primary key, "customer_id" text not null, "score" smallint not null, "comment" text null, "respondent" text null, "responded_at" timestamptz not null, "created_at" timestamptz not null default now(), constraint nps_response_score_range check (((score >= 0) AND (score <= 10))));`,
    );
    this.addSql(`create index "nps_response_time_idx" on "nps_response" ("responded_at", "id");`);
    this.addSql(`create index "nps_response_customer_time_idx" on "nps_response" ("customer_id", "responded_at", "id");`);

    this.addSql(
      `create table "outreach_action" ("id" bigserial primary key, "customer_id" text not null, "playbook" text not null, "action" text not null, "audience" text not null, "channel" text not null, "trigger" text not null, "from_tier" text null, "to_tier" text null, "score" int null, "status" text not null, "escalation" boolean not null default false, "message" text null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "outreach_action_time_idx" on "outreach_action" ("created_at", "id");`);
    this.addSql(`create index "outreach_action_status_time_idx" on "outreach_action" ("status", "created_at", "id");`);
    this.addSql(`create index "outreach_action_customer_playbook_idx" on "outreach_action" ("customer_id", "playbook", "created_at");`);
    this.addSql(`create index "outreach_action_customer_time_idx" on "outreach_action" ("customer_id", "created_at", "id");`);

    this.addSql(
      `create table "payment" ("id" bigserial primary key, "customer_id" text not null, "external_id" text null, "amount_cents" bigint not null, "currency" text not null, "status" text not null, "due_at" timestamptz null, "paid_at" timestamptz null, "occurred_at" timestamptz not null);`,
    );
    this.addSql(
      `create unique index "payment_external_id_uq" on "payment" ("customer_id", "external_id") where "external_id" is not null;`,
    );
    this.addSql(`create index "payment_status_time_idx" on "payment" ("status", "occurred_at");`);
    this.addSql(`create index "payment_customer_time_idx" on "payment" ("customer_id", "occurred_at", "id");`);

    this.addSql(
      `create table "scoring_model" ("version" int not null, "config" jsonb not null, "active" boolean not null default false, "created_at" timestamptz not null default now(), constraint "scoring_model_pkey" primary key ("version"));`,
    );
    this.addSql(`create unique index "scoring_model_one_active_uq" on "scoring_model" ("active") where "active";`);

    this.addSql(
      `create table "scoring_run" ("id" bigserial primary key, "status" text not null, "customers_scored" int not null default 0, "tier_changes" int not null default 0, "as_of" timestamptz not null, "started_at" timestamptz not null default now(), "finished_at" timestamptz null, "error" text null);`,
    );
    this.addSql(`create index "scoring_run_started_idx" on "scoring_run" ("started_at");`);

    this.addSql(
      `create table "support_ticket" ("id" bigserial primary key, "customer_id" text not null, "external_id" text not null, "subject" text null, "severity" text not null, "status" text not null, "csat_rating" smallint null, "sentiment" real null, "opened_at" timestamptz not null, "resolved_at" timestamptz null, "updated_at" timestamptz not null default now(), constraint support_ticket_csat_range check (((csat_rating IS NULL) OR ((csat_rating >= 1) AND (csat_rating <= 5)))));`,
    );
    this.addSql(`create index "support_ticket_status_idx" on "support_ticket" ("status", "opened_at");`);
    this.addSql(`create index "support_ticket_customer_time_idx" on "support_ticket" ("customer_id", "opened_at", "id");`);
    this.addSql(`alter table "support_ticket" add constraint "support_ticket_external_id_uq" unique ("customer_id", "external_id");`);

    this.addSql(
      `create table "tier_change" ("id" bigserial primary key, "customer_id" text not null, "from_tier" text null, "to_tier" text not null, "from_score" smallint null, "to_score" smallint not null, "direction" text not null, "changed_at" timestamptz not null, "recorded_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "tier_change_customer_time_idx" on "tier_change" ("customer_id", "changed_at", "id");`);
    this.addSql(`create index "tier_change_time_idx" on "tier_change" ("changed_at", "id");`);

    this.addSql(
      `alter table "engagement_event" add constraint "engagement_event_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "health_score" add constraint "health_score_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "nps_response" add constraint "nps_response_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "outreach_action" add constraint "outreach_action_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "payment" add constraint "payment_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "support_ticket" add constraint "support_ticket_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "tier_change" add constraint "tier_change_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "engagement_event" drop constraint "engagement_event_customer_id_foreign";`);

    this.addSql(`alter table "health_score" drop constraint "health_score_customer_id_foreign";`);

    this.addSql(`alter table "nps_response" drop constraint "nps_response_customer_id_foreign";`);

    this.addSql(`alter table "outreach_action" drop constraint "outreach_action_customer_id_foreign";`);

    this.addSql(`alter table "payment" drop constraint "payment_customer_id_foreign";`);

    this.addSql(`alter table "support_ticket" drop constraint "support_ticket_customer_id_foreign";`);

    this.addSql(`alter table "tier_change" drop constraint "tier_change_customer_id_foreign";`);

    this.addSql(`drop table if exists "customer" cascade;`);

    this.addSql(`drop table if exists "engagement_event" cascade;`);

    this.addSql(`drop table if exists "health_score" cascade;`);

    this.addSql(`drop table if exists "nps_response" cascade;`);

    this.addSql(`drop table if exists "outreach_action" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "scoring_model" cascade;`);

    this.addSql(`drop table if exists "scoring_run" cascade;`);

    this.addSql(`drop table if exists "support_ticket" cascade;`);

    this.addSql(`drop table if exists "tier_change" cascade;`);
  }
}
