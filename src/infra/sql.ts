// Set-based SQL through the request's forked EntityManager, inside its transaction when it has one.
// Placeholders are knex-style `?` (`??` an identifier, `\?` a plain `?`), bound in the order they are
// written, or, with the values given as an object, `:name` (knex's named bindings, not mixed with `?`
// in one statement): a value a statement reads in several places, or in a fragment written elsewhere,
// is bound once under its name, and no place depends on the order of the others. Arrays and record sets
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
import { type EntityManager, type Knex, knex } from '@mikro-orm/postgresql';
import { StatementTimeoutError } from './errors';

export type Db = EntityManager;

/** What node-postgres answers for a statement (knex's raw result on PostgreSQL). */
interface PgResult<Row> {
  rows: Row[];
}

/**
 * How the statements run through one EntityManager (a GraphQL request's) are held: `run` starts each
 * in its turn and gives it the longest it may run, in ms (undefined: as long as it takes). Set by
 * statement-limits.ts; an EntityManager without one runs its statements as they come.
 */
export interface StatementPolicy {
  run<T>(statement: (timeoutMs: number | undefined) => Promise<T>): Promise<T>;
}

const policies = new WeakMap<Db, StatementPolicy>();

export function setStatementPolicy(db: Db, policy: StatementPolicy): void {
  policies.set(db, policy);
}

/** A statement's values: in the order of its `?` placeholders, or by the names of its `:name` ones. */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

function run<Row>(db: Db, sql: string, params: SqlParams, name?: string): Promise<Row[]> {
  const policy = policies.get(db);
  return policy
    ? policy.run((timeoutMs) => execute<Row>(db, sql, params, name, timeoutMs))
    : execute<Row>(db, sql, params, name, undefined);
}

async function execute<Row>(
  db: Db,
  sql: string,
  params: SqlParams,
  name: string | undefined,
  timeoutMs: number | undefined,
): Promise<Row[]> {
  const statement = db.getKnex().raw(sql, bindingsOf(params));
  if (name) statement.options({ name });
  const transaction = db.getTransactionContext<Knex.Transaction>();
  if (transaction) statement.transacting(transaction);
  // knex's documented query timeout: past it, the statement is cancelled (pg_cancel_backend, from a
  // connection of its own) and the pooled connection goes back free. Never inside a transaction,
  // which a cancelled statement would abort.
  const timed = timeoutMs !== undefined && timeoutMs > 0 && !transaction;
  if (timed) statement.timeout(timeoutMs, { cancel: true });
  try {
    const result: PgResult<Row> = await statement;
    return result.rows;
  } catch (error) {
    if (timed && isQueryTimeout(error, timeoutMs)) throw new StatementTimeoutError(timeoutMs);
    throw error;
  }
}

/** `params` as knex takes them: it refuses an undefined binding, and an absent value is SQL's null. */
function bindingsOf(params: SqlParams): readonly Knex.RawBinding[] | Knex.ValueDict {
  const orNull = (value: unknown) => (value === undefined ? null : value) as Knex.RawBinding;
  if (Array.isArray(params)) return params.map(orNull);
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, orNull(value)])) as Knex.ValueDict;
}

/**
 * knex's error for a statement past its `.timeout()`, which carries the timeout it was given (its
 * error for a pool that gave no connection in time is the same class, without it: an outage).
 */
function isQueryTimeout(error: unknown, timeoutMs: number): boolean {
  return error instanceof knex.KnexTimeoutError && (error as { timeout?: unknown }).timeout === timeoutMs;
}

export function query<Row = Record<string, unknown>>(db: Db, sql: string, params: SqlParams = []): Promise<Row[]> {
  return run<Row>(db, sql, params);
}

/**
 * For the hot read paths (pages, DataLoader batches): the statement is prepared once per connection
 * under a name derived from its text (node-postgres's `name` query option), so PostgreSQL parses and
 * plans each shape once instead of on every request. Each `?` must be typed by its context (a cast,
 * or a comparison with a column); the text must not depend on the values.
 */
export function queryPrepared<Row = Record<string, unknown>>(db: Db, sql: string, params: SqlParams = []): Promise<Row[]> {
  return run<Row>(db, sql, params, `hg_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`);
}

export async function queryOne<Row = Record<string, unknown>>(db: Db, sql: string, params: SqlParams = []): Promise<Row | undefined> {
  const rows = await query<Row>(db, sql, params);
  return rows[0];
}

/** Callbacks to run once the transaction of an EntityManager (opened by `inTransaction`) commits. */
const committing = new WeakMap<Db, Array<() => void>>();

/** Runs `work` in one transaction on a fork of `db`; nested calls join the outer transaction. */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  if (db.isInTransaction()) return work(db);
  const callbacks: Array<() => void> = [];
  const result = await db.transactional(async (tx) => {
    await throwIfNotBegun(tx as Db);
    committing.set(tx as Db, callbacks);
    return work(tx as Db);
  });
  for (const callback of callbacks) callback();
  return result;
}

/**
 * knex hands over a transaction whose BEGIN failed (its connection lost as it began: a pooled
 * connection whose session was just ended) as if it had begun, completed: its first statement would
 * fail with knex's "Transaction query already complete", which says nothing of the lost connection
 * and reads as a fault. Throws the error the BEGIN failed with instead (an outage: SERVICE_UNAVAILABLE).
 */
async function throwIfNotBegun(tx: Db): Promise<void> {
  const transaction = tx.getTransactionContext<Knex.Transaction>();
  if (!transaction?.isCompleted()) return;
  throw await transaction.executionPromise.then(
    () => new Error('the transaction ended before its work began'),
    (error: unknown) => error,
  );
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
