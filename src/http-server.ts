// One HTTP server on one port: Apollo Server at /graphql (POST and GET), graphql-ws subscriptions
// on the same path, the offline GraphiQL for browsers, the CS dashboard at /, and the health probes.
// Every GraphQL request and WebSocket goes through src/auth/access-control.ts first (keys, scopes, limits).
import { isUtf8 } from 'node:buffer';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { isIPv6, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { execute, getOperationAST, GraphQLSchema, OperationTypeNode, parse } from 'graphql';
import { WebSocketServer } from 'ws';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { AccessControl } from './auth/access-control';
import { actorOf, hasScope, type Principal } from './auth/principal';
import { setCorsHeaders } from './auth/origin';
import { Scope } from './auth/scopes';
import { exportCustomers, exportParameters, exportWorklist } from './exports/csv-export';
import { firstAborted } from './infra/abort-signals';
import { compiledQueryGateway } from './infra/compiled-executor';
import { GraphQLWebSocketServer, serveGraphQLWebSockets } from './infra/graphql-ws-server';
import { refusingBadVariables } from './infra/variable-refusals';
import { importEventsFromRequest, INGEST_EVENTS_METHODS, INGEST_EVENTS_PATH } from './ingest/event-import.http';
import { serveDashboard } from './dashboard/static';
import { serveUnsubscribe } from './delivery/unsubscribe.http';
import { UNSUBSCRIBE_PATH } from './delivery/unsubscribe-link';
import { AppServices, createContext, databaseUrlOf, GraphQLContext, liveEventAudience, liveEventContexts, RequestAuth } from './context';
import { abandonmentSignal, WebSocketOperationSignals } from './infra/abandoned-request';
import type { Logger } from './infra/logger';
import { StartupRefusal } from './infra/errors';
import {
  DomainError,
  errorContractPlugin,
  formatSubscriptionResult,
  graphQLErrorFormatter,
  newRequestId,
  rawHttpRefusal,
  RETRY_AFTER_SECONDS,
  unexpectedHttpFailure,
} from './infra/errors';
import type { Db } from './infra/sql';
import type { BodyBudget } from './infra/body-budget';
import type { OperationsInFlight } from './infra/operations-in-flight';
import type { AppConfig } from './infra/config';
import { SubscriptionExecution, subscriptionExecution } from './infra/subscription-execution';
import { statementLimitsPlugin } from './infra/statement-limits';
import { IntrospectionCache } from './infra/introspection-cache';
import { renderPlaygroundHtml, servePlaygroundAsset, wantsPlayground } from './infra/playground';
import { acceptNamingUtf8, errorContentType, graphQLResponseMediaType, namesUtf8 } from './infra/response-media-type';
import { drainRollingBackLateRequests, drainServerPlugin } from './infra/shutdown-drain';
import { limitConnections } from './infra/connection-limits';
import { JsonScan, MAX_OBJECT_MEMBERS, MAX_REQUEST_JSON_DEPTH, REQUEST_JSON_TOO_DEEP, REQUEST_JSON_TOO_WIDE } from './infra/json-scan';

/** Largest WebSocket message before the key in connection_init is accepted (a connection_init is a few hundred bytes). */
const WS_MAX_UNACKNOWLEDGED_BYTES = 16 * 1024;

export const GRAPHQL_PATH = '/graphql';

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extensions?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Values a GraphQL request body may hold, counted by JsonScan before it is parsed. JSON.parse is
 * synchronous and its cost grows with the values, not the bytes: a body of empty arrays held the
 * server far longer than one of text of the same size. A 10,000-event batch holds about a tenth of this.
 */
export const MAX_BODY_JSON_VALUES = 1_000_000;

/**
 * A request whose JSON nests deeper than MAX_REQUEST_JSON_DEPTH, refused before it is parsed:
 * BAD_USER_INPUT, as a variable nested too deep is once parsed.
 */
function tooDeep(): HttpError {
  return new HttpError(400, REQUEST_JSON_TOO_DEEP, { code: 'BAD_USER_INPUT', maxDepth: MAX_REQUEST_JSON_DEPTH });
}

/** A request holding an object of more than MAX_OBJECT_MEMBERS members, refused before it is parsed. */
function tooWide(): HttpError {
  return new HttpError(400, REQUEST_JSON_TOO_WIDE, { code: 'BAD_USER_INPUT', maxMembers: MAX_OBJECT_MEMBERS });
}

/**
 * A client that sent `Expect: 100-continue` waits for the server's go-ahead before it sends its
 * body; the server gives it only once the request is admitted and its body is to be read (see
 * createHttpServer), so a request refused from its headers (401, 413, 429) costs no upload.
 */
function askForBody(res: http.ServerResponse): void {
  if (/\b100-continue\b/i.test(res.req.headers.expect ?? '')) res.writeContinue();
}

/**
 * The bytes of one request's body taken from its client's BodyBudget as they are known (`upTo`: the
 * body's size so far), all given back when its answer has gone (or its connection closed).
 */
function bodyReservation(
  budget: BodyBudget,
  client: string,
  res: http.ServerResponse,
): { upTo(bytes: number): boolean; error(): HttpError } {
  let taken = 0;
  let answered = false;
  res.once('close', () => {
    answered = true;
    budget.give(client, taken);
  });
  return {
    upTo(bytes) {
      // Once the connection is gone nothing more is kept, and nothing more may be taken (it would never be given back).
      if (answered || bytes <= taken) return true;
      if (!budget.take(client, bytes - taken)) return false;
      taken = bytes;
      return true;
    },
    error: () => {
      const { message, extensions } = budget.refusal();
      return new HttpError(429, message, { code: 'RATE_LIMITED', ...extensions }, { 'retry-after': String(extensions.retryAfterSeconds) });
    },
  };
}

/**
 * The body, up to `maxBytes` and MAX_BODY_JSON_VALUES (beyond either a 413) and MAX_REQUEST_JSON_DEPTH
 * (400), and 429 past what its client may hold at once (`reservation`). The answer goes out at once
 * (from Content-Length, before reading anything, when the client declared it), and the rest of the
 * body is read and dropped rather than the connection reset: a client still sending would otherwise
 * see a reset, not the answer.
 */
function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  maxBytes: number,
  timeoutMs: number,
  reservation: ReturnType<typeof bodyReservation>,
): Promise<string> {
  const tooLarge = () =>
    new HttpError(
      413,
      `request body larger than ${maxBytes} bytes (MAX_BODY_BYTES): send a large batch in parts, or stream it to ${INGEST_EVENTS_PATH}`,
      { code: 'PAYLOAD_TOO_LARGE', max: maxBytes },
    );
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes || (declared > 0 && !reservation.upTo(declared))) {
    req.resume();
    return Promise.reject(declared > maxBytes ? tooLarge() : reservation.error());
  }
  askForBody(res);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const scan = new JsonScan();
    const refuse = (error: HttpError): void => {
      clearTimeout(deadline);
      req.off('data', onData);
      chunks.length = 0;
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return refuse(tooLarge());
      if (!reservation.upTo(size)) return refuse(reservation.error());
      scan.feed(chunk);
      if (scan.values > MAX_BODY_JSON_VALUES) {
        const message = `request body holds more than ${MAX_BODY_JSON_VALUES} JSON values (large batches go to ${INGEST_EVENTS_PATH})`;
        return refuse(new HttpError(413, message, { code: 'PAYLOAD_TOO_LARGE', maxValues: MAX_BODY_JSON_VALUES }));
      }
      if (scan.tooDeep) return refuse(tooDeep());
      if (scan.tooWide) return refuse(tooWide());
      chunks.push(chunk);
    };
    const deadline = setTimeout(
      () => refuse(new HttpError(408, `request body not received within ${timeoutMs} ms`, { code: 'REQUEST_TIMEOUT' })),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', () => {
      clearTimeout(deadline);
      const body = Buffer.concat(chunks);
      // Decoding would replace each invalid byte with U+FFFD, storing text the client never sent.
      if (!isUtf8(body)) return reject(new HttpError(400, 'request body is not valid UTF-8', { code: 'BAD_REQUEST' }));
      resolve(body.toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
  });
}

