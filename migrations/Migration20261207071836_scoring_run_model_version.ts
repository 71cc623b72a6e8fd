import { Migration } from '@mikro-orm/migrations';

/**
 * The model version each full run scores under, so that a start can tell a model activated before a
 * crash from one its last run served. Runs recorded before keep null: unknown, and never taken for a
 * run owed.
 */
export class Migration20261207071836_scoring_run_model_version extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_run" add column "model_version" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "model_version";`);
  }
}
