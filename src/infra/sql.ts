// Set-based SQL through the request's forked EntityManager, inside its transaction when it has one.
// Placeholders are knex-style `?`; arrays and record sets travel as one JSON parameter each
// (`jsonb_array_elements_text(?::jsonb)`, `jsonb_to_recordset(?::jsonb)`) so a statement's size
// never depends on how many rows it touches.
//
// Statements go straight to the pooled pg connection (the transaction's, when there is one).
// MikroORM's `execute` would escape every parameter into the SQL text: for the JSON record sets
// (megabytes for a scoring or ingestion batch) that costs more CPU and garbage in Node, and more
// lexing in PostgreSQL, than the work the statement does. Here small values are still inlined as
// literals (so their types are inferred exactly as before) and long strings are bound parameters.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

export type Db = EntityManager;

/** Strings longer than this are sent as bound parameters; the rest are inlined as literals. */
const BIND_LONGER_THAN = 1024;

interface PgConnection {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}

/** The part of a knex client (the pool's, or a transaction's) used here. */
interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
  emit(event: string, data: unknown): boolean;
}

/** Replaces each `?` with a literal, or with `$n` for a long string (`??` is an identifier, `\?` a plain `?`). */
function bindParameters(db: Db, sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const platform = db.getPlatform();
  const values: unknown[] = [];
  let text = '';
  let next = 0;
  let from = 0;
  for (let at = sql.indexOf('?'); at !== -1; at = sql.indexOf('?', from)) {
    if (at > 0 && sql[at - 1] === '\\') {
      text += `${sql.slice(from, at - 1)}?`;
      from = at + 1;
      continue;
    }
    text += sql.slice(from, at);
    if (sql[at + 1] === '?') {
      text += platform.quoteIdentifier(params[next++] as string);
      from = at + 2;
      continue;
    }
    const value = params[next++];
    if (typeof value === 'string' && value.length > BIND_LONGER_THAN) {
      values.push(value);
      text += `$${values.length}`;
    } else {
      text += platform.quoteValue(value);
    }
    from = at + 1;
  }
  if (next !== params.length) throw new Error(`SQL has ${next} placeholders but ${params.length} parameters were given`);
  return { text: text + sql.slice(from), values };
}

async function run<Row>(db: Db, statement: { text: string; values: unknown[]; name?: string }): Promise<Row[]> {
  const transaction = db.getTransactionContext<{ client: KnexClient }>();
  const client = (transaction ?? (db.getConnection().getKnex() as unknown as { client: KnexClient })).client;
  // knex's `query` event, which the statement-count tests (and any knex logging) listen to.
  client.emit('query', { method: 'raw', sql: statement.text, bindings: statement.values });
  const connection = await client.acquireConnection();
  try {
    return (await connection.query(statement)).rows as Row[];
  } finally {
    await client.releaseConnection(connection);
  }
}

export async function query<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  return run<Row>(db, bindParameters(db, sql, params));
}

/**
 * For the hot read paths (pages, DataLoader batches): every parameter is bound and the statement
 * is prepared once per connection under a name derived from its text, so PostgreSQL parses and
 * plans each shape once instead of on every request. Each `?` must be typed by its context (a
 * cast, or a comparison with a column); the text must not depend on the values.
 */
export async function queryPrepared<Row = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
  let count = 0;
  const text = sql.replace(/\?/g, () => `$${++count}`);
  if (count !== params.length) throw new Error(`SQL has ${count} placeholders but ${params.length} parameters were given`);
  const name = `hg_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
  return run<Row>(db, { name, text, values: params });
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

export function json(value: unknown): string {
  return JSON.stringify(value);
}
