// Talking to the service as a keyed client: HTTP requests with (or without) `Authorization`, API
// keys created through the API, and a bare graphql-transport-ws socket whose every message and
// close code a test can look at.
import WebSocket from 'ws';
import type { GraphQLResponse, TestServer } from './server';

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: GraphQLResponse<T>;
}

export function bearer(key: string | undefined): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** POSTs an operation to the server's /graphql with the given key (none when undefined). */
export async function post<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  key?: string,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(key), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as GraphQLResponse<T> };
}

const CREATE_KEY = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }';

/**
 * Creates a key through the API and returns it. `asKey` authenticates the request; without it the
 * request relies on the loopback admin of a server that has no key yet (so the first key is created so).
 */
export async function createKey(
  server: TestServer,
  scopes: string[],
  asKey?: string,
  name = scopes.join('+') || 'none',
): Promise<{ key: string; id: string }> {
  const result = await post<{ createApiKey: { key: string; apiKey: { id: string } } }>(
    server.url,
    CREATE_KEY,
    { input: { name, scopes: scopes.map((scope) => scope.toUpperCase()) } },
    asKey,
  );
  if (result.status !== 200 || result.body.errors) throw new Error(`createApiKey failed: ${result.status} ${JSON.stringify(result.body)}`);
  const created = result.body.data!.createApiKey;
  return { key: created.key, id: created.apiKey.id };
}

export interface Closed {
  code: number;
  reason: string;
}

export type ProtocolMessage = { type: string; id?: string; payload?: unknown };

/** A graphql-transport-ws connection driven message by message. */
export class GraphQLSocket {
  readonly messages: ProtocolMessage[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as ProtocolMessage);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    void this.closed.then(() => this.waiters.splice(0).forEach((wake) => wake()));
  }

  /** Opens the socket; rejects with the HTTP status when the upgrade is refused. */
  static open(wsUrl: string, headers: Record<string, string> = {}): Promise<GraphQLSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { headers });
      socket.once('open', () => resolve(new GraphQLSocket(socket)));
      socket.once('unexpected-response', (_request, response) =>
        reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })),
      );
      socket.once('error', reject);
    });
  }

  /** Opens and sends connection_init with `authorization: Bearer <key>` (nothing without a key). */
  static async connect(wsUrl: string, key?: string, headers: Record<string, string> = {}): Promise<GraphQLSocket> {
    const socket = await GraphQLSocket.open(wsUrl, headers);
    socket.send({ type: 'connection_init', payload: key ? { authorization: `Bearer ${key}` } : {} });
    return socket;
  }

  send(message: ProtocolMessage): void {
    this.socket.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** The first message matching `accept` (already received or to come); rejects on close or timeout. */
  async waitFor(accept: (message: ProtocolMessage) => boolean, timeoutMs = 5000): Promise<ProtocolMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(accept);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed; messages: ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves on connection_ack, or with the close when the server closes instead. */
  async acknowledged(timeoutMs = 5000): Promise<'ack' | Closed> {
    return Promise.race([this.waitFor((m) => m.type === 'connection_ack', timeoutMs).then(() => 'ack' as const), this.closed]);
  }

  /** Runs one operation and returns its first `next` payload or its `error` payload. */
  async run(id: string, query: string, variables?: Record<string, unknown>): Promise<{ type: string; payload: unknown }> {
    this.subscribe(id, query, variables);
    const message = await this.waitFor((m) => m.id === id && (m.type === 'next' || m.type === 'error'));
    return { type: message.type, payload: message.payload };
  }

  close(): void {
    this.socket.close();
  }
}

/** The `extensions.code`s of a WebSocket operation's result (`next` errors or an `error` message). */
export function socketErrorCodes(result: { type: string; payload: unknown }): Array<string | undefined> {
  const errors =
    result.type === 'error'
      ? (result.payload as Array<{ extensions?: { code?: string } }>)
      : ((result.payload as GraphQLResponse<unknown>).errors ?? []);
  return errors.map((error) => error.extensions?.code);
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