const BYTE_ORDER_MARK = '\uFEFF';

const PERCENT_ESCAPE = /(%[0-9A-Fa-f]{2})/;

/**
 * Whether a query string's bytes, percent-decoded as URLSearchParams decodes them (a `%` not followed
 * by two hex digits stands for itself), are UTF-8. Apollo reads a GET's parameters with
 * URLSearchParams, which replaces each invalid byte with U+FFFD: its document and variables would be
 * read as text the client never sent, where a POST body that is not UTF-8 is refused. (The CSV
 * exports check their own, naming the parameter: see exportParameters.)
 */
function isUtf8QueryString(search: string): boolean {
  if (!search.includes('%')) return true;
  const parts = search
    .split(PERCENT_ESCAPE)
    .map((part) =>
      PERCENT_ESCAPE.test(part) && part.length === 3 ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, 'utf8'),
    );
  return isUtf8(Buffer.concat(parts));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A refusal's `{ errors }`, in the media type the client asked for (see errorContentType). */
function sendErrors(res: http.ServerResponse, status: number, body: { errors: unknown[] }): void {
  res.writeHead(status, { 'content-type': errorContentType(res.req.headers.accept), 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function refuseWhileStopping(res: http.ServerResponse): void {
  res.setHeader('connection', 'close');
  res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  sendErrors(res, 503, {
    errors: [
      {
        message: 'the server is shutting down: retry later',
        extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS },
      },
    ],
  });
}

export interface ServerOptions {
  schema: GraphQLSchema;
  services: AppServices;
  port: number;
  host: string;
  /** Answers /readyz: 503 when `status` is 'unavailable'; the whole object is the body. */
  readiness(): Promise<{ status: 'ready' | 'degraded' | 'unavailable'; checks: Record<string, boolean>; detail?: string }>;
}

/** The code of each status an upgrade is refused with (by path, subprotocol, Origin, or a cap). */
const UPGRADE_REFUSAL_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** What RFC 6455 makes a Sec-WebSocket-Key: 16 random bytes in base64. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A subprotocol name is an HTTP token (RFC 6455 section 4.1). */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * An upgrade that is no valid WebSocket handshake, refused as ws would refuse it, but with a
 * GraphQL error as every other refusal (ws answers these in text/html).
 */
function refuseHandshake(request: http.IncomingMessage): { status: number; message: string } | null {
  if (request.method !== 'GET') return { status: 405, message: `a WebSocket is opened with GET, not ${request.method}` };
  if (request.headers.upgrade?.toLowerCase() !== 'websocket')
    return { status: 400, message: `this server upgrades to WebSocket only, not ${JSON.stringify(request.headers.upgrade ?? '')}` };
  if (!WEBSOCKET_KEY.test(request.headers['sec-websocket-key'] ?? ''))
    return { status: 400, message: 'missing or invalid Sec-WebSocket-Key header' };
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return { status: 400, message: 'missing or invalid Sec-WebSocket-Version header (13)' };
  const offered = request.headers['sec-websocket-protocol'];
  if (offered !== undefined && !offered.split(',').every((protocol) => HTTP_TOKEN.test(protocol.trim())))
    return { status: 400, message: 'invalid Sec-WebSocket-Protocol header' };
  return null;
}

/**
 * An upgrade offering subprotocols, none of them graphql-ws's: refused before the handshake (400).
 * Accepted, the socket would open with no subprotocol, which the client must fail (a bare 1006) and
 * graphql-ws would close (4406) unseen; refused, the client sees a status and why. This is mostly
 * `graphql-ws`, the protocol of the retired subscriptions-transport-ws. An upgrade offering none is
 * accepted and closed 4406 by graphql-ws, which such a client can read.
 */
function refuseSubprotocols(request: http.IncomingMessage): { status: number; message: string } | null {
  const offered = request.headers['sec-websocket-protocol'];
  if (offered === undefined) return null;
  const protocols = offered.split(',').map((protocol) => protocol.trim());
  if (protocols.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)) return null;
  return {
    status: 400,
    message:
      `unsupported WebSocket subprotocol ${protocols.map((protocol) => JSON.stringify(protocol)).join(', ')}: this server speaks ` +
      `"${GRAPHQL_TRANSPORT_WS_PROTOCOL}" (the graphql-ws library's protocol; subscriptions-transport-ws's "graphql-ws" is not supported)`,
  };
}

/**
 * graphql-ws on the HTTP server's /graphql: upgrades are admitted (Origin, connection cap) before ws
 * takes the socket over, and every connection and operation goes through the access control's hooks.
 */
function serveWebSockets(
  httpServer: http.Server,
  schema: GraphQLSchema,
  services: AppServices,
  access: AccessControl,
  subscriptions: SubscriptionExecution,
  introspection: IntrospectionCache,
  logger: Logger,
  refusedConnection: (socket: Duplex) => boolean,
  drainEnded: AbortSignal,
): { wsServer: WebSocketServer; wsCleanup: GraphQLWebSocketServer } {
  const { maxBodyBytes, wsMaxMessageBytes } = services.config;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: Math.min(maxBodyBytes, wsMaxMessageBytes) });
  const formatSubscriptionError = graphQLErrorFormatter({ logger });
  const operationSignals = new WebSocketOperationSignals(drainEnded);
  const wsCleanup = serveGraphQLWebSockets(
    {
      schema,
      // Parsed and validated once per query text; each event executed once per distinct operation.
      parse: subscriptions.parse,
      validate: subscriptions.validate,
      // Variables refused as over HTTP (src/infra/variable-refusals.ts): an ID sent as a number past
      // 2^53, a null where a value is required. Introspection is answered from memory once it has run.
      execute: refusingBadVariables(introspection.executing(execute)),
      subscribe: refusingBadVariables(subscriptions.subscribe),
      // The key in connection_init, then every check before an operation runs (it parses and validates).
      onConnect: access.websockets.onConnect,
      onSubscribe: access.websockets.onSubscribe,
      onComplete: (ctx, id, payload) => {
        operationSignals.ended(ctx.extra.socket, id);
        return access.websockets.onComplete(ctx, id, payload);
      },
      // One context (and EntityManager fork) per subscription operation. Its signal aborts when the
      // socket closes first: a model evaluation sent over WebSocket then stops and gives its slot back;
      // and when the drain runs out of time, as over HTTP.
      context: (ctx, id, _payload, args) =>
        createContext(
          services,
          { ...access.websockets.auth(ctx), keys: access.keys },
          {
            operation: getOperationAST(args.document, args.operationName)?.operation,
            signal: operationSignals.signal(ctx.extra.socket, id),
          },
        ),
      // An operation refused before it runs (parse, validation, limits): the client's mistake, answered
      // to it, as over HTTP, where such refusals are not logged; at warn, one key could write a line per
      // request of its budget.
      onError: (_ctx, _id, _payload, errors) => {
        logger.debug({ errors: errors.map((e) => e.message) }, 'subscription refused');
      },
      // Errors in subscription results get the same contract as over HTTP: codes kept, the unexpected masked with a request id.
      onNext: (_ctx, _id, _payload, _args, result) => formatSubscriptionResult(result, formatSubscriptionError),
    },
    wsServer,
    { maxUnacknowledgedBytes: WS_MAX_UNACKNOWLEDGED_BYTES, logger, spendMessage: access.websockets.spendMessage },
  );
  wsServer.on('connection', (socket, request: http.IncomingMessage) => access.websockets.connected(socket, request));
  // A key revoked (or, for key-less local sockets, one created) closes its sockets 4401, each once
  // what it runs is answered: the mutation that revoked or created the key included.
  access.keys.onChange(() => access.websockets.closeUnauthorized(wsCleanup.closeOnceAnswered));
  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Answered 503 when it connected (limitConnections).
    if (refusedConnection(socket)) return;
    const refusal =
      new URL(request.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH
        ? { status: 404, message: 'not found' }
        : (refuseHandshake(request) ?? refuseSubprotocols(request) ?? access.websockets.admitUpgrade(request, wsServer.clients.size));
    if (refusal) {
      socket.on('error', () => socket.destroy());
      socket.end(rawHttpRefusal(refusal.status, UPGRADE_REFUSAL_CODES[refusal.status], refusal.message));
      return;
    }
    wsServer.handleUpgrade(request, socket, head, (websocket) => wsServer.emit('connection', websocket, request));
  });
  return { wsServer, wsCleanup };
}

