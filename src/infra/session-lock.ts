// Session-level PostgreSQL advisory locks on a connection of their own: work that must happen once at
// a time across every instance sharing the database (full runs, the first-start backfill, migrations),
// and the shared hold a bulk load or a backfill keeps on live scoring (bulk-load-hold.ts).
import { Client } from 'pg';
import { sessionUrl } from './postgres-session';

/**
 * How often a held lock's session, otherwise idle while its work goes on on the pool, runs a statement:
 * a proxy or firewall that closes connections idle for a while (PgBouncer's, a cloud proxy's, a NAT
 * table's) sees it in use.
 */
export const LOCK_SESSION_HEARTBEAT_MS = 30_000;

/** How long the opening of a lock's new session may take (taking the lock again, a held lock lost). */
const CONNECT_TIMEOUT_MS = 10_000;

/** An advisory lock held on a session of its own (withSessionLock, holdingSessionLock). */
export interface HeldSessionLock {
  /** The session holding the lock now: another one once the lock has been taken again (see `held`). */
  readonly session: Client;
  /**
   * Aborted once the lock is lost for good: its session ended (terminated, the network, a proxy) and
   * the lock could not be taken again on a new session, because another session took it first, or
   * no session could be opened, or `retakeOnlyIf` said no.
   */
  readonly lost: AbortSignal;
  /**
   * Whether the lock is held: at once while its session lives; after it ended, once the lock has been
   * taken again on a new session (true), or lost for good (false).
   */
  held(): Promise<boolean>;
  /**
   * Asked on the new session once the lock is taken again, while held: false gives it up, lost for
   * good (the work it guards was taken for abandoned while the lock was free).
   */
  retakeOnlyIf(check: (session: Client) => Promise<boolean>): void;
}

