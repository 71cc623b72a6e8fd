// Set-based SQL through the request's forked EntityManager, inside its transaction when it has one.
// Placeholders are knex-style `?`; arrays and record sets travel as one JSON parameter each
// (`jsonb_array_elements_text(?::jsonb)`, `jsonb_to_recordset(?::jsonb)`) so a statement's size
// never depends on how many rows it touches.
import type { EntityManager } from '@mikro-orm/postgresql';

export type Db = EntityManager;

export async function query<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await db.getConnection().execute(sql, params, 'all', db.getTransactionContext())) as Row[];
}

export async function queryOne<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row | undefined> {
  const rows = await query<Row>(db, sql, params);
  return rows[0];
}

/** Runs `work` in one transaction on a fork of `db`; nested calls join the outer transaction. */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  if (db.isInTransaction()) return work(db);
  return db.transactional((tx) => work(tx as Db));
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}