/** Apollo over the compiled schema, with the access layer's limits and the error contract; started. */
async function startApollo(
  schema: GraphQLSchema,
  httpServer: http.Server,
  access: AccessControl,
  wsCleanup: GraphQLWebSocketServer,
  introspection: IntrospectionCache,
  logger: Logger,
): Promise<ApolloServer<GraphQLContext>> {
  const limits = access.apolloOptions();
  const apollo = new ApolloServer<GraphQLContext>({
    // The schema, served with queries compiled (see compiled-executor.ts).
    gateway: compiledQueryGateway(schema),
    // Masks and logs unexpected errors under a request id; the plugin answers database outages with 503.
    formatError: graphQLErrorFormatter({ logger }),
    // Depth and aliases (validated once per document); the cost plugin below, with the variables.
    validationRules: limits.validationRules,
    plugins: [
      ...limits.plugins,
      errorContractPlugin(),
      statementLimitsPlugin(),
      // Introspection answered from memory once it has run, after the checks above.
      introspection.apolloPlugin(),
      // The graph declares no cache hints, so the default cache-control plugin could only ever answer
      // `no-store` (set below instead); its per-field hook made Apollo wrap every resolver in the schema.
      ApolloServerPluginCacheControlDisabled(),
      // Browsers get the offline playground (wantsPlayground, before Apollo). Apollo's default landing
      // page would load its scripts from Apollo's CDN, and could be framed by any page.
      ApolloServerPluginLandingPageDisabled(),
      // The HTTP requests and the WebSocket operations in flight drain together.
      drainServerPlugin(httpServer, wsCleanup),
    ],
    introspection: true,
    // A request carrying a key in Authorization is one a browser preflights (the header is not
    // CORS-safelisted), so it is no cross-site forgery: GET queries from clients such as urql, which
    // sends queries as GET by default, are answered. Key-less GETs still need Apollo's headers.
    csrfPrevention: { requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'authorization'] },
    // main.ts owns the shutdown order (HTTP, WebSockets, scheduler, ORM, Redis, embedded PostgreSQL);
    // Apollo's own signal handler would race it and re-send the signal.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  return apollo;
}

/**
 * A route that only reads (a probe, a CSV export) refuses another method than GET or HEAD: 405 with
 * `allow` (what the route answers: a CSV export answers a CORS preflight too), its body let through
 * unread. Answered, a DELETE or a POST would read as accepted (as GraphQL over HTTP refuses a GET mutation).
 */
function refuseUnlessGetOrHead(req: http.IncomingMessage, message: string, allow = 'GET, HEAD'): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  req.resume();
  throw new HttpError(405, message, { code: 'METHOD_NOT_ALLOWED' }, { allow });
}

