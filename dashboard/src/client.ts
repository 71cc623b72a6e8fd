// The dashboard's one GraphQL client: urql over HTTP for queries and mutations, graphql-ws on the
// same /graphql for subscriptions. The key goes in the Authorization header and in the
// connection_init payload (how the server reads it on a WebSocket: src/auth/websocket-guard.ts).
import { Client, fetchExchange, subscriptionExchange, type ExecutionResult } from '@urql/core';
import { createClient as createWebSocketClient, type Client as WebSocketClient, type Sink, type SubscribePayload } from 'graphql-ws';
import { fetchNotingServerDate } from './server-clock';
import { authorizationHeaders, GRAPHQL_PATH } from './session';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface ConnectionEvents {
  onStatus(status: ConnectionStatus): void;
  /** Every acknowledged connection; `reconnected` is false for the first one. */
  onConnected(reconnected: boolean): void;
}

/** Close code of a refused key (src/auth/websocket-guard.ts): fatal, graphql-ws does not retry it. */
const CLOSE_UNAUTHORIZED = 4401;
/** The code of a request refused for the key's spent rate limit (src/auth/auth.errors.ts). */
const RATE_LIMITED = 'RATE_LIMITED';
/** Reconnect back-off: 1 s doubling, capped, plus jitter so reopened servers are not stampeded. */
const MAX_RETRY_WAIT_MS = 5000;

function retryWait(retries: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, MAX_RETRY_WAIT_MS) + Math.random() * 500));
}

function webSocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${GRAPHQL_PATH}`;
}

function closeCode(event: unknown): number | undefined {
  return typeof event === 'object' && event !== null && 'code' in event ? Number((event as { code: unknown }).code) : undefined;
}

export function createWebSocket(key: string | null, events: ConnectionEvents): WebSocketClient {
  let connections = 0;
  return createWebSocketClient({
    url: webSocketUrl(),
    connectionParams: () => authorizationHeaders(key),
    // Connected from the start, so the live indicator tells the truth before any screen subscribes.
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait,
    keepAlive: 10_000,
    onNonLazyError: (error) => {
      if (closeCode(error) === CLOSE_UNAUTHORIZED) events.onStatus('unauthorized');
    },
    on: {
      connecting: () => events.onStatus(connections === 0 ? 'connecting' : 'reconnecting'),
      connected: () => {
        events.onStatus('live');
        events.onConnected(connections++ > 0);
      },
      closed: (event) => {
        if (closeCode(event) === CLOSE_UNAUTHORIZED) events.onStatus('unauthorized');
        else if (connections > 0) events.onStatus('reconnecting');
      },
    },
  });
}

export function createGraphQLClient(key: string | null, webSocket: WebSocketClient): Client {
  return new Client({
    url: GRAPHQL_PATH,
    // No document cache: live events refetch what is on screen, and every list pages on the server.
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: subscribeUntilKeyRefused(webSocket, input, sink) }) };
        },
      }),
    ],
    fetchOptions: () => ({ headers: { accept: 'application/graphql-response+json, application/json', ...authorizationHeaders(key) } }),
    preferGetMethod: false,
    fetch: fetchNotingServerDate,
  });
}

/**
 * Whether a subscription's end is one to try again after: a closed connection (but a refused key's,
 * 4401), or a subscribe refused RATE_LIMITED — the key's budget is shared by every client of the key,
 * and a reconnect during a spent window would otherwise leave the page saying "Live" with no live
 * updates until a reload. Any other refusal of the operation itself would be refused again.
 */
function passes(error: unknown): boolean {
  const code = closeCode(error);
  if (code !== undefined) return code !== CLOSE_UNAUTHORIZED;
  return rateLimited(error);
}

function rateLimited(error: unknown): boolean {
  return (
    Array.isArray(error) &&
    error.some((graphQLError: { extensions?: { code?: unknown } }) => graphQLError?.extensions?.code === RATE_LIMITED)
  );
}

/**
 * What a subscription asked for again after a RATE_LIMITED refusal tells its reader: the events
 * published while it was refused reached no one, on a connection that stayed up (so no reconnect
 * catches them up). A RESYNC without `since`, as the server's own after a lost event: the reader
 * catches up from the last change it saw (src/live.ts).
 */
const REFUSED_WHILE_LIVE: ExecutionResult = {
  errors: [{ message: 'live events may have been lost while the subscription was refused', extensions: { code: 'RESYNC' } }],
};

/**
 * A subscription that outlives every closed connection but a refused key's. graphql-ws retries a
 * connection itself only for the close codes it deems passing: after the others (the server's 4429
 * for too many failed authentications from this address, 4500 for a failure on its side) it ends its
 * subscriptions for good, so the page would stay "Reconnecting…" and never live again. Those are
 * subscribed again after the same back-off (see {@link passes}); a refused key (4401) ends them, and the
 * page asks for a key.
 */
function subscribeUntilKeyRefused(webSocket: WebSocketClient, payload: SubscribePayload, sink: Sink<ExecutionResult>): () => void {
  let stopped = false;
  let retries = 0;
  let unsubscribe = () => {};
  const start = () => {
    if (stopped) return;
    unsubscribe = webSocket.subscribe<ExecutionResult['data'], ExecutionResult['extensions']>(payload, {
      next: (value) => {
        retries = 0;
        sink.next(value);
      },
      complete: () => sink.complete(),
      error: (error) => {
        if (stopped || !passes(error)) return sink.error(error);
        void retryWait(retries++).then(() => {
          start();
          if (!stopped && rateLimited(error)) sink.next(REFUSED_WHILE_LIVE);
        });
      },
    });
  };
  start();
  return () => {
    stopped = true;
    unsubscribe();
  };
}
