import { Migration } from '@mikro-orm/migrations';

/**
 * Cuts the messages stored before outreach actions' messages were cut on the way in to what is now
 * kept (2,000 UTF-16 units, a surrogate pair kept whole or dropped whole, as cutText cuts): the
 * message field's cost is estimated at that length, so a longer one stored earlier would be read for
 * less than it costs. PostgreSQL counts characters, not UTF-16 units, so a character beyond the
 * Basic Multilingual Plane (an emoji) counts two here, as in JavaScript. The length is spelled out
 * as it stood, so later changes to the code leave this migration as it ran.
 */
export class Migration20261207110500_outreach_message_cut extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `update "outreach_action" o set "message" = (
         select string_agg("c", '' order by "i") from (
           select "c", "i", sum(case when ascii("c") > 65535 then 2 else 1 end) over (order by "i") as "units"
           from regexp_split_to_table(o."message", '') with ordinality as "chars"("c", "i")
         ) "counted" where "units" <= 2000)
       where char_length(o."message") > 1000
         and (select sum(case when ascii("c") > 65535 then 2 else 1 end) from regexp_split_to_table(o."message", '') as "chars"("c")) > 2000;`,
    );
  }

  override async down(): Promise<void> {
    // What was cut is gone.
  }
}