/** What a CSV export answers: a download, and the preflight of a page on an allowed origin. */
const EXPORT_METHODS = 'GET, HEAD, OPTIONS';

/** A CSV download: admitted like a GraphQL request, and only with the read scope. */
async function serveExport(
  access: AccessControl,
  services: AppServices,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const admission = await access.admitHttp(req, res, EXPORT_METHODS);
  if (!admission) return;
  refuseUnlessGetOrHead(req, 'a CSV export is downloaded with GET', EXPORT_METHODS);
  if (!hasScope(admission.principal, Scope.READ)) throw new HttpError(403, 'this key has no read scope', { code: 'FORBIDDEN' });
  const principal = admission.principal;
  const client = actorOf(principal);
  // One of the key's operations in flight (OPERATIONS_PER_KEY), as a GraphQL request is: each export
  // formats its rows in this process, so a key's downloads started by the dozen would hold up everyone.
  if (!(await takeOperationTurn(services.operationsInFlight, client, req, res))) return;
  // A download runs for as long as it has pages: a key revoked meanwhile stops it, as it stops an
  // import. Before the first byte it is answered 401; after, the transfer is cut (no complete file).
  const revoked = new AbortController();
  const unwatch = access.keys.onChange((keys) => {
    if (keys.admits(principal)) return;
    revoked.abort();
    if (res.headersSent) res.destroy();
  });
  const db = services.orm.em.fork({ clear: true }) as Db;
  // In the key's statement turns, as its GraphQL requests are (STATEMENTS_PER_KEY): exports started
  // side by side would otherwise take every connection of the pool from everyone else.
  services.statementLimits.forRequest(db, client);
  try {
    refuseUnlessStillAdmitted(access, principal, req);
    await (url.pathname === '/export/customers.csv' ? exportCustomers : exportWorklist)(db, exportParameters(url), res, revoked.signal);
  } catch (error) {
    if (revoked.signal.aborted) {
      if (!res.headersSent) throw revokedWhileWaiting(principal);
      services.logger.info({ module: 'http', actor: client, path: url.pathname }, 'CSV export stopped: its API key was revoked');
      return;
    }
    // The error's extensions (its code, and `argument` naming the query parameter) as over GraphQL.
    if (error instanceof DomainError && !res.headersSent) throw new HttpError(400, error.message, error.extensions);
    throw error;
  } finally {
    unwatch();
    services.operationsInFlight.give(client);
  }
}

/**
 * The refusal of a request admitted and then kept waiting (for its turn, or its body) while its key
 * was revoked, or, for a key-less local client, while a key was created: 401 as a new request of it
 * gets, nothing run. A revoked key stops working at once on the instance that revoked it.
 */
function revokedWhileWaiting(principal: Principal): HttpError {
  const message =
    principal.kind === 'key'
      ? 'this API key was revoked while the request waited: nothing was run'
      : 'an API key is now required (one was created while the request waited): nothing was run';
  return new HttpError(401, message, { code: 'UNAUTHENTICATED' }, { 'www-authenticate': 'Bearer' });
}

/** Refuses (revokedWhileWaiting) a request whose principal is no longer admitted, its body left unread. */
function refuseUnlessStillAdmitted(access: AccessControl, principal: Principal, req: http.IncomingMessage): void {
  if (access.keys.admits(principal)) return;
  req.resume();
  throw revokedWhileWaiting(principal);
}

