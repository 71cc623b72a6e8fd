import { Migration } from '@mikro-orm/migrations';

/** md5 of the default models shipped before this migration (at commits 5a55ff0, d94c8ad, 3d5d791 and 31eb71e). */
const EARLIER_DEFAULTS = [
  '696a1ed8c22a058bab55de41c7a89437',
  'c94a0db2eb7c819ede6e4ca98951ac12',
  '993acd75d274c152a8413698a94d2a20',
  '141db04345ef9f5f06b21dcbbdbc20bc',
];

export class Migration20261201155148_shipped_default extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_model" add column "shipped_default" boolean not null default false;`);
    // Version 1 is only ever written on first use, as the default model of the day. Later versions
    // equal to a default this product shipped were written at start-up, when an installation on the
    // first default model moved to the default of the day; a jsonb's text form is canonical (keys
    // ordered), so its md5 identifies a config.
    this.addSql(
      `update "scoring_model" set "shipped_default" = true where "version" = 1 or md5("config"::text) in (${EARLIER_DEFAULTS.map((h) => `'${h}'`).join(', ')});`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_model" drop column "shipped_default";`);
  }
}
