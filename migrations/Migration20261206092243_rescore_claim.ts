import { Migration } from '@mikro-orm/migrations';

/** A round's claimed customers, kept until their scores are committed, so a process that dies between the two loses none (rescore-queue.ts). */
export class Migration20261206092243_rescore_claim extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "rescore_claim" ("id" bigserial primary key, "claimed_at" timestamptz not null default now(), "customers" jsonb not null);`,
    );
    this.addSql(`create index "rescore_claim_claimed_at_idx" on "rescore_claim" ("claimed_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rescore_claim" cascade;`);
  }
}