/** A bulk import of events: admitted like a GraphQL request, and only with the ingest scope. */
async function serveEventImport(
  access: AccessControl,
  services: AppServices,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  stopping: AbortSignal,
): Promise<void> {
  const admission = await access.admitHttp(req, res, INGEST_EVENTS_METHODS);
  if (!admission) return;
  if (!hasScope(admission.principal, Scope.INGEST)) throw new HttpError(403, 'this key has no ingest scope', { code: 'FORBIDDEN' });
  // An import streams for as long as its client sends: a key revoked meanwhile (a leaked pipeline's)
  // stops it at once, as it closes the key's WebSockets, rather than when the upload ends.
  const revoked = new AbortController();
  const principal = admission.principal;
  const unwatch = access.keys.onChange((keys) => {
    if (!keys.admits(principal)) revoked.abort();
  });
  let answer;
  try {
    askForBody(res);
    answer = await importEventsFromRequest(req, res, services, actorOf(principal), stopping, revoked.signal);
  } finally {
    unwatch();
  }
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  // A refusal in the media type its client asks for, as every refusal; the summary is the import's own JSON.
  if (answer.kind === 'refusal') return sendErrors(res, answer.status, answer.body);
  sendJson(res, answer.status, answer.body);
}

/**
 * A GraphQL POST carries JSON (GraphQL over HTTP: `application/json`, or the media type of a
 * GraphQL response, in UTF-8), not compressed: anything else is 415 rather than read as garbage.
 */
function checkJsonBody(req: http.IncomingMessage): void {
  const [mediaType, ...parameters] = (req.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((parameter) => parameter.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  const encoding = req.headers['content-encoding']?.trim().toLowerCase() ?? 'identity';
  const json = mediaType === 'application/json' || mediaType === 'application/graphql-response+json';
  const refusal =
    !json || (charset !== undefined && !namesUtf8(charset))
      ? 'a GraphQL POST body is JSON: send Content-Type: application/json (UTF-8)'
      : encoding !== 'identity'
        ? 'a GraphQL POST body is sent uncompressed (Content-Encoding is for /ingest/events)'
        : null;
  if (refusal === null) return;
  // The body is not read: let it flow past, so the client sees the answer rather than a reset.
  req.resume();
  throw new HttpError(415, refusal, { code: 'UNSUPPORTED_MEDIA_TYPE' });
}

/**
 * Subscriptions are served over WebSocket (graphql-ws): one sent over HTTP would have nothing to
 * stream to, so it is refused as a malformed request (400), before Apollo sees it. Not after its
 * validation: graphql-js 16 throws out of validation on `@skip`/`@include` on a subscription's root
 * field, which Apollo answered 500. Only a document naming `subscription` is parsed here; one that
 * does not parse is left to Apollo's error. (A persisted query's hash alone finds no subscription:
 * one is never stored, being refused here when first sent with its text.)
 */
function refuseSubscription(query: unknown, operationName: unknown): void {
  if (typeof query !== 'string' || !query.includes('subscription')) return;
  let operation;
  try {
    operation = getOperationAST(parse(query), typeof operationName === 'string' ? operationName : undefined);
  } catch {
    return;
  }
  if (operation?.operation === OperationTypeNode.SUBSCRIPTION)
    throw new HttpError(400, `subscriptions are served over WebSocket (the graphql-ws protocol) at ${GRAPHQL_PATH}, not over HTTP`, {
      code: 'BAD_REQUEST',
    });
}

/**
 * A turn among the client's operations in flight, after waiting for one, its body unread, while the
 * client has OPERATIONS_PER_KEY running; refuses the request (429) when as many wait already. False
 * when the client went away before its turn (nothing taken, nobody to answer). The caller gives the
 * turn back once the operation has ended: not when the connection closes, which does not stop its
 * statements, so a client sending and dropping requests would otherwise run more than its share.
 */
async function takeOperationTurn(
  operations: OperationsInFlight,
  client: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  // Gone during admission already (its 'close' emitted, which no listener would now hear): nobody to answer, nothing to run.
  if (req.socket.destroyed) return false;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  const granted = await operations.take(client, gone.signal);
  res.off('close', onClose);
  if (gone.signal.aborted || req.socket.destroyed) {
    if (granted) operations.give(client);
    return false;
  }
  if (!granted) {
    req.resume();
    const { message, extensions } = operations.refusal();
    throw new HttpError(429, message, { code: 'RATE_LIMITED', ...extensions }, { 'retry-after': String(extensions.retryAfterSeconds) });
  }
  return true;
}

/**
 * A request whose Accept takes no media type a GraphQL answer comes in is refused 406 before it is
 * read or run: Apollo picks the answer's type only once the operation has run, and answered 406 a
 * mutation it had written.
 */
function refuseUnacceptableAnswer(req: http.IncomingMessage): void {
  if (graphQLResponseMediaType(req.headers.accept) !== null) return;
  req.resume();
  throw new HttpError(
    406,
    `the Accept header takes neither application/json nor application/graphql-response+json (in UTF-8): nothing was run`,
    { code: 'BAD_REQUEST' },
  );
}

/** What answers GraphQL over HTTP: Apollo, the access checks before it, and the services it runs on. */
interface GraphQLEndpoint {
  apollo: ApolloServer<GraphQLContext>;
  access: AccessControl;
  services: AppServices;
  /** Aborted when the server's drain runs out of time: the requests' work still running stops and answers 503. */
  drainEnded: AbortSignal;
}

/** A GraphQL request over HTTP: admitted, its body read within the size limit, executed by Apollo. */
async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, endpoint: GraphQLEndpoint): Promise<void> {
  const { access, services } = endpoint;
  // Who it is and whether it may, from the headers alone: nothing is read or parsed for a refusal.
  const admission = await access.admitHttp(req, res);
  if (!admission) return;
  // Apollo would refuse another method only after its CSRF check, answering a DELETE as a forgery.
  if (req.method !== 'GET' && req.method !== 'POST') {
    req.resume();
    res.setHeader('allow', 'GET, POST, OPTIONS');
    throw new HttpError(405, `GraphQL is asked with GET (queries) or POST, not ${req.method}`, { code: 'METHOD_NOT_ALLOWED' });
  }
  refuseUnacceptableAnswer(req);
  const client = actorOf(admission.principal);
  if (!(await takeOperationTurn(services.operationsInFlight, client, req, res))) return;
  try {
    // Revoked while it waited for its turn: nothing is read or run.
    refuseUnlessStillAdmitted(access, admission.principal, req);
    await executeAdmitted(req, res, url, endpoint, admission);
  } finally {
    services.operationsInFlight.give(client);
  }
}

/** An admitted GraphQL request over HTTP, its turn taken: its body read within the size limit, executed by Apollo, answered. */
async function executeAdmitted(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  { apollo, access, services, drainEnded }: GraphQLEndpoint,
  admission: RequestAuth,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  // Apollo negotiates the answer's type from it as refuseUnacceptableAnswer did: `charset=utf8` too.
  if (req.headers.accept) headers.set('accept', acceptNamingUtf8(req.headers.accept));
  if (req.method === 'GET' && !isUtf8QueryString(url.search))
    throw new HttpError(400, 'the query string is not valid UTF-8 once percent-decoded', { code: 'BAD_REQUEST' });
  // A GET's JSON parameters are held to the nesting a POST body is (its URL is short: the cost is the walk after parsing).
  if (req.method === 'GET' && ['variables', 'extensions'].some((name) => new JsonScan().feed(url.searchParams.get(name) ?? '').tooDeep))
    throw tooDeep();
  let body: unknown;
  if (req.method === 'POST') {
    checkJsonBody(req);
    const reservation = bodyReservation(services.requestBodies, actorOf(admission.principal), res);
    const raw = await readBody(req, res, services.config.maxBodyBytes, services.config.bodyTimeoutMs, reservation);
    // A byte order mark opening the body (what Windows tools such as PowerShell write) marks it as
    // UTF-8 and is no part of the JSON, as the import reads past it.
    const json = raw.startsWith(BYTE_ORDER_MARK) ? raw.slice(BYTE_ORDER_MARK.length) : raw;
    try {
      body = json.length > 0 ? JSON.parse(json) : {};
    } catch {
      throw new HttpError(400, 'request body is not valid JSON', { code: 'BAD_REQUEST' });
    }
  }
  const query = req.method === 'POST' ? (body as { query?: unknown } | null)?.query : url.searchParams.get('query');
  if (access.refuseBeforeParsing(query, res)) return;
  const operationName =
    req.method === 'POST' ? (body as { operationName?: unknown } | null)?.operationName : url.searchParams.get('operationName');
  refuseSubscription(query, operationName);
  // A request reaching this point after the drain ran out (its body read, or its turn taken, late)
  // would open sessions the drain has already ended: it is answered 503, nothing run.
  if (drainEnded.aborted) return refuseWhileStopping(res);
  // Revoked while its body arrived.
  refuseUnlessStillAdmitted(access, admission.principal, req);
  // Aborted if the client goes before its answer: a model evaluation then stops, freeing its slot.
  const abandoned = abandonmentSignal(res, () => services.logger.debug({ module: 'http' }, 'GraphQL request abandoned by its client'));
  // Aborted too when the drain runs out of time, before the sockets go: work off the database (a
  // model's fit in its worker thread) has no session for the drain to end, and would be cut unanswered.
  const stop = firstAborted([abandoned, drainEnded]);
  let response: Awaited<ReturnType<typeof apollo.executeHTTPGraphQLRequest>>;
  try {
    response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body },
      context: async () => createContext(services, admission, { signal: stop.signal }),
    });
  } finally {
    stop.release();
  }
  if (stop.signal.aborted && stop.signal.reason === drainEnded.reason)
    services.logger.warn({ module: 'http' }, 'a request still running at the end of the drain: stopped, answered 503');
  // Nobody to answer.
  if (abandoned.aborted) return;
  const responseHeaders: Record<string, string> = {};
  for (const [key, value] of response.headers) responseHeaders[key] = value;
  responseHeaders['cache-control'] ??= 'no-store';
  if (response.body.kind === 'complete') {
    // A known length instead of chunked framing: one write, no chunk headers.
    responseHeaders['content-length'] = String(Buffer.byteLength(response.body.string));
    res.writeHead(response.status ?? 200, responseHeaders);
    res.end(response.body.string);
    return;
  }
  res.writeHead(response.status ?? 200, responseHeaders);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** What to change when the address cannot be had (a second `npm start` on the same PORT, a HOST of another machine), in one line. */
