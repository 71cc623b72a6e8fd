import { Migration } from '@mikro-orm/migrations';

/**
 * The latest event of each rollup day that names a user (the team's, as against an integration's
 * calls under a service key): the silence signal of an account with a team rhythm reads days since
 * the team's last event, which it must read exactly from whole days as it does the last event of
 * any kind (`last_at`). The days already stored get it from their events: one pass over
 * `engagement_event`, grouped by customer and day, joined to the rollup on its key.
 */
export class Migration20261207124530_engagement_day_team_last_at extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "engagement_day" add column "team_last_at" timestamptz null;`);
    this.addSql(
      `update "engagement_day" d set "team_last_at" = e."team_last_at"
       from (select "customer_id", ("occurred_at" at time zone 'UTC')::date as "day", max("occurred_at") as "team_last_at"
             from "engagement_event" where "user_id" is not null group by 1, 2) e
       where e."customer_id" = d."customer_id" and e."day" = d."day";`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "engagement_day" drop column "team_last_at";`);
  }
}
