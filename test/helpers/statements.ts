// The SQL statements the application sends while some work runs, read through knex's documented
// `query` event. The application's periodic background work, which is part of no request, is left
// out: the API-key registry's refresh, the delivery worker's once-a-minute release of stalled jobs,
// the scheduler's sweep's look for runs left RUNNING (it reads true while the counted work is itself
// a full run) and its pass over the planner statistics, with the transaction that pass opens (its
// BEGIN, lock timeout, savepoints and COMMIT, which only the transaction tells from the work's own).
// A count then says what the work itself costs whenever a poll happens to fire.
import type { MikroORM } from '@mikro-orm/postgresql';

const BACKGROUND = new RegExp(
  [
    /\bfrom api_key where revoked_at is null\b/,
    /\bexists \(select 1 from api_key\)/,
    /\bgraphile_worker\.force_unlock_workers\(/,
    /^select exists \(select 1 from scoring_run where status = 'RUNNING'\) as running$/,
    /^select current_setting\('autovacuum'\) = 'on' as on$/,
    /^select pg_try_advisory_xact_lock\(hashtext\(\$1\)\) as locked$/,
    /\bfrom pg_stat_user_tables\b/,
    /^analyze\b/,
  ]
    .map((pattern) => pattern.source)
    .join('|'),
);

export interface SentStatement {
  /** The SQL as sent, with `$n` placeholders. */
  sql: string;
  bindings: readonly unknown[];
}

/** A `query` event: the statement, and the transaction it ran in (`__knexTxId`, documented with the event). */
interface QueryEvent {
  sql: string;
  bindings?: readonly unknown[];
  __knexTxId?: string;
}

const TRANSACTION_BEGINS = /^(BEGIN;|SAVEPOINT \w+;)$/;
const TRANSACTION_ENDS = /^(COMMIT;|ROLLBACK\b|RELEASE SAVEPOINT \w+;$)/;
/** How long a transaction the work's window saw begin is followed past the window, to tell whose it is. */
const FOLLOW_OPEN_TRANSACTIONS_MS = 5000;

/**
 * The statements `work` sends, with their values. A transaction is the work's when it began within the
 * work (one the background opened before it, a poll straddling its start, is not) and has no
 * background statement, including one it sent after the work ended (a poll straddling its end):
 * a transaction still open then is followed until it ends.
 */
export async function sentDuring(orm: MikroORM, work: () => Promise<unknown>): Promise<SentStatement[]> {
  const knex = orm.em.getKnex();
  const seen: QueryEvent[] = [];
  const begun = new Set<string>();
  const open = new Set<string>();
  const background = new Set<string>();
  let following = true;
  const listener = (query: QueryEvent): void => {
    const transaction = query.__knexTxId;
    if (following) seen.push(query);
    if (!transaction) return;
    if (TRANSACTION_BEGINS.test(query.sql) && following) {
      begun.add(transaction);
      open.add(transaction);
    }
    if (BACKGROUND.test(query.sql)) background.add(transaction);
    if (TRANSACTION_ENDS.test(query.sql)) open.delete(transaction);
  };
  knex.on('query', listener);
  try {
    await work();
    following = false;
    const deadline = Date.now() + FOLLOW_OPEN_TRANSACTIONS_MS;
    while ([...open].some((transaction) => !background.has(transaction)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    knex.off('query', listener);
  }
  const theWorks = (query: QueryEvent): boolean =>
    !BACKGROUND.test(query.sql) && (query.__knexTxId === undefined || (begun.has(query.__knexTxId) && !background.has(query.__knexTxId)));
  return seen.filter(theWorks).map((query) => ({ sql: query.sql, bindings: query.bindings ?? [] }));
}

export async function statementsDuring(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  return (await sentDuring(orm, work)).map((statement) => statement.sql);
}
