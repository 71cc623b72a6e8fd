import { Migration } from '@mikro-orm/migrations';

/** The runs of a first start's backfill are marked, so a start after one cut short resumes it. */
export class Migration20261203110000_first_start_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scoring_run" add column "first_start" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "first_start";`);
  }
}