function listenRefusal(error: NodeJS.ErrnoException, port: number, host: string): StartupRefusal | undefined {
  const address = `${host}:${port}`;
  if (error.code === 'EADDRINUSE')
    return new StartupRefusal(
      `Cannot listen on ${address}: the port is in use (another healthgraph already running?): stop it, or set PORT`,
    );
  if (error.code === 'EACCES')
    return new StartupRefusal(`Cannot listen on ${address}: permission denied (ports below 1024 need privileges): set PORT`);
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return new StartupRefusal(`Cannot listen on ${address}: HOST is not an address of this machine: set HOST (default 127.0.0.1)`);
  return undefined;
}

/** Listens on `host`:`port` (0: any free port) and answers the GraphQL URL clients use. */
async function listen(httpServer: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (error: NodeJS.ErrnoException) => reject(listenRefusal(error, port, host) ?? error));
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  // Every interface: this machine's own name is one of them, as servers usually print it. A specific
  // address is printed as bound (an IPv6 one within brackets, as a URL writes it).
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : isIPv6(host) ? `[${host}]` : host;
  return `http://${shown}:${bound}${GRAPHQL_PATH}`;
}

/**
 * No limit on a whole request's time (Node's default is 300 s): a bulk import streams for as long as
 * it keeps sending. Node derives its headers timeout from that one (the smaller of 60 s and it), so
 * it is set here, or a client trickling header lines would hold its connection for good: headers,
 * like a GraphQL body, must arrive within BODY_TIMEOUT_MS (checked often enough for that to hold),
 * and so must a connection's first request. Connections past MAX_CONNECTIONS or
 * MAX_CONNECTIONS_PER_ADDRESS are answered 503 and closed (`refusedConnection` tells them).
 */
