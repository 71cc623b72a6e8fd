// How a stopping instance treats the HTTP requests still running. They get DRAIN_GRACE_MS to finish
// and answer. One that cannot (held by a lock, a slow statement) would otherwise have its socket
// destroyed while its transaction may still commit: its client would see a network error for a write
// that happened. So, shortly before the sockets go, the instance ends its own database sessions still
// at work: their transactions roll back, and their requests answer 503 SERVICE_UNAVAILABLE with
// Retry-After, which means "not done, try again" — never a lost answer for a committed write.
// Queries and mutations sent over WebSocket drain the same way: their sockets stay open until they
// are answered (graphql-ws-server.ts), within the same grace.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
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

/**
 * The HTTP connections of a server and the requests running on each, as Apollo's drainHttpServer
 * plugin tracks them, but for the connections upgraded to WebSockets: that plugin, which cannot tell
 * them apart, ended their TCP connections as idle the moment the drain began (the client saw 1006),
 * a query or mutation still running on one left unanswered. Those are their WebSocket server's to close.
 */
class HttpConnections {
  private readonly requests = new Map<Duplex, number>();
  private stopping = false;

  constructor(private readonly httpServer: http.Server) {
    httpServer.on('connection', (socket: Duplex) => {
      this.requests.set(socket, 0);
      socket.once('close', () => this.requests.delete(socket));
    });
    httpServer.on('upgrade', (request: http.IncomingMessage) => this.requests.delete(request.socket));
    httpServer.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      const socket = request.socket;
      this.requests.set(socket, (this.requests.get(socket) ?? 0) + 1);
      response.once('finish', () => {
        if (!this.requests.has(socket)) return;
        const running = (this.requests.get(socket) ?? 1) - 1;
        this.requests.set(socket, running);
        if (this.stopping && running === 0) socket.end();
      });
    });
  }

  /**
   * Stops accepting connections; ends the idle ones at once, the others once their last answer is
   * sent, and all that remain when `deadline` aborts. Resolves once the server has closed (its
   * WebSockets closed too).
   */
  async stop(deadline: AbortSignal): Promise<void> {
    // A request whose connection just came in registers first (as in Apollo's plugin).
    await new Promise((resolve) => setImmediate(resolve));
    this.stopping = true;
    const cut = () => {
      for (const socket of this.requests.keys()) socket.end();
      setImmediate(() => {
        for (const socket of this.requests.keys()) socket.destroy();
      });
    };
    deadline.addEventListener('abort', cut, { once: true });
    const closed = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    for (const [socket, running] of this.requests) if (running === 0) socket.end();
    try {
      await closed;
    } finally {
      deadline.removeEventListener('abort', cut);
    }
  }
}

/**
 * Apollo's drain step for `httpServer`, in place of its drainHttpServer plugin: the HTTP requests and
 * the WebSocket operations in flight (`webSockets`) have the same DRAIN_GRACE_MS to be answered.
 * Created before the server listens, to see every connection.
 */
export function drainServerPlugin(
  httpServer: http.Server,
  webSockets: { dispose(deadline: AbortSignal): Promise<void> },
): ApolloServerPlugin<BaseContext> {
  const connections = new HttpConnections(httpServer);
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          const deadline = AbortSignal.timeout(DRAIN_GRACE_MS);
          await Promise.all([connections.stop(deadline), webSockets.dispose(deadline)]);
        },
      };
    },
  };
}
