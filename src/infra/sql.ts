// Set-based SQL through the request's forked EntityManager, inside its transaction when it has one.
// Placeholders are knex-style `?` (`??` an identifier, `\?` a plain `?`); arrays and record sets
// travel as one JSON parameter each (`jsonb_array_elements_text(?::jsonb)`, `jsonb_to_recordset(?::jsonb)`)
// so a statement's size never depends on how many rows it touches.
//
// Statements run through knex's documented raw API (`knex.raw(sql, bindings)`, `.transacting(trx)`,
// `.options()` for node-postgres's own query options) on the knex instance MikroORM documents
// (`em.getKnex()`, `em.getTransactionContext()`). Every value is a bound parameter: MikroORM's
// `execute` would escape each one into the SQL text instead, which for the JSON record sets of a
// scoring or ingestion batch (megabytes) costs more CPU in Node and more lexing in PostgreSQL than the
// work the statement does. knex emits its documented `query` event for each statement (tests count
// statements with it).
import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { ConcurrencyLimit } from './concurrency-limit';

export type Db = EntityManager;

/** What node-postgres answers for a statement (knex's raw result on PostgreSQL). */
interface PgResult<Row> {
  rows: Row[];
}

const statementLimits = new WeakMap<Db, ConcurrencyLimit>();

/**
 * Statements run through `db` (a request's EntityManager) at most `max` at a time. GraphQL resolves
 * the fields of an operation in parallel: thirty aliased lists, each counting its rows, held thirty
 * connections of the pool at once, and every other request waited for one. Bounded, one request
 * takes at most this share of the pool; its own statements wait their turn instead.
 */
export function limitConcurrentStatements(db: Db, max: number): void {
  statementLimits.set(db, new ConcurrencyLimit(max));
}

function run<Row>(db: Db, sql: string, params: readonly unknown[], name?: string): Promise<Row[]> {
  const limit = statementLimits.get(db);
  return limit ? limit.run(() => execute<Row>(db, sql, params, name)) : execute<Row>(db, sql, params, name);
}

async function execute<Row>(db: Db, sql: string, params: readonly unknown[], name?: string): Promise<Row[]> {
  // knex refuses an undefined binding; an absent value is SQL's null.
  const statement = db.getKnex().raw(sql, params.map((value) => (value === undefined ? null : value)) as Knex.RawBinding[]);
  if (name) statement.options({ name });
  const transaction = db.getTransactionContext<Knex.Transaction>();
  if (transaction) statement.transacting(transaction);
  const result: PgResult<Row> = await statement;
  return result.rows;
}

export function query<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  return run<Row>(db, sql, params);
}

/**
 * For the hot read paths (pages, DataLoader batches): the statement is prepared once per connection
 * under a name derived from its text (node-postgres's `name` query option), so PostgreSQL parses and
 * plans each shape once instead of on every request. Each `?` must be typed by its context (a cast,
 * or a comparison with a column); the text must not depend on the values.
 */
export function queryPrepared<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  return run<Row>(db, sql, params, `hg_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`);
}

export async function queryOne<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row | undefined> {
  const rows = await query<Row>(db, sql, params);
  return rows[0];
}

/** Callbacks to run once the transaction of an EntityManager (opened by `inTransaction`) commits. */
const committing = new WeakMap<Db, Array<() => void>>();

/** Runs `work` in one transaction on a fork of `db`; nested calls join the outer transaction. */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  if (db.isInTransaction()) return work(db);
  const callbacks: Array<() => void> = [];
  const result = await db.transactional((tx) => {
    committing.set(tx as Db, callbacks);
    return work(tx as Db);
  });
  for (const callback of callbacks) callback();
  return result;
}

/**
 * Runs `callback` once what `db` wrote is committed: after its transaction commits (dropped if it
 * rolls back), or at once when it is in none (each statement commits on its own).
 */
export function afterCommit(db: Db, callback: () => void): void {
  if (!db.isInTransaction()) return callback();
  const callbacks = committing.get(db);
  if (!callbacks) throw new Error('afterCommit needs a transaction opened by inTransaction');
  callbacks.push(callback);
}

/**
 * Makes the transactions of `tx` that name the same `key` take turns, until `tx` commits or rolls
 * back (a transaction-scoped advisory lock). Its own statement: a statement that follows it takes
 * its snapshot after the other transaction committed, so it reads what that one wrote.
 */
export async function takeTurns(tx: Db, key: string): Promise<void> {
  if (!tx.isInTransaction()) throw new Error('takeTurns needs a transaction opened by inTransaction');
  await query(tx, 'select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}
