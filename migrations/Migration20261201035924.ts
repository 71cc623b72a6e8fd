import { Migration } from '@mikro-orm/migrations';

// API keys (stored as scrypt hashes, revoked rather than deleted) and the audit log of admin actions.
export class Migration20261201035924 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "api_key" ("id" text not null, "name" text not null, "scopes" text[] not null, "secret_hash" text not null, "created_at" timestamptz not null default now(), "created_by" text not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "api_key_created_idx" on "api_key" ("created_at", "id");`);

    this.addSql(
      `create table "audit_log" ("id" bigserial primary key, "at" timestamptz not null default now(), "actor" text not null, "action" text not null, "target" text null, "details" jsonb null, "client_address" text null);`,
    );
    this.addSql(`create index "audit_log_at_idx" on "audit_log" ("at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_key" cascade;`);

    this.addSql(`drop table if exists "audit_log" cascade;`);
  }
}
