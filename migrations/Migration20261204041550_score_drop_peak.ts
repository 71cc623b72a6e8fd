import { Migration } from '@mikro-orm/migrations';

/** A score's high of the drop window before it, so "what changed" lists a slide made of small steps. */
export class Migration20261204041550_score_drop_peak extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "health_score" add column "peak_score" smallint null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "health_score" drop column "peak_score";`);
  }
}