function createHttpServer(config: AppConfig): { httpServer: http.Server; refusedConnection: (socket: Duplex) => boolean } {
  const { bodyTimeoutMs } = config;
  const server = http.createServer({
    requestTimeout: 0,
    headersTimeout: bodyTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(bodyTimeoutMs / 4))),
  });
  // Node's headers timeout starts at a request's first byte: a connection that sends nothing at
  // all is not timed by it, and would be held for good. Its first request must arrive in time too.
  // This timer, started at the connection, runs out before Node's for a first request's headers, so
  // it answers them as Node's would (408); a connection that sent nothing is closed unanswered.
  const served = new WeakSet<Duplex>();
  const markServed = (request: http.IncomingMessage): void => void served.add(request.socket);
  server.on('request', markServed);
  server.on('upgrade', markServed);
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (served.has(socket)) return;
      if (socket.bytesRead > 0) answerClientError(headersTimedOut(), socket, undefined);
      else socket.destroy();
    }, bodyTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  refuseUnservedRequests(server);
  const responses = new WeakMap<Duplex, http.ServerResponse>();
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => responses.set(request.socket, response));
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => answerClientError(error, socket, responses.get(socket)));
  return { httpServer: server, refusedConnection: limitConnections(server, config) };
}

/**
 * Requests Node answers itself: with a bare status (an Expect other than 100-continue: 417), by
 * closing the socket (CONNECT, with no listener), or with a 100 Continue before anything is checked.
 */
function refuseUnservedRequests(server: http.Server): void {
  // Node would answer 100 Continue at once, before the request is admitted: it is served as any
  // request, and the go-ahead given only where its body is read (askForBody).
  server.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => server.emit('request', request, response));
  server.on('checkExpectation', (request: http.IncomingMessage, response: http.ServerResponse) => {
    request.resume();
    response.setHeader('connection', 'close');
    const message = `Expect: ${request.headers.expect} is not supported (only 100-continue)`;
    sendErrors(response, 417, { errors: [{ message, extensions: { code: 'EXPECTATION_FAILED' } }] });
  });
  server.on('connect', (_request: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawHttpRefusal(405, 'METHOD_NOT_ALLOWED', 'this server is no proxy: CONNECT is not served'));
  });
}

/** The error Node's headers timeout reports (through `clientError`). */
function headersTimedOut(): Error & { code: string } {
  return Object.assign(new Error('request headers not received in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
}

/** Node's status for each refusal of its HTTP parser, with the code and message clients get here. */
function clientErrorAnswer(error: Error & { code?: string }): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'BAD_REQUEST',
        message: `the request line and headers are larger than ${http.maxHeaderSize} bytes: send a long GraphQL document by POST`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'request headers not received in time' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'malformed HTTP request' };
  }
}

/**
 * A request Node's HTTP parser refuses (a URL past its header limit, a malformed request line or
 * chunk, headers that did not arrive in time) is answered with the status Node's own handler gives
 * it, but with a GraphQL error body and a request id like every other refusal, rather than a bare
 * status line. As Node does, nothing is written once a response to this connection has started
 * (it would corrupt that one), and the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex, inFlight: http.ServerResponse | undefined): void {
  if (socket.writable && (inFlight === undefined || inFlight.writableFinished || !inFlight.headersSent)) {
    const { status, code, message } = clientErrorAnswer(error);
    socket.write(rawHttpRefusal(status, code, message));
  }
  socket.destroy();
}

/**
 * A request answered before its body arrived (refused from its headers, or too large) has the rest
 * of its body read and dropped, so its client sees the answer rather than a reset. That rest must
 * arrive within `timeoutMs` of the answer, else the connection is closed: a client trickling a byte
 * now and then would otherwise hold it for good, without ever having been admitted.
 */
