// Access control of the graphql-ws transport, as the hooks graphql-ws documents:
//   - the upgrade: the Origin check and the cap on open connections (answered 403 / 503);
//   - connection_init (`onConnect`): the key (close 4401 when missing, wrong, revoked or two; 4429 after
//     too many failed attempts from the address) and the cap per key (close 1013);
//   - each subscribe message (`onSubscribe`): the cap on open operations, the key's rate limit, and
//     the operation limits, all before anything runs; a query or mutation holds its message until it
//     is answered, taken from the key's BodyBudget as an HTTP body is, and a turn of the key's
//     operations in flight as an HTTP request does (429's RATE_LIMITED beyond either); a subscription
//     holds its place among the key's subscriptions on the instance until it ends (subscriptions-per-key.ts);
//   - a connection with no operation open for `wsIdleTimeoutMs` is closed (1000, "idle");
//   - a key revoked on any instance closes its sockets (4401) at the next key refresh (at once on the
//     revoking one), each once its queries and mutations in flight are answered (closeUnauthorized):
//     an operation that was admitted answers, one sent or still waiting for its turn is refused.
import type http from 'node:http';
import { DocumentNode, ExecutionArgs, getOperationAST, GraphQLError, GraphQLSchema, OperationTypeNode } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type WebSocket from 'ws';
import type { BodyBudget } from '../infra/body-budget';
import type { OperationsInFlight } from '../infra/operations-in-flight';
import { addressBlock, type ClientAddressOf } from '../infra/client-address';
import type { AppConfig } from '../infra/config';
import type { RequestAuth } from '../context';
import { MAX_SUBSCRIPTION_NODES, type SubscriptionExecution, syntaxNodesUpTo } from '../infra/subscription-execution';
import { abortedValidationRefusal, classifyError, databaseUnavailableError, withCode } from '../infra/errors';
import { DocumentValidationError, OperationLimitError, RateLimitedError, RevokedKeyError, SubscriptionLimitError } from './auth.errors';
import { Authentication, authenticate, credentialsFrom, KEY_REFUSED } from './authenticate';
import type { KeyRegistry } from './key-registry';
import { checkBeforeParsing, CostLimit, limitValidationRules, OperationLimits } from './operation-limits';
import { asGraphQLErrors, operationScopeErrors } from './operation-scopes';
import type { Db } from '../infra/sql';
import { storedReadbackErrors } from './stored-readback';
import { checkOrigin } from './origin';
import { actorOf, type Principal } from './principal';
import type { RateLimits } from './rate-limits';
import { checkRepeatedFields } from './repeated-fields';
import { SubscriptionsPerKey } from './subscriptions-per-key';

/**
 * The keys a connection_init payload carries as `authorization`, in either shape clients send: at its
 * top level (`{ authorization: "Bearer …" }`, graphql-ws's own examples), or as an HTTP header would
 * be, in `headers` (`{ headers: { Authorization: "Bearer …" } }`, Apollo's and others'). Names are
 * matched without regard to case, as HTTP header names are; empty values are none. Each key once: more
 * than one is an ambiguous payload (`{ Authorization: "Bearer old", authorization: "Bearer new" }`),
 * refused rather than settled by the order of its members, which the client's serialiser chose and a
 * proxy or log reading the payload may settle otherwise.
 */
export function connectionInitCredentials(params: Readonly<Record<string, unknown>> | undefined): string[] {
  const found = new Set<string>();
  for (const object of [params, params?.headers]) {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) continue;
    for (const [name, value] of Object.entries(object)) {
      const credentials = name.toLowerCase() === 'authorization' ? credentialsFrom(value) : undefined;
      if (credentials) found.add(credentials);
    }
  }
  return [...found];
}

/** graphql-ws's connection context, on the ws transport. */
type GuardedContext = Context<Record<string, unknown> | undefined, Extra>;

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOO_MANY_FAILED_AUTHENTICATIONS = 4429;
/** Standard "try again later": graphql-ws clients reconnect with back-off. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_IDLE = 1000;

/**
 * How long a query or mutation of a closed socket keeps its turn at most when graphql-ws never says it
 * ended (an error out of its execution): longer than any query statement runs (QUERY_STATEMENT_TIMEOUT_MS).
 */
