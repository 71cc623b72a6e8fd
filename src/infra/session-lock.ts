// Session-level PostgreSQL advisory locks on a connection of their own: work that must happen once at
// a time across every instance sharing the database (full runs, the first-start backfill, migrations).
import { Client } from 'pg';
import { sessionUrl } from './postgres-session';

/**
 * Holds the session-level advisory lock named `name` on a dedicated connection for the duration of
 * `work`: one holder at a time across every instance. `wait` false returns null when it is held.
 * `work` is given the lock's session, and a signal aborted should that session end while it works.
 * When `signal` aborts before the lock is held (a stopping service, while another instance's work
 * holds it), the wait ends there and the signal's reason is thrown, `work` not run.
 */
export async function withSessionLock<T>(
  databaseUrl: string,
  name: string,
  wait: boolean,
  work: (lock: Client, lost: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T | null> {
  signal?.throwIfAborted();
  const client = new Client({ connectionString: sessionUrl(databaseUrl) });
  // A connection lost while idle (the database restarting, the session terminated, a proxy or
  // idle_session_timeout closing it) is reported as an 'error' event, which unhandled would end the
  // process. The lock goes with the session, and another instance may now take the work as
  // abandoned: `lost` tells `work`, which stops taking more.
  const lost = new AbortController();
  const loseLock = (): void => lost.abort(new Error(`the session holding the lock ${name} ended`));
  client.on('error', loseLock);
  client.on('end', loseLock);
  try {
    await client.connect();
    if (wait) {
      await waitForLock(client, databaseUrl, name, signal);
    } else {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [name]);
      if (!rows[0].locked) return null;
    }
    try {
      return await work(client, lost.signal);
    } finally {
      // Without its session the lock is already released.
      await client.query('select pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Takes the lock on `client`, waiting for it. A session waiting for a lock reads nothing from its
 * client, not even the connection closing: an abort of `signal` cancels the wait from a session of
 * its own, and throws the signal's reason (also when the lock came first: `work` is not run).
 */
async function waitForLock(client: Client, databaseUrl: string, name: string, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) {
    await client.query('select pg_advisory_lock(hashtext($1))', [name]);
    return;
  }
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  signal.throwIfAborted();
  const cancel = (): void => void cancelStatement(databaseUrl, rows[0].pid);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [name]);
  } finally {
    signal.removeEventListener('abort', cancel);
    // Whatever the wait ended with (cancelled, or the lock): the caller stops here, and releases it.
    signal.throwIfAborted();
  }
}

/** Cancels the statement session `pid` is running, from a session of its own; a failure is left to that statement to end. */
export async function cancelStatement(databaseUrl: string, pid: number): Promise<void> {
  const client = new Client({ connectionString: sessionUrl(databaseUrl) });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    // The session may be gone already.
  } finally {
    await client.end().catch(() => undefined);
  }
}
