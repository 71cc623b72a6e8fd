// What the GraphQL requests of one client may hold of the database pool (DATABASE_POOL_MAX): a few
// statements of one request at once, a few of one client (API key) at once over all its requests on
// this instance, and, for read-only operations (queries), a bounded time per statement. Without these,
// a handful of requests each counting thirty broad lists in parallel held every connection, and other
// clients' one-row queries waited seconds for one. Removable: without it sql.ts runs statements as they come.
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationTypeNode } from 'graphql';
import type { GraphQLContext } from '../context';
import { ConcurrencyLimit } from './concurrency-limit';
import { Db, setStatementPolicy, StatementPolicy } from './sql';

export interface StatementLimitOptions {
  /** Statements one request (or WebSocket operation) runs at once. */
  perRequest: number;
  /** Statements one client runs at once over all its requests on this instance (`STATEMENTS_PER_KEY`). */
  perClient: number;
  /** Longest a statement of a query operation may run, ms; 0 none (`QUERY_STATEMENT_TIMEOUT_MS`). */
  queryTimeoutMs: number;
}

/** A client's shared limit, kept while any of its statements runs or waits. */
interface ClientTurns {
  limit: ConcurrencyLimit;
  statements: number;
}

export class StatementLimits {
  private readonly clients = new Map<string, ClientTurns>();
  private readonly requests = new WeakMap<Db, RequestStatements>();

  constructor(readonly options: StatementLimitOptions) {}

  /** Holds the statements run through `db`, one request's EntityManager, to the limits of `client`. */
  forRequest(db: Db, client: string, operation?: OperationTypeNode): void {
    const request = new RequestStatements(this, client);
    if (operation) request.operation = operation;
    this.requests.set(db, request);
    setStatementPolicy(db, request);
  }

  /** The request's operation is known (HTTP: once Apollo has resolved it): a query's statements are timed. */
  operationResolved(db: Db, operation: OperationTypeNode): void {
    const request = this.requests.get(db);
    if (request) request.operation = operation;
  }

  /** Runs `statement` in the turn of `client`: at most `perClient` of its statements at once, in order. */
  async inClientTurn<T>(client: string, statement: () => Promise<T>): Promise<T> {
    let turns = this.clients.get(client);
    if (!turns) this.clients.set(client, (turns = { limit: new ConcurrencyLimit(this.options.perClient), statements: 0 }));
    turns.statements++;
    try {
      return await turns.limit.run(statement);
    } finally {
      if (--turns.statements === 0) this.clients.delete(client);
    }
  }

  /** Clients with statements running or waiting (tests: nothing is kept for an idle client). */
  get activeClients(): number {
    return this.clients.size;
  }
}

class RequestStatements implements StatementPolicy {
  operation: OperationTypeNode | undefined;
  private readonly turns: ConcurrencyLimit;

  constructor(
    private readonly limits: StatementLimits,
    private readonly client: string,
  ) {
    this.turns = new ConcurrencyLimit(limits.options.perRequest);
  }

  run<T>(statement: (timeoutMs: number | undefined) => Promise<T>): Promise<T> {
    // Mutations, subscriptions, and the scoring, imports and migrations (which run on connections or
    // EntityManagers of their own) are never timed: only what a query reads.
    const timeoutMs = this.operation === 'query' && this.limits.options.queryTimeoutMs > 0 ? this.limits.options.queryTimeoutMs : undefined;
    // The request's turn first, then the client's: a statement holds a client turn only while it runs.
    return this.turns.run(() => this.limits.inClientTurn(this.client, () => statement(timeoutMs)));
  }
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
