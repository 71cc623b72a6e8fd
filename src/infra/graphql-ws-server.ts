// graphql-ws served on a `ws` server: graphql-ws's documented `makeServer`, wired to the sockets the
// way its own `useServer` (graphql-ws/use/ws) does, with three differences that adapter cannot be
// configured for:
// - Until the connection is acknowledged (the key in connection_init accepted), a message larger
//   than `maxUnacknowledgedBytes` closes the socket (1009) before graphql-ws parses it. Anyone may
//   open a socket and send one message, and JSON.parse holds the event loop for as long as a
//   message of nested arrays takes to parse: hundreds of such sockets froze the server
//   (bench/README, session 26). A connection_init carries a key: a few hundred bytes.
// - A message nesting deeper than MAX_REQUEST_JSON_DEPTH closes the socket (4400) before it is
//   parsed, as an HTTP body nested so deep is refused: parsing it, and walking its variables after,
//   cost the server as much as its nesting (thousands of levels ran the guard out of stack).
// - Failures are logged through the service's logger (structured, one line), not console.error
//   with a stack; a socket that errors (a message over the size limit, a reset) is closed as the
//   adapter closes it.
// - On shutdown, and when the socket's key is revoked, a socket whose query or mutation still runs
//   stays open until it is answered (see `dispose` and `closeOnceAnswered`): closing it at once left
//   a write to commit with its client never told (the secret of a key just created lost for good).
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import { CloseCode, type Context, handleProtocols, makeServer, ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { RateLimitedError } from '../auth/auth.errors';
import { ServiceStoppingError } from './errors';
import { JsonScan, REQUEST_JSON_TOO_DEEP, REQUEST_JSON_TOO_WIDE } from './json-scan';
import type { Logger } from './logger';

/** How often a socket is pinged, and how long its pong may take (graphql-ws's `useServer` default). */
const KEEP_ALIVE_MS = 12_000;

export interface GraphQLWebSocketOptions {
  /** Largest message accepted before connection_ack: a connection_init with its key. */
  maxUnacknowledgedBytes: number;
  logger: Logger;
  /**
   * Spends a request of the connection's budget for a message once the connection is acknowledged,
   * before the message is parsed; resolves to the refusal when the budget is spent.
   */
  spendMessage?(socket: WebSocket): Promise<RateLimitedError | null>;
}

/** What closes a socket whose key has spent its budget and that sends a message too large to read anyway. */
export const CLOSE_RATE_LIMITED = 4429;

/**
 * Answers a subscribe message with `refusal` under its id, as graphql-ws answers a refused operation,
 * without running it; any other message (ping, complete, what is not a message) goes to graphql-ws as usual.
 */
function refuseSubscribe(socket: WebSocket, data: string, refusal: GraphQLError, handle: (data: string) => Promise<void>): Promise<void> {
  let message: { type?: unknown; id?: unknown } | null;
  try {
    message = JSON.parse(data) as { type?: unknown; id?: unknown } | null;
  } catch {
    // graphql-ws answers what is not a message.
    return handle(data);
  }
  if (message?.type !== 'subscribe' || typeof message.id !== 'string') return handle(data);
  return new Promise<void>((resolve) =>
    socket.send(JSON.stringify({ id: message.id, type: 'error', payload: [refusal.toJSON()] }), () => resolve()),
  );
}

/**
 * A message past the key's budget. Parsing is what a message costs, so one larger than a
 * connection_init closes the socket unread. A smaller subscribe is answered RATE_LIMITED under its
 * id, as over HTTP.
 */
async function refuseOverBudget(
  socket: WebSocket,
  data: string,
  bytes: number,
  refusal: RateLimitedError,
  options: GraphQLWebSocketOptions,
  handle: (data: string) => Promise<void>,
): Promise<void> {
  if (bytes > options.maxUnacknowledgedBytes) return socket.close(CLOSE_RATE_LIMITED, 'rate limit of this API key');
  return refuseSubscribe(socket, data, refusal.toGraphQLError(), handle);
}

/** What a subscribe sent to a stopping server is answered: SERVICE_UNAVAILABLE, nothing run. */
function stoppingRefusal(): GraphQLError {
  const refusal = new ServiceStoppingError('the server is stopping: this operation was not run; send it again on a new connection');
  return new GraphQLError(refusal.message, { extensions: refusal.extensions });
}

/** What closes the server's sockets on shutdown (as `useServer`'s `dispose`). */
export interface GraphQLWebSocketServer {
  /**
   * Closes every socket (1001, "Going away") and the server. A socket whose queries or mutations still
   * run stays open until they are answered (each its result, or the error it ends with, then
   * `complete`), or until `deadline` aborts: its subscriptions are completed at once, and an
   * operation it sends from now on is refused (SERVICE_UNAVAILABLE). The others close at once.
   */
  dispose(deadline: AbortSignal): Promise<void>;
  /**
   * Closes `socket` with `code` and `reason` as `dispose` closes it: its subscriptions completed at
   * once, and its queries and mutations in flight (their checks included) answered first. The caller
   * refuses what the socket sends meanwhile. A socket already closing is left alone.
   */
  closeOnceAnswered(socket: WebSocket, code: number, reason: string): void;
}

type ConnectionContext = Context<Record<string, unknown> | undefined, Extra>;

/** One served socket, as the shutdown sees it. */
interface ServedSocket {
  /** Its graphql-ws context, once it sent connection_init: the operations it runs. */
  context?: ConnectionContext;
  /** Told whenever a message of the socket has been handled whole (a query or mutation once answered). */
  handled: Set<() => void>;
}

/**
 * Whether a query or mutation of the connection is still being run or answered: graphql-ws holds a
 * single-result operation (and one still being prepared) as a `null` reservation, a stream as its iterator.
 */
function answersAnOperation(context: ConnectionContext | undefined): boolean {
  return context !== undefined && Object.values(context.subscriptions).some((operation) => operation === null);
}

/** Ends `operation` if it is a stream (a subscription's): graphql-ws then sends its `complete`. */
async function endStream(operation: unknown): Promise<void> {
  const stream = operation as Partial<AsyncGenerator<unknown>> | null;
  if (stream && typeof stream === 'object' && Symbol.asyncIterator in stream && typeof stream.return === 'function')
    await stream.return(undefined);
}

/** Ends the subscriptions of the connection, each sent its `complete`. */
function completeSubscriptions(context: ConnectionContext): void {
  for (const operation of Object.values(context.subscriptions)) void endStream(operation);
}

/**
 * Closes `socket` (`code`, `reason`) once no query or mutation of it is left to answer, or when
 * `deadline` aborts. Its subscriptions are completed at once.
 */
async function closeOnceAnswered(
  socket: WebSocket,
  served: ServedSocket | undefined,
  deadline: AbortSignal | undefined,
  code: number,
  reason: string,
): Promise<void> {
  const context = served?.context;
  if (served && context && answersAnOperation(context) && !deadline?.aborted) {
    completeSubscriptions(context);
    await new Promise<void>((resolve) => {
      const done = () => {
        served.handled.delete(onHandled);
        deadline?.removeEventListener('abort', done);
        socket.off('close', done);
        resolve();
      };
      const onHandled = () => {
        if (!answersAnOperation(context)) done();
      };
      served.handled.add(onHandled);
      deadline?.addEventListener('abort', done, { once: true });
      socket.once('close', done);
    });
  }
  socket.close(code, reason);
}

/** graphql-ws's server messages are `stringifyMessage` output, so the acknowledgement starts so. */
function isAcknowledgement(data: string): boolean {
  return data.startsWith('{"type":"connection_ack"');
}

/**
 * Why a message is refused before graphql-ws parses it, as an HTTP body is: nested deeper than
 * MAX_REQUEST_JSON_DEPTH, or holding an object wider than MAX_OBJECT_MEMBERS; null when it may be parsed.
 */
function shapeRefusal(data: Buffer | ArrayBuffer | Buffer[]): string | null {
  const scan = new JsonScan();
  for (const part of Array.isArray(data) ? data : [data]) scan.feed(Buffer.isBuffer(part) ? part : Buffer.from(part));
  return scan.tooDeep ? REQUEST_JSON_TOO_DEEP : scan.tooWide ? REQUEST_JSON_TOO_WIDE : null;
}

/**
 * The pong answering a client's ping, without its payload. graphql-ws's own pong echoes the payload
 * whole: a megabyte of ping was a megabyte written back, its JSON built on the event loop, for
 * every ping a client cared to send. The protocol makes the payload optional.
 */
const PONG = JSON.stringify({ type: 'pong' });

function keepAlive(socket: WebSocket): () => void {
  let pongWait: NodeJS.Timeout | null = null;
  const pingInterval = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
    socket.once('pong', () => {
      if (pongWait) clearTimeout(pongWait);
      pongWait = null;
    });
    socket.ping();
  }, KEEP_ALIVE_MS);
  return () => {
    if (pongWait) clearTimeout(pongWait);
    clearInterval(pingInterval);
  };
}