/** A new session for a lock: no idle timeout ends it, and TCP keepalives tell a dead peer. */
async function openLockSession(databaseUrl: string): Promise<Client> {
  const client = new Client({
    connectionString: sessionUrl(databaseUrl),
    keepAlive: true,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // Until the lock's keeper watches it: a failure while connecting is thrown by `connect`.
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The session is idle while its work goes on: an idle_session_timeout set on the database or the
    // role (PostgreSQL 14 and later) would end it, and the lock with it. Set through pg_settings, so a
    // server without the setting is not refused it.
    await client.query(
      `select set_config(name, '0', false) from pg_settings
       where name in ('idle_session_timeout', 'idle_in_transaction_session_timeout')`,
    );
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

const LOCK_SQL = {
  exclusive: { wait: 'pg_advisory_lock', try: 'pg_try_advisory_lock', unlock: 'pg_advisory_unlock' },
  shared: { wait: 'pg_advisory_lock_shared', try: 'pg_try_advisory_lock_shared', unlock: 'pg_advisory_unlock_shared' },
} as const;

type LockMode = keyof typeof LOCK_SQL;

/**
 * Keeps a lock held on its session: a statement every LOCK_SESSION_HEARTBEAT_MS, and, should the
 * session end, the lock taken again on a new one when nobody else took it meanwhile.
 */
class LockKeeper implements HeldSessionLock {
  private readonly lostController = new AbortController();
  private retaking: Promise<boolean> | null = null;
  private check: ((session: Client) => Promise<boolean>) | null = null;
  private released = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly name: string,
    private readonly mode: LockMode,
    public session: Client,
  ) {
    this.watch(session);
    this.heartbeat = setInterval(() => {
      const { session: beating } = this;
      // A statement that fails has found the session gone: ended here, it is replaced at once.
      beating.query('select 1').catch(() => this.ended(beating));
    }, LOCK_SESSION_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  held(): Promise<boolean> {
    if (this.lost.aborted) return Promise.resolve(false);
    return this.retaking ?? Promise.resolve(true);
  }

  retakeOnlyIf(check: (session: Client) => Promise<boolean>): void {
    this.check = check;
  }

  /** Ends the keeping and the session: the lock is released with it. */
  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.heartbeat);
    await this.retaking;
    const { session } = this;
    // Without its session the lock is already released.
    await session.query(`select ${LOCK_SQL[this.mode].unlock}(hashtext($1))`, [this.name]).catch(() => undefined);
    await session.end().catch(() => undefined);
  }

  /**
   * A connection lost while idle (the database restarting, the session terminated, a proxy closing
   * it) is reported as an 'error' event, which unhandled would end the process.
   */
  private watch(session: Client): void {
    session.on('error', () => this.ended(session));
    session.on('end', () => this.ended(session));
  }

  private ended(session: Client): void {
    if (this.released || session !== this.session || this.retaking || this.lost.aborted) return;
    this.retaking = this.retake().then((held) => {
      this.retaking = null;
      return held;
    });
    // Its own 'end' comes back here, and finds the lock being taken again.
    void session.end().catch(() => undefined);
  }

  private async retake(): Promise<boolean> {
    const lose = (why: string): false => {
      this.lostController.abort(new Error(`the session holding the lock ${this.name} ended, and ${why}`));
      return false;
    };
    let session: Client;
    try {
      session = await openLockSession(this.databaseUrl);
    } catch {
      return lose('no new session could be opened to take it again');
    }
    try {
      const { rows } = await session.query<{ locked: boolean }>(`select ${LOCK_SQL[this.mode].try}(hashtext($1)) as locked`, [this.name]);
      if (!rows[0].locked) {
        await session.end().catch(() => undefined);
        return lose('another session took it first');
      }
      if (this.check && !(await this.check(session))) {
        await session.end().catch(() => undefined);
        return lose('the work it guarded was taken over meanwhile');
      }
    } catch {
      await session.end().catch(() => undefined);
      return lose('the new session failed before it held it');
    }
    this.session = session;
    this.watch(session);
    // Released while it was being taken again: the stop is not held up for it.
    if (this.released) await session.end().catch(() => undefined);
    return true;
  }
}

/**
 * Holds the session-level advisory lock named `name` on a dedicated connection for the duration of
 * `work`: one holder at a time across every instance. `wait` false returns null when it is held.
 * `work` is given the lock (HeldSessionLock): its session, and whether it is still held. Should that
 * session end while `work` goes on, the lock is taken again on a new one unless another session took
 * it meanwhile; `work` learns through `held` and `lost`.
 * When `signal` aborts before the lock is held (a stopping service, while another instance's work
 * holds it), the wait ends there and the signal's reason is thrown, `work` not run.
 */
export async function withSessionLock<T>(
  databaseUrl: string,
  name: string,
  wait: boolean,
  work: (lock: HeldSessionLock) => Promise<T>,
  signal?: AbortSignal,
): Promise<T | null> {
  signal?.throwIfAborted();
  const client = await openLockSession(databaseUrl);
  let keeper: LockKeeper | undefined;
  try {
    if (wait) {
      await waitForLock(client, databaseUrl, name, signal);
    } else {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [name]);
      if (!rows[0].locked) return null;
    }
    keeper = new LockKeeper(databaseUrl, name, 'exclusive', client);
    return await work(keeper);
  } finally {
    if (keeper) await keeper.release();
    else await client.end().catch(() => undefined);
  }
}

/**
 * Holds the advisory lock named `name` in shared mode (any number of holders, waiting only for an
 * exclusive one) on a dedicated connection for the duration of `work`, kept as withSessionLock keeps
 * its lock.
 */
export async function withSharedSessionLock<T>(databaseUrl: string, name: string, work: (lock: HeldSessionLock) => Promise<T>): Promise<T> {
  const client = await openLockSession(databaseUrl);
  let keeper: LockKeeper | undefined;
  try {
    await client.query(`select ${LOCK_SQL.shared.wait}(hashtext($1))`, [name]);
    keeper = new LockKeeper(databaseUrl, name, 'shared', client);
    return await work(keeper);
  } finally {
    if (keeper) await keeper.release();
    else await client.end().catch(() => undefined);
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