const ORPHANED_TURN_RELEASE_MS = 60_000;

interface ConnectionState {
  principal?: Principal;
  clientAddress: string | null;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  /**
   * The queries and mutations running on the connection, by operation id: each holds a turn of its
   * key's operations in flight and this much of its BodyBudget until it ends.
   */
  running: Map<string, number>;
  /**
   * The subscriptions open on the connection, by their subscribe message's payload (an id may be used
   * again once completed, before the first one's end is known), with the syntax nodes each holds.
   */
  subscriptions: Map<SubscribePayload, number>;
  /** The socket has closed: an operation that got its turn only now gives it back at once. */
  closed?: boolean;
  /** Its key was revoked (or a key created, for a key-less local socket): it closes once its operations are answered. */
  closing?: boolean;
}

export interface WebSocketGuardOptions {
  config: AppConfig;
  clientAddressOf: ClientAddressOf;
  keys: KeyRegistry;
  rateLimits: RateLimits;
  limits: OperationLimits;
  costLimit: CostLimit;
  schema: GraphQLSchema;
  execution: SubscriptionExecution;
  /** What the GraphQL requests of each key hold in memory at once, over HTTP and WebSocket alike. */
  bodies: BodyBudget;
  /** The GraphQL operations each key has in flight at once, over HTTP and WebSocket alike. */
  operations: OperationsInFlight;
  /** A database handle for the checks that read stored records before an operation runs (stored-readback.ts). */
  db: () => Db;
}

/** Longest operation id: graphql-ws clients send UUIDs, and the id is held (and sent back with every event) for the operation's life. */
export const MAX_OPERATION_ID_LENGTH = 256;

/**
 * Most characters a subscription may hold for its life: its id, document, operation name and
 * variables, all kept until it ends. A message may be a mebibyte (WS_MAX_MESSAGE_BYTES) and a key may
 * open a hundred operations on each of a thousand sockets: padded subscriptions ran the server out of
 * memory. Clients' subscriptions are a few hundred characters; queries and mutations end with their answer.
 */
export const MAX_SUBSCRIPTION_LENGTH = 16 * 1024;