function serveSocket(
  server: ReturnType<typeof makeServer<Record<string, unknown> | undefined, Extra>>,
  socket: WebSocket,
  request: http.IncomingMessage,
  options: GraphQLWebSocketOptions,
  served: ServedSocket,
  stopping: () => boolean,
): void {
  let acknowledged = false;
  socket.once('error', (error) => {
    options.logger.warn({ err: error.message }, 'websocket error; connection closed');
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  });
  const stopKeepAlive = keepAlive(socket);
  const closed = server.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise<void>((resolve, reject) => {
          if (socket.readyState !== socket.OPEN) return resolve();
          if (!acknowledged && isAcknowledgement(data)) acknowledged = true;
          socket.send(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: (code, reason) => socket.close(code, reason),
      onPing: () =>
        new Promise<void>((resolve) => {
          if (socket.readyState !== socket.OPEN) return resolve();
          socket.send(PONG, () => resolve());
        }),
      onMessage: (handle) =>
        socket.on('message', async (data: Buffer | ArrayBuffer | Buffer[]) => {
          const bytes = Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
          if (!acknowledged && bytes > options.maxUnacknowledgedBytes) {
            socket.close(1009, `at most ${options.maxUnacknowledgedBytes} bytes before the connection is acknowledged`);
            return;
          }
          const refusal = shapeRefusal(data);
          if (refusal) {
            socket.close(CloseCode.BadRequest, refusal);
            return;
          }
          try {
            const overBudget = acknowledged ? await options.spendMessage?.(socket) : null;
            if (overBudget) await refuseOverBudget(socket, String(data), bytes, overBudget, options, handle);
            else if (stopping()) await refuseSubscribe(socket, String(data), stoppingRefusal(), handle);
            else await handle(String(data));
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            // A message only a server sends (next, error, connection_ack), which graphql-ws throws for:
            // the client broke the protocol, as with any other invalid message (4400), not the server.
            if (message.startsWith('Unexpected message of type')) return socket.close(CloseCode.BadRequest, 'Invalid message received');
            options.logger.warn({ err: message }, 'websocket message failed');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          } finally {
            for (const onHandled of [...served.handled]) onHandled();
          }
        }),
    },
    { socket, request },
  );
  socket.once('close', (code, reason) => {
    stopKeepAlive();
    void closed(code, String(reason));
  });
}

/** Serves graphql-ws on every connection of `wsServer` (it must not be served by another adapter). */
export function serveGraphQLWebSockets(
  serverOptions: ServerOptions<Record<string, unknown> | undefined, Extra>,
  wsServer: WebSocketServer,
  options: GraphQLWebSocketOptions,
): GraphQLWebSocketServer {
  const sockets = new Map<WebSocket, ServedSocket>();
  let stopping = false;
  const server = makeServer({
    ...serverOptions,
    onConnect: (ctx) => {
      const served = sockets.get(ctx.extra.socket);
      if (served) served.context = ctx;
      return serverOptions.onConnect?.(ctx);
    },
    // A subscription that was still being prepared when the server began to stop ends as it starts.
    onOperation: async (ctx, id, payload, args, result) => {
      const operation = (await serverOptions.onOperation?.(ctx, id, payload, args, result)) ?? result;
      if (stopping) await endStream(operation);
      return operation;
    },
  });
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('error', (error) => options.logger.error({ err: error.message }, 'websocket server error'));
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    if (stopping) return socket.close(1001, 'Going away');
    const served: ServedSocket = { handled: new Set() };
    sockets.set(socket, served);
    socket.once('close', () => sockets.delete(socket));
    serveSocket(server, socket, request, options, served, () => stopping);
  });
  return {
    async dispose(deadline: AbortSignal) {
      stopping = true;
      const clients = [...wsServer.clients];
      // A client that does not answer the close (it stopped reading) is cut off when the grace ends.
      deadline.addEventListener('abort', () => clients.forEach((client) => client.terminate()), { once: true });
      await Promise.all(clients.map((client) => closeOnceAnswered(client, sockets.get(client), deadline, 1001, 'Going away')));
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
    closeOnceAnswered(socket, code, reason) {
      if (socket.readyState !== socket.OPEN) return;
      void closeOnceAnswered(socket, sockets.get(socket), undefined, code, reason);
    },
  };
}
