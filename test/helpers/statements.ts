// The SQL statements the application sends while some work runs, read through knex's documented
// `query` event. The application's periodic background work, which is part of no request, is left
// out: the API-key registry's refresh and the delivery worker's once-a-minute release of stalled
// jobs. A count then says what the work itself costs whenever a poll happens to fire.
import type { MikroORM } from '@mikro-orm/postgresql';

const BACKGROUND = /\bfrom api_key where revoked_at is null\b|\bgraphile_worker\.force_unlock_workers\(/;

export async function statementsDuring(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  const knex = orm.em.getKnex();
  const statements: string[] = [];
  const listener = (sent: { sql: string }): void => {
    if (!BACKGROUND.test(sent.sql)) statements.push(sent.sql);
  };
  knex.on('query', listener);
  try {
    await work();
  } finally {
    knex.off('query', listener);
  }
  return statements;
}
