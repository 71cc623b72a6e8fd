// What the GraphQL requests of the clients (API keys) may hold of the database pool (DATABASE_POOL_MAX),
// shared fairly between them: a few statements of one request at once, a few of one client at once over
// all its requests on this instance, and, for read-only operations (queries), a bounded time per
// statement and a bounded wait for a turn. Without these, a handful of requests each counting thirty
// broad lists in parallel held every connection, and other clients' one-row queries waited seconds for
// one; with a cap per client alone, two busy clients together still held every connection. Removable:
// without it sql.ts runs statements as they come.
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationTypeNode } from 'graphql';
import type { GraphQLContext } from '../context';
import { ConcurrencyLimit } from './concurrency-limit';
import { StatementWaitTimeoutError } from './errors';
import { Db, setStatementPolicy, StatementPolicy } from './sql';

export interface StatementLimitOptions {
  /** Statements one request (or WebSocket operation) runs at once. */
  perRequest: number;
  /**
   * Statements one client runs at once over all its requests on this instance (`STATEMENTS_PER_KEY`),
   * and all clients' statements together that are not lone (see StatementLimits).
   */
  perClient: number;
  /** Statements of all clients at once: the connections of the pool (`DATABASE_POOL_MAX`). */
  poolSize: number;
  /** Longest a statement of a query operation may run, ms; 0 none (`QUERY_STATEMENT_TIMEOUT_MS`). */
  queryTimeoutMs: number;
  /**
   * Longest a statement of a query operation waits for its turns (its request's, then its client's),
   * ms, from when it is asked; 0 as long as it takes (`QUERY_STATEMENT_WAIT_TIMEOUT_MS`).
   */
  queryWaitTimeoutMs: number;
}

/** A statement waiting for its turn. */
interface WaitingStatement {
  /** When it began to wait: of two clients running as many, the one waiting longest goes first. */
  since: number;
  start(): void;
}

/** A client's statements running and waiting on this instance; kept while it has any. */
interface ClientTurns {
  running: number;
  /** Its statements waiting for a turn, in the order they asked: a client's statements start in order. */
  waiting: WaitingStatement[];
}

/** A client with more than one statement running or waiting: its running ones count as busy. */
function isBusy(turns: ClientTurns): boolean {
  return turns.running + turns.waiting.length > 1;
}

/**
 * The turns of every client's statements. A client runs at most `perClient` at once. A lone statement
 * — its client has no other running or waiting: a one-row lookup, a dashboard's poll — starts on any
 * free connection; a statement of a busy client (more than one running or waiting) starts only while
 * the busy clients together run fewer than `perClient`, its client's statement that started lone
 * counted among them once its client is busy. The rest of the pool stays free for lone statements.
 *
 * Turns are handed out once per turn of the event loop, after everything asked in it (scheduleStarts),
 * not as each statement asks: the statements a request asks together (its parallel fields, as many
 * as `perRequest` lets through) are all waiting when the first would start, so a burst is busy from
 * its first statement. Were the first started as it asked, it would start lone, hold its connection once the
 * rest arrived, and keys bursting at once would hold a connection each past `perClient`, up to the
 * whole pool. What no turn can foresee: a statement that started lone and is still running when its
 * client asks for more later holds its connection as one of the busy ones (a connection is not taken
 * back), and busy clients start nothing more until they run fewer than `perClient` again.
 *
 * When connections are scarce, the next free turn goes to the waiting client that runs the fewest
 * statements (the one waiting longest among equals): a client with one statement waiting is served
 * before a busy client's next.
 */
export class StatementLimits {
  private readonly clients = new Map<string, ClientTurns>();
  private readonly requests = new WeakMap<Db, RequestStatements>();
  /** Statements running, of all clients. */
  private running = 0;
  /** Statements running of busy clients (isBusy). */
  private busyRunning = 0;
  /** Whether startWaiting is due at the end of this turn of the event loop. */
  private startsScheduled = false;

  constructor(readonly options: StatementLimitOptions) {}

  /** Holds the statements run through `db`, one request's EntityManager, to the limits of `client`. */
  forRequest(db: Db, client: string, operation?: OperationTypeNode): void {
    const request = new RequestStatements(this, client, operation);
    this.requests.set(db, request);
    setStatementPolicy(db, request);
  }

  /** The turns of one request's statements, as forRequest gives them to its EntityManager (tests). */
  newRequest(client: string, operation?: OperationTypeNode): StatementPolicy {
    return new RequestStatements(this, client, operation);
  }

  /** The request's operation is known (HTTP: once Apollo has resolved it): a query's statements are timed. */
  operationResolved(db: Db, operation: OperationTypeNode): void {
    const request = this.requests.get(db);
    if (request) request.operation = operation;
  }

  /**
   * Runs `statement` in a turn of `client`, its statements in order. When `waitLimit` aborts before its
   * turn, it leaves the line and throws the signal's reason, the statement not run.
   */
  async inClientTurn<T>(client: string, statement: () => Promise<T>, waitLimit?: AbortSignal): Promise<T> {
    waitLimit?.throwIfAborted();
    const turns = this.clients.get(client) ?? { running: 0, waiting: [] };
    this.clients.set(client, turns);
    await this.take(client, turns, waitLimit);
    try {
      return await statement();
    } finally {
      this.change(turns, () => turns.running--);
      this.running--;
      this.forgetIfIdle(client, turns);
      this.scheduleStarts();
    }
  }

