import { Migration } from '@mikro-orm/migrations';

/** outreachLog(audience:) reads one audience's actions in time order, instead of skipping the other's. */
export class Migration20261204012443_outreach_audience_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "outreach_action_audience_time_idx" on "outreach_action" ("audience", "created_at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "outreach_action_audience_time_idx";`);
  }
}
