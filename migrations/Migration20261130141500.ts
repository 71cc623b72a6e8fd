import { Migration } from '@mikro-orm/migrations';

// A score's components become `json` (text) instead of `jsonb`, like its signals and penalties.
// Nothing queries inside them; they are written by every scoring run and read whole by every
// dashboard page, where `jsonb` cost a conversion back to text for each of the 50 rows (measured
// with pgbench on the dashboard's statement: 0.47 → 0.38 ms). The price is paid by healthSummary,
// which now parses each latest score's components (53 → 72 ms at 10 k customers): one tile against
// every page. MikroORM's schema diff treats json and jsonb alike, so this migration is written by
// hand. It rewrites the table once.
export class Migration20261130141500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "health_score" alter column "components" type json using "components"::json;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "health_score" alter column "components" type jsonb using "components"::jsonb;`);
  }
}