/** The syntax nodes of a subscription's document (counted up to one past MAX_SUBSCRIPTION_NODES); null for another operation. */
function subscriptionNodes(document: DocumentNode, operationName: string | null | undefined): number | null {
  if (getOperationAST(document, operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) return null;
  return syntaxNodesUpTo(document, MAX_SUBSCRIPTION_NODES);
}

/**
 * The refusal of a subscription that would hold more than its share for its life: its text (id,
 * document, variables) past MAX_SUBSCRIPTION_LENGTH characters, or its parsed document past
 * MAX_SUBSCRIPTION_NODES syntax nodes. Null for one within both.
 */
function subscriptionHeldRefusal(nodes: number, held: number): GraphQLError | null {
  if (held > MAX_SUBSCRIPTION_LENGTH) {
    const message = `a subscription holds at most ${MAX_SUBSCRIPTION_LENGTH} characters (id, document and variables) for its life; this one ${held}`;
    return new OperationLimitError(message, { limit: 'subscription size', max: MAX_SUBSCRIPTION_LENGTH, found: held }).toGraphQLError();
  }
  if (nodes <= MAX_SUBSCRIPTION_NODES) return null;
  const message = `a subscription's document holds at most ${MAX_SUBSCRIPTION_NODES} syntax nodes (fields, arguments, values) for its life; this one more`;
  return new OperationLimitError(message, {
    limit: 'subscription nodes',
    max: MAX_SUBSCRIPTION_NODES,
    found: `> ${MAX_SUBSCRIPTION_NODES}`,
  }).toGraphQLError();
}

/** A validation error as the client gets it: GRAPHQL_VALIDATION_FAILED, or as over HTTP when graphql-js gave up. */
function validationRefusal(error: GraphQLError): GraphQLError {
  const aborted = abortedValidationRefusal(error.message);
  return aborted ? new GraphQLError(aborted.message, { extensions: aborted.extensions }) : withCode(error, 'GRAPHQL_VALIDATION_FAILED');
}

function heldLength(id: string, payload: SubscribePayload): number {
  const extra = [payload.variables, payload.extensions].map((value) => (value ? JSON.stringify(value).length : 0));
  return id.length + payload.query.length + (payload.operationName?.length ?? 0) + extra[0] + extra[1];
}

/** Why an operation of a socket whose key was revoked (or a key-less local one, once a key exists) is refused. */
function revokedMessage(principal: Principal): string {
  return principal.kind === 'key'
    ? 'this API key has been revoked: the connection closes once its operations in flight are answered'
    : 'an API key is now required: the connection closes once its operations in flight are answered';
}

function revokedRefusal(principal: Principal): GraphQLError {
  return new RevokedKeyError(revokedMessage(principal)).toGraphQLError();
}

function noOperationMessage(operationName: string | null | undefined): string {
  return operationName
    ? `no operation named "${operationName}" in the document`
    : 'no single operation to run in the document: name the one to run (operationName)';
}

export class WebSocketGuard {
  private readonly states = new Map<WebSocket, ConnectionState>();
  /** Closed connections whose queries or mutations still run: each gives back its turn as it ends (onComplete). */
  private readonly closedWhileRunning = new WeakMap<WebSocket, ConnectionState>();
  private readonly connectionsPerKey = new Map<string, number>();
  /** Depth and alias errors of each parsed document (validated once, as Apollo does for HTTP). */
  private readonly limitErrors = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  private readonly limitRules;
  private readonly subscriptionsPerKey: SubscriptionsPerKey;

  constructor(private readonly options: WebSocketGuardOptions) {
    this.limitRules = limitValidationRules(options.limits);
    this.subscriptionsPerKey = new SubscriptionsPerKey({
      maxSubscriptions: options.config.wsMaxSubscriptionsPerKey,
      maxNodes: options.config.wsMaxSubscriptionNodesPerKey,
    });
  }

  /** null when the upgrade may proceed; else the HTTP status and message to refuse it with. */
  admitUpgrade(request: http.IncomingMessage, openConnections: number): { status: number; message: string } | null {
    if (checkOrigin(request, this.options.config.corsOrigins) === 'refused') return { status: 403, message: 'origin not allowed' };
    if (openConnections >= this.options.config.wsMaxConnections) return { status: 503, message: 'too many WebSocket connections' };
    // Each socket may send a message before it authenticates: bound how many one address holds.
    // Counted by address block: a client cycling through the addresses of its IPv6 /64 is one client.
    const address = this.options.clientAddressOf(request);
    const block = address === null ? null : addressBlock(address);
    let pending = 0;
    for (const state of this.states.values()) {
      if (!state.principal && (state.clientAddress === null ? null : addressBlock(state.clientAddress)) === block) pending += 1;
    }
    if (pending >= this.options.config.wsMaxPendingPerAddress) {
      return { status: 429, message: 'too many WebSocket connections waiting to authenticate from this address' };
    }
    return null;
  }

  /** Tracks a socket from its upgrade to its close. */
  connected(socket: WebSocket, request: http.IncomingMessage): void {
    const state: ConnectionState = {
      clientAddress: this.options.clientAddressOf(request),
      lastActiveAt: Date.now(),
      running: new Map(),
      subscriptions: new Map(),
    };
    this.states.set(socket, state);
    socket.once('close', () => {
      state.closed = true;
      clearTimeout(state.idleTimer);
      this.states.delete(socket);
      // graphql-ws ends them all now: their places are free at once.
      for (const payload of [...state.subscriptions.keys()]) this.releaseSubscription(state, payload);
      // A closed socket does not stop what its operations run: each keeps its turn until it ends, as
      // over HTTP, or a client opening and closing sockets would run more than its share at once.
      // graphql-ws calls onComplete for each; should one end without it, its turn comes back later.
      const principal = state.principal;
      if (principal && state.running.size > 0) {
        this.closedWhileRunning.set(socket, state);
        const release = () => {
          for (const id of [...state.running.keys()]) this.release(state, principal, id);
        };
        setTimeout(release, ORPHANED_TURN_RELEASE_MS).unref();
      }
      if (state.principal?.kind === 'key') this.countConnection(state.principal.keyId, -1);
    });
  }

  /**
   * graphql-ws `onConnect`: authenticates the connection_init payload's key (see connectionInitCredentials;
   * two different ones are closed 4401 unread), or else the upgrade's Authorization header.
   */
  readonly onConnect = async (ctx: GuardedContext): Promise<boolean> => {
    const { socket, request } = ctx.extra;
    const state = this.states.get(socket);
    if (!state) return false;
    const address = state.clientAddress ?? 'unknown';
    const sent = connectionInitCredentials(ctx.connectionParams);
    if (sent.length > 1) {
      socket.close(CLOSE_UNAUTHORIZED, 'two different API keys in connection_init: send one');
      return false;
    }
    const credentials = sent[0] ?? credentialsFrom(request.headers.authorization);
    let authentication: Authentication;
    try {
      authentication = await authenticate(this.options.keys, credentials, request, (keyId) =>
        this.options.rateLimits.spendAuthAttempt(address, keyId),
      );
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      socket.close(CLOSE_TOO_MANY_FAILED_AUTHENTICATIONS, 'too many failed authentications');
      return false;
    }
    if (!authentication.ok) {
      if (authentication.hashedFor) this.options.rateLimits.recordAuthFailure(address, authentication.hashedFor);
      socket.close(CLOSE_UNAUTHORIZED, authentication.presented ? KEY_REFUSED : 'an API key is required');
      return false;
    }
    const { principal } = authentication;
    if (principal.kind === 'key') {
      if ((this.connectionsPerKey.get(principal.keyId) ?? 0) >= this.options.config.wsMaxConnectionsPerKey) {
        socket.close(CLOSE_TRY_AGAIN_LATER, 'too many connections for this API key');
        return false;
      }
      this.countConnection(principal.keyId, 1);
    }
    state.principal = principal;
    this.watchIdle(ctx, state, this.options.config.wsIdleTimeoutMs);
    return true;
  };

  /** graphql-ws `onSubscribe`: every check before an operation runs; its execution arguments when all pass. */
  readonly onSubscribe = async (
    ctx: GuardedContext,
    id: string,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const state = this.states.get(ctx.extra.socket);
    const principal = state?.principal;
    // Only a connection being closed (revoked, idle) gets here unauthenticated.
    if (!state || !principal) return [new GraphQLError('the connection is not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
    // Revoked: the socket closes once what it runs is answered; nothing more runs on it.
    if (!this.options.keys.admits(principal)) return [revokedRefusal(principal)];
    state.lastActiveAt = Date.now();
    if (id.length > MAX_OPERATION_ID_LENGTH) {
      const message = `an operation id is at most ${MAX_OPERATION_ID_LENGTH} characters (graphql-ws clients send UUIDs)`;
      return [new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } })];
    }
    // graphql-ws forgets an id once its client completes it, while its query may still run here: a
    // second operation under the id would take a turn that the first's end gives back in its stead.
    if (state.running.has(id)) {
      return [
        new GraphQLError(`operation ${JSON.stringify(id)} is still running: use another id`, { extensions: { code: 'BAD_REQUEST' } }),
      ];
    }
    // `ctx.subscriptions` already holds this operation's reservation.
    const max = this.options.config.wsMaxSubscriptionsPerConnection;
    if (Object.keys(ctx.subscriptions).length > max) {
      return [new SubscriptionLimitError(`at most ${max} operations may be open on one connection`, { max }).toGraphQLError()];
    }
    const { schema, execution, limits } = this.options;
    let admitted = false;
    try {
      // Its request was spent as a message (spendMessage), before it was parsed.
      checkBeforeParsing(payload.query, limits);
      const document = execution.parse(payload.query);
      const held = heldLength(id, payload);
      // What a subscription would hold for its life is refused, and its place among its key's
      // subscriptions taken, before validation, which costs as much as the document is large.
      const nodes = subscriptionNodes(document, payload.operationName);
      if (nodes !== null) {
        const refusal = subscriptionHeldRefusal(nodes, held) ?? this.holdSubscription(state, principal, payload, nodes)?.toGraphQLError();
        if (refusal) return [refusal];
      }
      // Before validation too, whose pairwise check of a field repeated often enough is quadratic, so slow.
      checkRepeatedFields(document);
      const errors = [...execution.validate(schema, document), ...this.limitErrorsOf(schema, document)];
      if (errors.length > 0) return errors.map(validationRefusal);
      this.options.costLimit.check({ schema, document, operationName: payload.operationName, variables: payload.variables });
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [withCode(new GraphQLError(noOperationMessage(payload.operationName)), 'OPERATION_RESOLUTION_FAILURE')];
      const isSubscription = operation.operation === OperationTypeNode.SUBSCRIPTION;
      const refusals = operationScopeErrors(schema, document, operation, principal, payload.variables ?? {});
      if (refusals.length > 0) return asGraphQLErrors(refusals);
      const storedRefusals = await storedReadbackErrors(schema, document, operation, principal, payload.variables ?? {}, this.options.db);
      if (storedRefusals.length > 0) return asGraphQLErrors(storedRefusals);
      const refusal = isSubscription ? null : await this.hold(state, principal, id, held);
      if (refusal) return [refusal.toGraphQLError()];
      admitted = true;
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    } catch (error) {
      if (error instanceof RateLimitedError || error instanceof OperationLimitError || error instanceof DocumentValidationError)
        return [error.toGraphQLError()];
      // A syntax error from parsing.
      if (error instanceof GraphQLError) return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
      // The stored-record check reads the database: an outage is answered as over HTTP, and the
      // socket, with its other operations, stays open (a thrown error would close it).
      if (classifyError(error) === 'SERVICE_UNAVAILABLE') return [databaseUnavailableError()];
      throw error;
    } finally {
      // A subscription refused once it had taken its place gives it back.
      if (!admitted) this.releaseSubscription(state, payload);
    }
  };

  /**
   * Every message of an acknowledged connection spends a request of its key's budget before it is
   * parsed, subscribe, complete and ping alike: parsing a message of up to WS_MAX_MESSAGE_BYTES is
   * work, and a budget that counted only operations left a key free to send pings without end.
   */
  readonly spendMessage = async (socket: WebSocket): Promise<RateLimitedError | null> => {
    const principal = this.states.get(socket)?.principal;
    if (!principal) return null;
    try {
      await this.options.rateLimits.spendRequest(principal);
      return null;
    } catch (error) {
      if (error instanceof RateLimitedError) return error;
      throw error;
    }
  };

  /**
   * graphql-ws `onComplete`, once an operation has ended (a query or mutation once answered): what it
   * held is given back, and the idle time of a connection counts from when its last operation ended.
   */
  readonly onComplete = (ctx: GuardedContext, id: string, payload: SubscribePayload): void => {
    const state = this.states.get(ctx.extra.socket) ?? this.closedWhileRunning.get(ctx.extra.socket);
    if (!state) return;
    state.lastActiveAt = Date.now();
    if (state.principal) this.release(state, state.principal, id);
    this.releaseSubscription(state, payload);
  };

  /** The principal and address of a connection, for the GraphQL context of its operations. */
  auth(ctx: GuardedContext): Omit<RequestAuth, 'keys'> {
    const state = this.states.get(ctx.extra.socket);
    if (!state?.principal) throw new Error('operation on a connection that was not authenticated');
    return { principal: state.principal, clientAddress: state.clientAddress };
  }

  private limitErrorsOf(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
    let errors = this.limitErrors.get(document);
    if (!errors) {
      errors = this.options.execution.validate(schema, document, this.limitRules);
      this.limitErrors.set(document, errors);
    }
    return errors;
  }

  /**
   * Takes, for the query or mutation `id` until it ends, a turn of its key's operations in flight
   * (after waiting for one, as over HTTP) and `length` of its BodyBudget; the refusal (nothing taken)
   * when either is spent, or when the socket closed while it waited.
   */
  private async hold(
    state: ConnectionState,
    principal: Principal,
    id: string,
    length: number,
  ): Promise<RateLimitedError | RevokedKeyError | null> {
    const client = actorOf(principal);
    const { operations, bodies } = this.options;
    const granted = await operations.take(client);
    // Revoked while it waited for its turn: refused as it would be sent now, nothing run.
    const revoked = !this.options.keys.admits(principal);
    if (granted && (state.closed || revoked)) operations.give(client);
    if (revoked) return new RevokedKeyError(revokedMessage(principal));
    if (!granted || state.closed) {
      const { message, extensions } = operations.refusal();
      return new RateLimitedError(message, extensions);
    }
    if (!bodies.take(client, length)) {
      operations.give(client);
      const { message, extensions } = bodies.refusal();
      return new RateLimitedError(message, extensions);
    }
    state.running.set(id, length);
    return null;
  }

  /**
   * Takes, for the subscription of `payload` until it ends, a place among its key's subscriptions on
   * the instance and the syntax nodes of its document; the refusal (nothing taken) past either cap.
   */
  private holdSubscription(
    state: ConnectionState,
    principal: Principal,
    payload: SubscribePayload,
    nodes: number,
  ): SubscriptionLimitError | null {
    const refusal = this.subscriptionsPerKey.take(actorOf(principal), nodes);
    if (!refusal) state.subscriptions.set(payload, nodes);
    return refusal;
  }

  private releaseSubscription(state: ConnectionState, payload: SubscribePayload): void {
    const nodes = state.subscriptions.get(payload);
    if (nodes === undefined || !state.principal) return;
    state.subscriptions.delete(payload);
    this.subscriptionsPerKey.give(actorOf(state.principal), nodes);
  }

  private release(state: ConnectionState, principal: Principal, id: string): void {
    const length = state.running.get(id);
    if (length === undefined) return;
    state.running.delete(id);
    this.options.bodies.give(actorOf(principal), length);
    this.options.operations.give(actorOf(principal));
  }

  private countConnection(keyId: string, delta: number): void {
    const count = (this.connectionsPerKey.get(keyId) ?? 0) + delta;
    if (count > 0) this.connectionsPerKey.set(keyId, count);
    else this.connectionsPerKey.delete(keyId);
  }

  /** Closes the connection once it has had no operation open for `idleMs`, checking again as long as it has. */
  private watchIdle(ctx: GuardedContext, state: ConnectionState, idleMs: number, delay = idleMs): void {
    if (idleMs <= 0) return;
    state.idleTimer = setTimeout(() => {
      if (Object.keys(ctx.subscriptions).length > 0) state.lastActiveAt = Date.now();
      const idleFor = Date.now() - state.lastActiveAt;
      if (idleFor >= idleMs) ctx.extra.socket.close(CLOSE_IDLE, 'idle: no operation');
      else this.watchIdle(ctx, state, idleMs, idleMs - idleFor);
    }, delay);
    state.idleTimer.unref();
  }

  /**
   * After a key refresh: has `close` close (4401) the sockets of revoked keys, and key-less local
   * ones once a key exists, each once. `close` answers what the socket runs first (the revoking
   * mutation itself, or the createApiKey whose secret is shown only in its answer).
   */
  closeUnauthorized(close: (socket: WebSocket, code: number, reason: string) => void): void {
    const { keys } = this.options;
    for (const [socket, state] of this.states) {
      const principal = state.principal;
      if (!principal || state.closing || keys.admits(principal)) continue;
      state.closing = true;
      close(socket, CLOSE_UNAUTHORIZED, principal.kind === 'key' ? 'API key revoked' : 'an API key is now required');
    }
  }
}
