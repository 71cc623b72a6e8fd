import { Migration } from '@mikro-orm/migrations';

/**
 * The changes feed lists a tier move between points of two versions that score alike (a change of
 * playbook settings alone): it reads them through this index, by their pair of versions, rather than
 * past every move an activation's run made.
 */
export class Migration20261206221034_tier_change_model_move_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "tier_change_model_move_idx" on "tier_change" ("model_version", "from_model_version", "changed_at") where not "backfill" and "from_model_version" <> "model_version";`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "tier_change_model_move_idx";`);
  }
}
