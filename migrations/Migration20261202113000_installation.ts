import { Migration } from '@mikro-orm/migrations';

/**
 * One row naming this installation (its database): the Redis channels and rate-limit keys of every
 * instance serving it carry the id, so deployments that share a Redis never see each other's events.
 */
export class Migration20261202113000_installation extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "installation" ("singleton" boolean not null default true, "id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), constraint "installation_pkey" primary key ("singleton"));`,
    );
    this.addSql(`insert into "installation" default values;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "installation";`);
  }
}
