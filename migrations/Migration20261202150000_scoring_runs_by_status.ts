import { Migration } from '@mikro-orm/migrations';

/** `scoringRuns(status:)` pages one status's runs newest first. */
export class Migration20261202150000_scoring_runs_by_status extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "scoring_run_status_started_idx" on "scoring_run" ("status", "started_at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "scoring_run_status_started_idx";`);
  }
}
