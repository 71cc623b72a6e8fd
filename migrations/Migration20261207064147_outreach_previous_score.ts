import { Migration } from '@mikro-orm/migrations';

/** The playbook settings (a model's keys that change no score) when this migration was written, as SQL. */
const PLAYBOOK_SETTINGS = `array['playbooks', 'cooldownDays', 'escalationArrCents', 'silenceAlertDays', 'silenceAlertGaps', 'scoreDrop']`;

/**
 * The score before the one that fired a playbook, as its message shows it after "was", stored with
 * the action when it is decided: deliveries read it there instead of looking it up in the history
 * at every attempt, and nothing else reads it. Actions already logged that have deliveries (the rest
 * never will: a delivery is written when its action is) get what deliveries read until now, the
 * previous score of
 * the point at the action's instant, unless the point before that was scored by a model that scores
 * otherwise (versions in one run of configs differing only in playbook settings score alike; the
 * settings and the run are spelled out here as they stood, so later changes to the code leave this
 * migration as it ran).
 */
export class Migration20261207064147_outreach_previous_score extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outreach_action" add column "previous_score" int null;`);
    this.addSql(
      `with "model_scoring" as (
         select "version", max("version") filter (where "starts_run") over (order by "version") as "scoring"
         from (select "version",
                      ("config" - ${PLAYBOOK_SETTINGS}) is distinct from lag("config" - ${PLAYBOOK_SETTINGS}) over (order by "version") as "starts_run"
               from "scoring_model") "versions"
       ), "fired" as (
         select o."id",
                (select case when "before"."model_version" = hs."model_version"
                                  or exists (select 1 from "model_scoring" x join "model_scoring" y on y."scoring" = x."scoring"
                                             where x."version" = "before"."model_version" and y."version" = hs."model_version")
                             then hs."previous_score" end
                 from "health_score" hs
                 left join lateral (select p."model_version" from "health_score" p where p."customer_id" = hs."customer_id" and p."as_of" < hs."as_of"
                                    order by p."as_of" desc, p."id" desc limit 1) "before" on true
                 where hs."customer_id" = o."customer_id" and hs."as_of" = o."created_at"
                 order by hs."id" desc limit 1) as "previous_score"
         from "outreach_action" o
         where exists (select 1 from "delivery" d where d."action_id" = o."id")
       )
       update "outreach_action" o set "previous_score" = "fired"."previous_score"
       from "fired" where "fired"."id" = o."id" and "fired"."previous_score" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outreach_action" drop column "previous_score";`);
  }
}
