import { Migration } from '@mikro-orm/migrations';

export class Migration20261201155148_shipped_default extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_model" add column "shipped_default" boolean not null default false;`);
    // Version 1 is only ever written on first use, as the default model of the day.
    this.addSql(`update "scoring_model" set "shipped_default" = true where "version" = 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_model" drop column "shipped_default";`);
  }
}
