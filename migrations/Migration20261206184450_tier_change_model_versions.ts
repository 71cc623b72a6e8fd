import { Migration } from '@mikro-orm/migrations';

/**
 * The model versions of the points each tier change lies between, so the changes feed can leave out
 * the moves a model change made (through an index of its own) without reading two points per change.
 * Changes already recorded take them from the history; one whose point is not stored keeps nulls and
 * stays in the feed.
 */
export class Migration20261206184450_tier_change_model_versions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "tier_change" add column "model_version" int null, add column "from_model_version" int null;`);
    this.addSql(
      `update "tier_change" t set "model_version" = h."model_version",
         "from_model_version" = (select p."model_version" from "health_score" p where p."customer_id" = h."customer_id" and p."as_of" < h."as_of"
                                 order by p."as_of" desc, p."id" desc limit 1)
       from "health_score" h where h."customer_id" = t."customer_id" and h."as_of" = t."changed_at";`,
    );
    this.addSql(
      `create index "tier_change_feed_time_idx" on "tier_change" ("changed_at", "id") where not "backfill" and coalesce("from_model_version" = "model_version", true);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "tier_change_feed_time_idx";`);
    this.addSql(`alter table "tier_change" drop column "model_version", drop column "from_model_version";`);
  }
}
