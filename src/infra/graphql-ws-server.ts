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
import type http from 'node:http';
import { CloseCode, handleProtocols, makeServer, ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { RateLimitedError } from '../auth/auth.errors';
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
 * A message past the key's budget. Parsing is what a message costs, so one larger than a
 * connection_init closes the socket unread. A smaller subscribe is answered RATE_LIMITED under its
 * id, as over HTTP; any other small message (ping, complete) goes to graphql-ws as usual.
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
  let message: { type?: unknown; id?: unknown } | null;
  try {
    message = JSON.parse(data) as { type?: unknown; id?: unknown } | null;
  } catch {
    // graphql-ws answers what is not a message.
    return handle(data);
  }
  if (message?.type !== 'subscribe' || typeof message.id !== 'string') return handle(data);
  socket.send(JSON.stringify({ id: message.id, type: 'error', payload: [refusal.toGraphQLError().toJSON()] }));
}

/** What closes the server's sockets on shutdown (as `useServer`'s `dispose`). */
export interface GraphQLWebSocketServer {
  dispose(): Promise<void>;
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
            else await handle(String(data));
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            // A message only a server sends (next, error, connection_ack), which graphql-ws throws for:
            // the client broke the protocol, as with any other invalid message (4400), not the server.
            if (message.startsWith('Unexpected message of type')) return socket.close(CloseCode.BadRequest, 'Invalid message received');
            options.logger.warn({ err: message }, 'websocket message failed');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
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
  const server = makeServer(serverOptions);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('error', (error) => options.logger.error({ err: error.message }, 'websocket server error'));
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => serveSocket(server, socket, request, options));
  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
