// Session-level PostgreSQL advisory locks on a connection of their own: work that must happen once at
// a time across every instance sharing the database (full runs, the first-start backfill, migrations).
import { Client } from 'pg';

/**
 * Holds the session-level advisory lock named `name` on a dedicated connection for the duration of
 * `work`: one holder at a time across every instance. `wait` false returns null when it is held.
 */
export async function withSessionLock<T>(
  databaseUrl: string,
  name: string,
  wait: boolean,
  work: (lock: Client) => Promise<T>,
): Promise<T | null> {
  const client = new Client({ connectionString: databaseUrl });
  // A connection lost while idle (the database restarting) is reported as an 'error' event, which
  // unhandled would end the process. The lock goes with the session; the run's own statements
  // report the outage.
  client.on('error', () => undefined);
  await client.connect();
  try {
    if (wait) {
      await client.query('select pg_advisory_lock(hashtext($1))', [name]);
    } else {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [name]);
      if (!rows[0].locked) return null;
    }
    try {
      return await work(client);
    } finally {
      // Without its session the lock is already released.
      await client.query('select pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
