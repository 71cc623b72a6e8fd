import { Migration } from '@mikro-orm/migrations';

export class Migration20261201050810 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "health_score_drop_idx" on "health_score" ("as_of") where not "backfill" and "previous_score" > "score";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "health_score_drop_idx";`);
  }
}
