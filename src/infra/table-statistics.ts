// The planner's statistics after a large write. PostgreSQL plans from statistics that ANALYZE takes;
// autovacuum takes them again once a tenth of a table has changed, but only after its next nap, and a
// server whose autovacuum is off (a test machine, a tuned installation) never does. A bulk load then
// leaves every table described as it was, or, never analyzed, not at all: the dashboard's feed of
// changes was planned as if the history were empty and took seconds instead of milliseconds on a
// freshly seeded demo. So the bulk loads (the demo, `npm run import`) analyze what they loaded, as
// PostgreSQL's "Populating a Database" advises, and each instance's scheduler, between scoring
// rounds, what has changed enough since (scoring.scheduler.ts).
import { Db, query } from './sql';

/**
 * Analyzes `tables` (all of the database's when none are named), whatever the activity counters say:
 * a load's last statements reach them only once their connections report, seconds later.
 */
export async function analyzeTables(db: Db, tables: readonly string[] = []): Promise<void> {
  await query(db, `analyze ${tables.map(quoteIdentifier).join(', ')}`);
}

/** autovacuum's defaults (`autovacuum_analyze_threshold`, `autovacuum_analyze_scale_factor`): the same rule, run now. */
const CHANGED_ROWS_THRESHOLD = 50;
const CHANGED_SHARE = 0.1;

/**
 * Analyzes the tables of the application's schema (not graphile-worker's, which keeps its own) whose
 * rows changed by more than autovacuum's rule since their last analyze, and returns their names. A
 * table analyzed concurrently (by autovacuum or another instance) is analyzed again, harmlessly.
 */
export async function analyzeChangedTables(db: Db): Promise<string[]> {
  const stale = await query<{ name: string }>(
    db,
    `select relname as name from pg_stat_user_tables
     where schemaname = current_schema() and n_mod_since_analyze > ?::float8 + ?::float8 * greatest(n_live_tup, 0)
     order by relname`,
    [CHANGED_ROWS_THRESHOLD, CHANGED_SHARE],
  );
  for (const { name } of stale) await query(db, `analyze ${quoteIdentifier(name)}`);
  return stale.map((table) => table.name);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
