import { Migration } from '@mikro-orm/migrations';

/**
 * Past-dated runs cut short are run again by a start until a run as of their instant follows them,
 * whichever instance had a good run meanwhile. Those already stored and cut short before the latest
 * successful run as of its present are marked left as history, as the release before left them: the
 * first start after the upgrade would otherwise run each, one after another, ahead of live scoring.
 * Those cut short since (a backfill the upgrade's own stop cut short) are run again. The error is
 * spelled out as it stood, so later changes to the code leave this migration as it ran.
 */
export class Migration20261207094010_scoring_run_left_as_history extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_run" add column "left_as_history" boolean not null default false;`);
    this.addSql(
      `update "scoring_run" set "left_as_history" = true
       where "status" = 'FAILED' and "error" = 'interrupted: the instance running it stopped before the run finished'
         and "backfill" and not "first_start"
         and "started_at" <= (select max("started_at") from "scoring_run" where not "backfill" and "status" = 'SUCCEEDED');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "left_as_history";`);
  }
}
