import { Migration } from '@mikro-orm/migrations';

/** Each score's lifecycle stage as of its instant (`HealthScore.lifecycleStage`); null on the points written before it was kept. */
export class Migration20261209100000_health_score_lifecycle_stage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "health_score" add column "lifecycle_stage" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "health_score" drop column "lifecycle_stage";`);
  }
}