function boundUnreadBody(req: http.IncomingMessage, res: http.ServerResponse, timeoutMs: number): void {
  // Taken now: a finished response may already have let go of its socket.
  const socket = req.socket;
  res.once('finish', () => {
    if (req.complete || socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    // Off the socket again once the body is in: a keep-alive connection carries many requests, and
    // a listener left per refused one piled up on it (MaxListenersExceededWarning).
    const clear = (): void => {
      clearTimeout(timer);
      req.off('end', clear);
      socket.off('close', clear);
    };
    req.once('end', clear);
    socket.once('close', clear);
  });
}

/**
 * An answer its client has stopped reading waits in the server's memory (a GraphQL answer written
 * whole, a CSV export waiting for the socket to drain) for as long as the connection stays open.
 * Once nothing of it has been taken for `timeoutMs` it is abandoned and the connection closed. The
 * socket's timeout counts from its last activity, and a client still taking bytes, however slowly,
 * keeps it going (Node re-arms it while the write queue moves); nothing waiting to be sent (the
 * answer is still being computed, or the body still arriving) is no stall.
 */
function abandonStalledAnswer(res: http.ServerResponse, timeoutMs: number): void {
  res.setTimeout(timeoutMs, () => {
    const socket = res.socket;
    if (socket && socket.writableLength > 0) socket.destroy();
  });
}

/**
 * The answer to a request whose handling threw: its HttpError's, or a logged 500. An answer already
 * under way (a CSV export whose later page failed) can no longer say so: the failure is logged and
 * the connection cut, so that its client sees a truncated transfer, not a complete download.
 */
function answerFailure(res: http.ServerResponse, error: unknown, logger: Logger): void {
  if (res.headersSent) {
    unexpectedHttpFailure(error, logger);
    // One that had ended is left to finish sending.
    if (!res.writableEnded) res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    // A body that did not arrive in time is not waited for any longer: the connection goes.
    if (error.status === 408) res.setHeader('connection', 'close');
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    return sendErrors(res, error.status, {
      errors: [{ message: error.message, ...(error.extensions ? { extensions: error.extensions } : {}) }],
    });
  }
  const failure = unexpectedHttpFailure(error, logger);
  for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
  sendErrors(res, failure.status, failure.body);
}

/** The access layer (keys, scopes, limits), started; stopped again when it cannot start. */
async function startAccessControl(
  services: AppServices,
  schema: GraphQLSchema,
  subscriptions: SubscriptionExecution,
  host: string,
): Promise<AccessControl> {
  const access = new AccessControl(services, schema, subscriptions);
  try {
    await access.start(host);
  } catch (error) {
    await access.stop();
    throw error;
  }
  return access;
}

export async function startHttpServer(options: ServerOptions): Promise<RunningServer> {
  const { schema, services } = options;
  const logger = services.logger.child({ module: 'http' });
  const { httpServer, refusedConnection } = createHttpServer(services.config);
  const subscriptions = subscriptionExecution({ eventContext: liveEventContexts(services), audience: liveEventAudience });
  const access = await startAccessControl(services, schema, subscriptions, options.host);
  const introspection = new IntrospectionCache();
  // Aborted when the drain runs out of time: GraphQL work still running (over HTTP or WebSocket) stops and answers 503.
  const lateGraphQL = new AbortController();
  const { wsServer, wsCleanup } = serveWebSockets(
    httpServer,
    schema,
    services,
    access,
    subscriptions,
    introspection,
    logger,
    refusedConnection,
    lateGraphQL.signal,
  );

  const apollo = await startApollo(schema, httpServer, access, wsCleanup, introspection, logger);
  // Aborted first when the server stops: an import in flight stops reading and answers what it stored.
  const imports = new AbortController();
  // Each request or import in flight listens to these two for as long as it runs (removed when it
  // ends), the WebSocket operations through one listener: at most one per connection, and one more.
  // Node's warning past 10 would take that for a leak; past this bound it is one.
  setMaxListeners(services.config.maxConnections + 1, lateGraphQL.signal, imports.signal);
  // Set when the server stops: a request still arriving on an open keep-alive connection is answered
  // 503 with Connection: close, so its client retries elsewhere instead of starting work that may not finish.
  let stopping = false;

  httpServer.on('request', (req, res) => {
    // Answered 503 when it connected (limitConnections): nothing more goes to it.
    if (refusedConnection(req.socket)) return void req.resume();
    // Every answer is read as the type it declares (JSON, CSV), never sniffed as a page or a script.
    res.setHeader('x-content-type-options', 'nosniff');
    boundUnreadBody(req, res, services.config.bodyTimeoutMs);
    abandonStalledAnswer(res, services.config.sendTimeoutMs);
    handle(req, res).catch((error: unknown) => answerFailure(res, error, logger));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Every answer carries one; GraphQL's (Apollo's plugin) and an unexpected failure's replace it with the id they log.
    res.setHeader('x-request-id', newRequestId());
    setCorsHeaders(req, res, services.config.corsOrigins);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' || url.pathname === '/readyz')
      refuseUnlessGetOrHead(req, `${url.pathname} is probed with GET or HEAD, not ${req.method}`);
    // Alive while it drains: a liveness probe failing now would have the process killed mid-drain.
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (stopping) return refuseWhileStopping(res);
    if (url.pathname === '/readyz') {
      const readiness = await options.readiness();
      return sendJson(res, readiness.status === 'unavailable' ? 503 : 200, readiness);
    }
    if (servePlaygroundAsset(url.pathname, res)) return;
    if (serveDashboard(url.pathname, req, res)) return;
    if (url.pathname === '/export/customers.csv' || url.pathname === '/export/worklist.csv')
      return serveExport(access, services, req, res, url);
    if (url.pathname === INGEST_EVENTS_PATH) return serveEventImport(access, services, req, res, imports.signal);
    if (url.pathname.startsWith(UNSUBSCRIBE_PATH)) return serveUnsubscribe(services, req, res, url.pathname, access.clientAddressOf(req));
    if (url.pathname !== GRAPHQL_PATH)
      return sendErrors(res, 404, { errors: [{ message: 'not found', extensions: { code: 'NOT_FOUND' } }] });
    if (wantsPlayground(req)) {
      // The playground keeps an API key in the browser: no other page may frame it (clickjacking).
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(renderPlaygroundHtml({ endpoint: GRAPHQL_PATH }));
      return;
    }
    return serveGraphQL(req, res, url, { apollo, access, services, drainEnded: lateGraphQL.signal });
  }

  return {
    httpServer,
    url: await listen(httpServer, options.port, options.host),
    async close() {
      stopping = true;
      // An import may run for minutes: it stops at the next line and answers, within the drain.
      imports.abort();
      // Stops accepting, lets in-flight requests finish, closes WebSockets (drain plugin); the late
      // ones have their transactions rolled back and answer 503 before their sockets go.
      await drainRollingBackLateRequests(services.orm, databaseUrlOf(services), () => apollo.stop(), lateGraphQL, {
        ended: (sessions) => {
          if (sessions > 0) logger.warn({ sessions }, 'requests still running at the end of the drain: rolled back, answered 503');
        },
        failed: (error) => logger.error({ err: error }, 'could not end the requests still running at the end of the drain'),
      });
      wsServer.close();
      await access.stop();
    },
  };
}
