// The SQL statements the application sends while some work runs, read through knex's documented
// `query` event. The API-key registry's periodic refresh (a background poll, not part of any
// request) is left out, so a count says what the work itself costs whenever the poll happens to fire.
import type { MikroORM } from '@mikro-orm/postgresql';

const BACKGROUND = /\bfrom api_key where revoked_at is null\b/;

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
