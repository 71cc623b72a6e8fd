// The planner's statistics after a large write. PostgreSQL plans from statistics that ANALYZE takes;
// autovacuum takes them again once a tenth of a table has changed, but only after its next nap, and a
// server whose autovacuum is off (a test machine, a tuned installation) never does. A bulk load then
// leaves every table described as it was, or, never analyzed, not at all: the dashboard's feed of
// changes was planned as if the history were empty and took seconds instead of milliseconds on a
// freshly seeded demo. So the bulk loads (the demo, `npm run import`) analyze what they loaded, as
// PostgreSQL's "Populating a Database" advises, and, where autovacuum is off, each instance's
// scheduler, between scoring rounds, what has changed enough since (scoring.scheduler.ts).
import { hasSqlState } from './errors';
import { Db, inTransaction, query, queryOne } from './sql';

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
/** One instance at a time takes the statistics (a transaction-level advisory lock). */
const STATISTICS_LOCK = 'healthgraph.table-statistics';
/**
 * How long an ANALYZE waits for its table: a VACUUM, an index being built or another ANALYZE holds
 * it, and the scoring rounds that queue behind this one must not wait with it. The table is taken at
 * a later turn.
 */
const LOCK_TIMEOUT = '1s';
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Where autovacuum is off, analyzes the tables of the application's schema that this role owns (not
 * graphile-worker's) whose rows changed by more than autovacuum's rule since their last analyze, or
 * that were never analyzed and hold rows, and returns their names; one instance at a time, skipping
 * a table it would wait for. Where autovacuum runs it leaves the tables to it: an ANALYZE waiting on
 * an autovacuum worker would have it cancelled.
 */
export async function analyzeChangedTables(db: Db): Promise<string[]> {
  const setting = await queryOne<{ on: boolean }>(db, `select current_setting('autovacuum') = 'on' as on`);
  if (setting?.on) return [];
  return inTransaction(db, async (tx) => {
    const [locked] = await query<{ locked: boolean }>(tx, 'select pg_try_advisory_xact_lock(hashtext(?)) as locked', [STATISTICS_LOCK]);
    if (!locked.locked) return [];
    const stale = await query<{ name: string }>(
      tx,
      `select s.relname as name from pg_stat_user_tables s join pg_class c on c.oid = s.relid
       where s.schemaname = current_schema() and pg_has_role(c.relowner, 'MEMBER')
         and (s.n_mod_since_analyze > ?::float8 + ?::float8 * greatest(s.n_live_tup, 0)
              or (c.reltuples < 0 and c.relpages > 0 and s.last_analyze is null and s.last_autoanalyze is null))
       order by s.relname`,
      [CHANGED_ROWS_THRESHOLD, CHANGED_SHARE],
    );
    await query(tx, `select set_config('lock_timeout', ?, true)`, [LOCK_TIMEOUT]);
    const analyzed: string[] = [];
    for (const { name } of stale) {
      // A savepoint each: a table whose lock did not come in time leaves the others to be analyzed.
      await query(tx, 'savepoint analyze_table');
      try {
        await query(tx, `analyze ${quoteIdentifier(name)}`);
        await query(tx, 'release savepoint analyze_table');
        analyzed.push(name);
      } catch (error) {
        if (!hasSqlState(error, LOCK_NOT_AVAILABLE)) throw error;
        await query(tx, 'rollback to savepoint analyze_table');
      }
    }
    return analyzed;
  });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