  /** Clients with statements running or waiting (tests: nothing is kept for an idle client). */
  get activeClients(): number {
    return this.clients.size;
  }

  /** A turn for the next statement of `client`: it waits in line until startWaiting hands it one. */
  private take(client: string, turns: ClientTurns, waitLimit: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const giveUp = () => {
        this.change(turns, () => turns.waiting.splice(turns.waiting.indexOf(waiting), 1));
        this.forgetIfIdle(client, turns);
        // The statement behind it may now be lone, and so free to start.
        this.scheduleStarts();
        reject(waitLimit?.reason);
      };
      const waiting: WaitingStatement = {
        since: Date.now(),
        start: () => {
          waitLimit?.removeEventListener('abort', giveUp);
          resolve();
        },
      };
      waitLimit?.addEventListener('abort', giveUp, { once: true });
      this.change(turns, () => turns.waiting.push(waiting));
      this.scheduleStarts();
    });
  }

  /** Hands out the free turns once everything asked in this turn of the event loop is waiting (see the class). */
  private scheduleStarts(): void {
    if (this.startsScheduled) return;
    this.startsScheduled = true;
    setImmediate(() => {
      this.startsScheduled = false;
      this.startWaiting();
    });
  }

  /** Whether the first waiting statement of `turns` may start now. */
  private mayStart(turns: ClientTurns): boolean {
    const { perClient, poolSize } = this.options;
    if (turns.running >= perClient || this.running >= poolSize) return false;
    return !isBusy(turns) || this.busyRunning < perClient;
  }

  /** Hands free turns to waiting statements: each to the client running the fewest, the longest waiting among equals. */
  private startWaiting(): void {
    for (;;) {
      let next: ClientTurns | undefined;
      for (const turns of this.clients.values()) {
        if (turns.waiting.length === 0 || !this.mayStart(turns)) continue;
        if (!next || turns.running < next.running || (turns.running === next.running && turns.waiting[0].since < next.waiting[0].since))
          next = turns;
      }
      if (!next) return;
      const chosen = next;
      const waiting = chosen.waiting[0];
      this.change(chosen, () => {
        chosen.waiting.shift();
        chosen.running++;
      });
      this.running++;
      waiting.start();
    }
  }

  /** Applies `change` to a client's counts, keeping busyRunning in step (a client may become busy, or stop being). */
  private change(turns: ClientTurns, change: () => unknown): void {
    const before = isBusy(turns) ? turns.running : 0;
    change();
    this.busyRunning += (isBusy(turns) ? turns.running : 0) - before;
  }

  private forgetIfIdle(client: string, turns: ClientTurns): void {
    if (turns.running === 0 && turns.waiting.length === 0) this.clients.delete(client);
  }
}

/** The statements of one request (or WebSocket operation, or CSV export): its own turns, then its client's. */
class RequestStatements implements StatementPolicy {
  private readonly turns: ConcurrencyLimit;

  constructor(
    private readonly limits: StatementLimits,
    private readonly client: string,
    public operation: OperationTypeNode | undefined,
  ) {
    this.turns = new ConcurrencyLimit(limits.options.perRequest);
  }

  run<T>(statement: (timeoutMs: number | undefined) => Promise<T>): Promise<T> {
    // Mutations, subscriptions, and the scoring, imports and migrations (which run on connections or
    // EntityManagers of their own) are never timed, nor refused for waiting: only what a query reads.
    const { queryTimeoutMs, queryWaitTimeoutMs } = this.limits.options;
    const query = this.operation === 'query';
    const timeoutMs = query && queryTimeoutMs > 0 ? queryTimeoutMs : undefined;
    // Its wait is counted from now, over both turns: the last of thirty counts waits mostly for its
    // request's turn, behind the request's own statements.
    const waiting = query && queryWaitTimeoutMs > 0 ? waitLimit(queryWaitTimeoutMs) : undefined;
    const started = () => {
      waiting?.stop();
      return statement(timeoutMs);
    };
    // The request's turn first, then the client's: a statement holds a client turn only while it runs.
    return this.turns.run(() => this.limits.inClientTurn(this.client, started, waiting?.signal), waiting?.signal);
  }
}

/** A statement's wait for its turns, from when it is asked: past `timeoutMs`, `signal` aborts with StatementWaitTimeoutError. */
function waitLimit(timeoutMs: number): { signal: AbortSignal; stop(): void } {
  const waitedTooLong = new AbortController();
  const timer = setTimeout(() => waitedTooLong.abort(new StatementWaitTimeoutError(timeoutMs)), timeoutMs);
  return { signal: waitedTooLong.signal, stop: () => clearTimeout(timer) };
}

/** Tells the limits which operation an HTTP request runs, once Apollo has resolved it (before any resolver). */
export function statementLimitsPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation) contextValue.services.statementLimits.operationResolved(contextValue.db, operation.operation);
        },
      };
    },
  };
}
