// One HTTP server on one port: Apollo Server at /graphql (POST and GET), graphql-ws subscriptions
// on the same path, the offline GraphiQL for browsers, and the health probes.
import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { compiledQueryGateway } from './compiled-executor';
import { AppServices, createContext, GraphQLContext } from './context';
import { formatGraphQLError } from './errors';
import { subscriptionExecution } from './subscription-execution';
import { renderPlaygroundHtml, servePlaygroundAsset, wantsPlayground } from './playground';

export const GRAPHQL_PATH = '/graphql';
/** Largest accepted request body: a batch of 10,000 events is about 2–3 MB of JSON. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export interface ServerOptions {
  schema: GraphQLSchema;
  services: AppServices;
  port: number;
  host: string;
  /** Answers /readyz: resolves to the state of each dependency. */
  readiness(): Promise<Record<string, boolean>>;
}

export async function startHttpServer(options: ServerOptions): Promise<RunningServer> {
  const { schema, services } = options;
  const logger = services.logger.child({ module: 'http' });
  const httpServer = http.createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const subscriptions = subscriptionExecution();
  const wsCleanup = useServer<Record<string, unknown>, { graphql?: GraphQLContext }>(
    {
      schema,
      // Parsed and validated once per query text; each event executed once per distinct operation.
      parse: subscriptions.parse,
      validate: subscriptions.validate,
      subscribe: subscriptions.subscribe,
      // One context (and EntityManager fork) per subscription operation.
      context: () => createContext(services) as unknown as Record<string, unknown>,
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    // The schema, served with queries compiled (see compiled-executor.ts).
    gateway: compiledQueryGateway(schema),
    formatError: (formatted, error) => {
      const result = formatGraphQLError(formatted, error);
      if (result.extensions?.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error }, 'unexpected error');
      return result;
    },
    plugins: [
      // The graph declares no cache hints, so the default cache-control plugin could only ever answer
      // `no-store` (set below instead); its per-field hook made Apollo wrap every resolver in the schema.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
    introspection: true,
    // main.ts owns the shutdown order (HTTP, WebSockets, scheduler, ORM, Redis, embedded PostgreSQL);
    // Apollo's own signal handler would race it and re-send the signal.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  httpServer.on('request', (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { errors: [{ message: error.message }] });
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error' }] });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      const checks = await options.readiness();
      const ready = Object.values(checks).every(Boolean);
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', checks });
    }
    if (servePlaygroundAsset(url.pathname, res)) return;
    if (url.pathname !== GRAPHQL_PATH) return sendJson(res, 404, { errors: [{ message: 'not found' }] });
    if (wantsPlayground(req)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderPlaygroundHtml({ endpoint: GRAPHQL_PATH }));
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req);
      try {
        body = raw.length > 0 ? JSON.parse(raw) : {};
      } catch {
        throw new HttpError(400, 'request body is not valid JSON');
      }
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body },
      context: async () => createContext(services),
    });
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

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    httpServer,
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    async close() {
      // Stops accepting, lets in-flight requests finish, closes WebSockets (drain plugin).
      await apollo.stop();
      wsServer.close();
    },
  };
}
