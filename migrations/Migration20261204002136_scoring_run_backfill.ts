import { Migration } from '@mikro-orm/migrations';

/**
 * Whether a full run was a backfill, kept rather than inferred from its `as_of` and `started_at`: a
 * backfill's last day may end moments before the run starts. Earlier runs get the inference they were
 * read with (an `as_of` over five minutes before the start).
 */
export class Migration20261204002136_scoring_run_backfill extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_run" add column "backfill" boolean not null default false;`);
    this.addSql(`update "scoring_run" set "backfill" = true where "as_of" < "started_at" - interval '5 minutes';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "backfill";`);
  }
}
