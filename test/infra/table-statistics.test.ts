// After a bulk load the planner needs statistics of what was loaded, whether or not autovacuum runs
// (this machine's PostgreSQL runs without it, as some installations do): the demo load, the periodic
// scoring run and the rule that picks the tables to analyze.
import type { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { seedDemo } from '../../src/demo/demo-seed-command';
import { readConfig } from '../../src/infra/config';
import { Db, inTransaction, query } from '../../src/infra/sql';
import { analyzeChangedTables } from '../../src/infra/table-statistics';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';
import { sql } from '../helpers/database';

/** The tables of the application's schema that have statistics (analyzed at least once), by name. */
async function analyzed(db: (text: string) => Promise<Array<{ name: string }>>): Promise<string[]> {
  const rows = await db(
    `select relname as name from pg_stat_user_tables where schemaname = current_schema() and last_analyze is not null order by 1`,
  );
  return rows.map((row) => row.name);
}

/** Waits until the statistics views count `rows` changed rows of `table` since its last analyze. */
async function reported(db: Db, table: string, rows: number): Promise<void> {
  for (let waited = 0; waited < 15_000; waited += 100) {
    const [row] = await query<{ changed: number }>(
      db,
      'select n_mod_since_analyze::int as changed from pg_stat_user_tables where relname = ?',
      [table],
    );
    if (row.changed >= rows) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the changes of ${table} were not reported`);
}

describe('analyzeChangedTables', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  beforeAll(async () => {
    database = await createTestDatabase('table_statistics');
    orm = await openDatabase(database.url, 2);
  });
  afterAll(async () => {
    await orm?.close();
    await database?.drop();
  });

  it('analyzes the tables whose rows changed by more than autovacuum would wait for, and only those', async () => {
    const db = orm.em.fork() as Db;
    await analyzeChangedTables(db);
    // The counters a connection keeps reach the statistics views when it reports (forced here, at its commit).
    await inTransaction(db, async (tx) => {
      await query(tx, `insert into customer (id, name) select 'c' || n, 'Customer ' || n from generate_series(1, 400) n`);
      await query(tx, 'select pg_stat_force_next_flush()');
    });
    await reported(db, 'customer', 400);
    expect(await analyzeChangedTables(db)).toEqual(['customer']);
    // Nothing changed since: nothing to analyze; a few rows among many are not enough either.
    expect(await analyzeChangedTables(db)).toEqual([]);
    await inTransaction(db, async (tx) => {
      await query(tx, `update customer set plan = 'pro' where id in ('c1', 'c2', 'c3')`);
      await query(tx, 'select pg_stat_force_next_flush()');
    });
    await reported(db, 'customer', 3);
    expect(await analyzeChangedTables(db)).toEqual([]);
    const [stats] = await query<{ rows: number }>(db, `select count(*)::int as rows from pg_stats where tablename = 'customer'`);
    expect(stats.rows).toBeGreaterThan(0);
  });

  it('skips a table it would wait for (a VACUUM or an index build holds it), and lets one instance at a time take the statistics', async () => {
    const db = orm.em.fork() as Db;
    await inTransaction(db, async (tx) => {
      await query(tx, `insert into customer (id, name) select 'd' || n, 'Other ' || n from generate_series(1, 4000) n`);
      await query(tx, 'select pg_stat_force_next_flush()');
    });
    await reported(db, 'customer', 4000);
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      // Another instance sweeping: nothing is done.
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtext('healthgraph.table-statistics'))`);
      expect(await analyzeChangedTables(db)).toEqual([]);
      await holder.query('rollback');
      // The table held as a VACUUM holds it: skipped after the lock timeout, not waited for.
      await holder.query('begin');
      await holder.query('lock table customer in share update exclusive mode');
      const startedAt = Date.now();
      expect(await analyzeChangedTables(db)).toEqual([]);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    expect(await analyzeChangedTables(db)).toEqual(['customer']);
  });
});

it('leaves the demo load analyzed: the planner knows what it loaded', async () => {
  const database = await createTestDatabase('demo_statistics');
  const orm = await openDatabase(database.url, 6);
  try {
    const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
    await seedDemo(orm, { ...config, databaseUrl: database.url }, database.url, { customers: 20, days: 30, seed: 3 }, () => undefined);
    const tables = await analyzed((text) => query(orm.em.fork() as Db, text));
    expect(tables).toEqual(expect.arrayContaining(['customer', 'engagement_day', 'engagement_event', 'health_score', 'tier_change']));
  } finally {
    await orm.close();
    await database.drop();
  }
}, 120_000);

it('analyzes what ingestion and scoring changed, every RESCORE_SWEEP_MS', async () => {
  const server = await startTestServer({
    label: 'periodic_statistics',
    env: { SCORING_INTERVAL_MS: '0', RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '1000' },
  });
  try {
    const customers = Array.from(
      { length: 80 },
      (_, n) => `mutation { c${n}: upsertCustomer(input: { id: "cust_${n}", name: "C ${n}" }) { id } }`,
    );
    for (const document of customers) expect((await server.request(document)).errors).toBeUndefined();
    const read = (text: string) => sql<{ name: string }>(server.database, text);
    for (let waited = 0; !(await analyzed(read)).includes('health_score'); waited += 200) {
      if (waited > 30_000) throw new Error('the tables ingestion and scoring changed were not analyzed');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await analyzed(read)).toEqual(expect.arrayContaining(['customer', 'health_score']));
  } finally {
    await server.stop();
  }
}, 60_000);
