// How a stopping instance treats the HTTP requests still running. They get DRAIN_GRACE_MS to finish
// and answer. One that cannot (held by a lock, a slow statement) would otherwise have its socket
// destroyed while its transaction may still commit: its client would see a network error for a write
// that happened. So, shortly before the sockets go, the instance ends its own database sessions still
// at work: their transactions roll back, and their requests answer 503 SERVICE_UNAVAILABLE with
// Retry-After, which means "not done, try again" — never a lost answer for a committed write.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { ServiceStoppingError } from './errors';
import { sessionUrl } from './postgres-session';

/**
 * A select-list item to run first in a transaction of background work (a scoring batch, a
 * delivery's outcome): for the transaction's length its session is named apart, and the shutdown
 * leaves it be. The scheduler and the delivery worker stop after the HTTP drain and wait for their
 * work; ending it would undo a batch, or lose the record of a message already sent.
 */
export const MARK_BACKGROUND_WORK = `set_config('application_name', current_setting('application_name') || ' background', true)`;

/** How long requests in flight have to finish once the server stops. */
export const DRAIN_GRACE_MS = 10_000;
/** Before the grace ends, the time left for requests whose sessions were ended to send their 503. */
const ANSWER_MARGIN_MS = 1_000;
/** What a request still at work when its time to finish ran out is answered (503, Retry-After). */
const LATE_REQUEST_STOPPED =
  'the server is stopping: this request was still running when its time to finish ran out, and was stopped; send it again';

/**
 * A PostgreSQL `application_name` of its own for each ORM a process opens: the sessions of this
 * instance, and only those, can be told apart (by the shutdown below, by an operator in pg_stat_activity).
 */
export function newSessionName(): string {
  return `healthgraph ${randomUUID().slice(0, 8)}`;
}

/** The session name the ORM's connections carry (set in database.ts), if any. */
export function sessionNameOf(orm: MikroORM): string | undefined {
  const options = orm.config.get('driverOptions') as { connection?: { application_name?: unknown } } | undefined;
  const name = options?.connection?.application_name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Ends the sessions named `sessionName` that are not idle (a statement running, or a transaction
 * open between statements), background work marked by MARK_BACKGROUND_WORK aside. Over a connection
 * of its own: the pool may be held by those very requests.
 */
export async function endBusySessions(databaseUrl: string, sessionName: string): Promise<number> {
  const client = new Client({ connectionString: sessionUrl(databaseUrl) });
  await client.connect();
  try {
    const ended = await client.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = $1 and state <> 'idle' and pid <> pg_backend_pid()`,
      [sessionName],
    );
    return ended.rowCount ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `drain` (which stops the server and waits for its requests, for at most DRAIN_GRACE_MS); if it
 * is still waiting ANSWER_MARGIN_MS before the grace ends, aborts `lateWork` (the requests' work
 * outside the database, a model's fit in its worker thread, stops and answers 503) and ends the busy
 * sessions of `orm`.
 */
export async function drainRollingBackLateRequests(
  orm: MikroORM,
  databaseUrl: string,
  drain: () => Promise<void>,
  lateWork: AbortController,
  report: { ended(sessions: number): void; failed(error: unknown): void },
): Promise<void> {
  const sessionName = sessionNameOf(orm);
  const timer = setTimeout(() => {
    // First: a request whose statement is ended below then fails as stopped by the server, not by an outage.
    lateWork.abort(new ServiceStoppingError(LATE_REQUEST_STOPPED));
    if (sessionName !== undefined) endBusySessions(databaseUrl, sessionName).then(report.ended, report.failed);
  }, DRAIN_GRACE_MS - ANSWER_MARGIN_MS);
  try {
    await drain();
  } finally {
    clearTimeout(timer);
  }
}
