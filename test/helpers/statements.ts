// The SQL statements the application sends while some work runs, read through knex's documented
// `query` event. The application's periodic background work, which is part of no request, is left
// out: the API-key registry's refresh, the delivery worker's once-a-minute release of stalled jobs
// and the scheduler's look at the planner statistics. A count then says what the work itself costs
// whenever a poll happens to fire.
import type { MikroORM } from '@mikro-orm/postgresql';

const BACKGROUND =
  /\bfrom api_key where revoked_at is null\b|\bexists \(select 1 from api_key\)|\bgraphile_worker\.force_unlock_workers\(|\bfrom pg_stat_user_tables\b|^analyze\b/;

export interface SentStatement {
  /** The SQL as sent, with `$n` placeholders. */
  sql: string;
  bindings: readonly unknown[];
}

/** The statements `work` sends, with their values. */
export async function sentDuring(orm: MikroORM, work: () => Promise<unknown>): Promise<SentStatement[]> {
  const knex = orm.em.getKnex();
  const sent: SentStatement[] = [];
  const listener = (query: { sql: string; bindings?: readonly unknown[] }): void => {
    if (!BACKGROUND.test(query.sql)) sent.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  knex.on('query', listener);
  try {
    await work();
  } finally {
    knex.off('query', listener);
  }
  return sent;
}

export async function statementsDuring(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  return (await sentDuring(orm, work)).map((statement) => statement.sql);
}
