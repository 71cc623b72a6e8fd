// Benchmark databases live next to the test ones on the same server, named `hg_bench_*`. Data sets
// are kept between runs (they take minutes to generate) and reused when their recorded size matches.
import { Client } from 'pg';
import { sessionUrl } from '../../src/infra/postgres-session';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: sessionUrl(url) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return withClient(
    ADMIN_URL,
    async (client) => (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1,
  );
}

export async function createDatabase(name: string): Promise<void> {
  if (!name.startsWith('hg_bench_')) throw new Error(`benchmark databases are named hg_bench_*, not ${name}`);
  await withClient(ADMIN_URL, (client) => client.query(`create database "${name}"`));
}

export async function dropDatabase(name: string): Promise<void> {
  if (!name.startsWith('hg_bench_')) throw new Error(`refusing to drop ${name}: not a benchmark database`);
  await withClient(ADMIN_URL, (client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** Runs one statement on a database and returns its rows. */
export async function sql<Row = Record<string, unknown>>(name: string, text: string, params: unknown[] = []): Promise<Row[]> {
  return withClient(databaseUrl(name), async (client) => (await client.query(text, params)).rows as Row[]);
}

/**
 * `VACUUM (ANALYZE)` of `tables`, between timed runs. A run that deletes or rewrites rows (a scoring
 * run's history, the customers' state) leaves dead row versions behind. In production autovacuum
 * clears them, but a machine may run PostgreSQL without it (the one of the 30 November evening
 * round had `autovacuum = off` in its CI configuration), and then every run would read the garbage
 * of all the runs before it.
 */
export async function vacuum(name: string, tables: readonly string[]): Promise<void> {
  await sql(name, `vacuum (analyze) ${tables.map((table) => `"${table}"`).join(', ')}`);
}

/** Size on disk, for the report and the disk-space warning. */
export async function databaseSize(name: string): Promise<string> {
  const [row] = await sql<{ size: string }>(name, 'select pg_size_pretty(pg_database_size(current_database())) as size');
  return row.size;
}
