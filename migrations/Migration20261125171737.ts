import { Migration } from '@mikro-orm/migrations';

export class Migration20261125171737 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "engagement_day" ("customer_id" text not null, "day" date not null, "event_count" int not null, "user_added_count" int not null, "first_at" timestamptz not null, "last_at" timestamptz not null, "features" text[] not null, constraint "engagement_day_pkey" primary key ("customer_id", "day"));`,
    );

    this.addSql(
      `alter table "engagement_day" add constraint "engagement_day_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`,
    );

    // The rollup of the events already stored; from now on ingestion maintains it.
    this.addSql(`insert into "engagement_day" ("customer_id", "day", "event_count", "user_added_count", "first_at", "last_at", "features")
      select customer_id, (occurred_at at time zone 'UTC')::date, count(*), count(*) filter (where event_type = 'user_added'),
             min(occurred_at), max(occurred_at), coalesce(array_agg(distinct feature) filter (where feature is not null), '{}')
      from "engagement_event" group by 1, 2;`);

    // A full scoring run writes ~2 kB of explanation JSON per customer. Signals and penalties are
    // only ever written and read whole: as json (validated text) they skip building jsonb on write
    // and printing it on read.
    this.addSql(`alter table "health_score" alter column "signals" type json using "signals"::json,
      alter column "penalties" type json using "penalties"::json;`);

    // lz4 compresses the explanations faster than the default pglz. Only where the server is built
    // with lz4 (the embedded one is not).
    this.addSql(`do $$ begin
        alter table "health_score" alter column "components" set compression lz4, alter column "signals" set compression lz4,
          alter column "penalties" set compression lz4;
      exception when feature_not_supported then null;
      end $$;`);
  }

  override async down(): Promise<void> {
    this
      .addSql(`alter table "health_score" alter column "components" set compression default, alter column "signals" set compression default,
      alter column "penalties" set compression default;`);
    this.addSql(`alter table "health_score" alter column "signals" type jsonb using "signals"::jsonb,
      alter column "penalties" type jsonb using "penalties"::jsonb;`);
    this.addSql(`drop table if exists "engagement_day" cascade;`);
  }
}
