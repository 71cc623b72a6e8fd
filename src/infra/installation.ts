// The id of this installation: one row per database, written by its migration (and again here if
// someone deleted it). Every instance serving the database reads the same id.
import { Db, queryOne } from './sql';

export async function installationId(db: Db): Promise<string> {
  const row = await queryOne<{ id: string }>(
    db,
    `with written as (insert into installation default values on conflict do nothing returning id)
     select id::text as id from written union all select id::text from installation limit 1`,
  );
  if (!row) throw new Error('no installation row');
  return row.id;
}
