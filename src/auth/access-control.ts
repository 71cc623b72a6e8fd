// Everything that decides whether a request may run, assembled once per server: the key registry,
// the rate limits, the operation limits, the HTTP admission and the WebSocket guard. The HTTP
// server calls `start` before it listens, `admitHttp` before it reads a request body, and hands
// `websockets`' hooks to graphql-ws.
import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { AppServices, GraphQLContext, RequestAuth } from '../context';
import { StartupRefusal } from '../infra/errors';
import type { Logger } from '../infra/logger';
import type { Db } from '../infra/sql';
import type { SubscriptionExecution } from '../infra/subscription-execution';
import { DocumentValidationError, OperationLimitError, RateLimitedError } from './auth.errors';
import { authenticate, credentialsFrom, HOW_TO_CREATE_A_KEY, isLoopbackInterface } from './authenticate';
import { ClientAddressOf, clientAddressReader } from '../infra/client-address';
import { EVERY_KEY_REVOKED, KeyRegistry } from './key-registry';
import { checkBeforeParsing, CostLimit, costLimitPlugin, limitValidationRules, OperationLimits } from './operation-limits';
import { operationScopesPlugin } from './operation-scopes';
import { checkOrigin, preflightHeaders } from './origin';
import { errorContentType } from '../infra/response-media-type';
import { RateLimits } from './rate-limits';
import { RepeatedFieldsCheck } from './repeated-fields';
import { WebSocketGuard } from './websocket-guard';

function sendError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
): void {
  res.writeHead(status, { 'content-type': errorContentType(res.req.headers.accept), 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] }));
}

export class AccessControl {
  readonly keys: KeyRegistry;
  readonly limits: OperationLimits;
  readonly websockets: WebSocketGuard;
  private readonly costLimit: CostLimit;
  private readonly repeatedFields = new RepeatedFieldsCheck();
  private readonly rateLimits: RateLimits;
  private readonly logger: Logger;
  /** A request's client address (the socket's, or X-Forwarded-For's behind `TRUST_PROXY`). */
  readonly clientAddressOf: ClientAddressOf;

  constructor(
    private readonly services: AppServices,
    schema: GraphQLSchema,
    execution: SubscriptionExecution,
  ) {
    const { config } = services;
    this.logger = services.logger.child({ module: 'auth' });
    this.keys = new KeyRegistry(() => services.orm.em.fork({ clear: true }) as Db, config.apiKeyRefreshMs, this.logger);
    this.rateLimits = new RateLimits(config, this.logger);
    this.limits = {
      maxTokens: config.maxQueryTokens,
      maxDepth: config.maxQueryDepth,
      maxAliases: config.maxQueryAliases,
      maxCost: config.maxQueryCost,
    };
    this.costLimit = new CostLimit(this.limits);
    this.clientAddressOf = clientAddressReader(config.trustedProxies);
    this.websockets = new WebSocketGuard({
      config,
      clientAddressOf: this.clientAddressOf,
      keys: this.keys,
      rateLimits: this.rateLimits,
      limits: this.limits,
      costLimit: this.costLimit,
      schema,
      execution,
      bodies: services.requestBodies,
      operations: services.operationsInFlight,
      db: () => services.orm.em.fork({ clear: true }) as Db,
    });
  }

  /**
   * Loads the keys. Without any, only this machine may connect (and is admin): listening on another
   * interface is refused, since anyone who can reach it would be unauthenticated.
   */
  async start(host: string): Promise<void> {
    await this.keys.start();
    if (this.keys.hasKeys) {
      if (this.keys.hasActiveKeys) this.logger.info('API keys exist: every request needs one');
      else this.logger.warn(EVERY_KEY_REVOKED);
      return;
    }
    if (!isLoopbackInterface(host)) {
      this.keys.stop();
      throw new StartupRefusal(
        `Refusing to listen on ${host} without an API key: anyone reaching it could read and change everything. ` +
          `Create a key first (\`${HOW_TO_CREATE_A_KEY}\`, against the same DATABASE_URL), or listen on this machine only (HOST=127.0.0.1).`,
      );
    }
    this.logger.warn(
      `no API key exists: listening on ${host} only, and clients on this machine are admin. Create one (\`${HOW_TO_CREATE_A_KEY}\`) to require keys.`,
    );
  }

  async stop(): Promise<void> {
    this.keys.stop();
    await this.rateLimits.close();
  }

  /** Depth and alias rules for Apollo, and the cost and scope checks as plugins. */
  apolloOptions(): { validationRules: ValidationRule[]; plugins: ApolloServerPlugin<GraphQLContext>[] } {
    return { validationRules: limitValidationRules(this.limits), plugins: [costLimitPlugin(this.costLimit), operationScopesPlugin()] };
  }

  /**
   * Checks the Origin, the key and the key's rate limit from the headers alone, before the body is
   * read. Answers the refusals (403, 401, 429) and CORS preflights itself, and then returns null;
   * an admitted request gets who it is. `methods` are what the path answers, named in a preflight's answer (OPTIONS included). An
   * allowed origin's CORS headers are already on `res`: the server sets them on every answer.
   */
  async admitHttp(req: http.IncomingMessage, res: http.ServerResponse, methods = 'GET, POST, OPTIONS'): Promise<RequestAuth | null> {
    const origin = checkOrigin(req, this.services.config.corsOrigins);
    if (origin === 'refused') {
      sendError(res, 403, 'FORBIDDEN', 'origin not allowed: add it to CORS_ORIGINS');
      return null;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...(origin === 'allowed' ? preflightHeaders(req, methods) : {}), allow: methods });
      res.end();
      return null;
    }
    const clientAddress = this.clientAddressOf(req);
    const address = clientAddress ?? 'unknown';
    try {
      const authentication = await authenticate(this.keys, credentialsFrom(req.headers.authorization), req, (keyId) =>
        this.rateLimits.spendAuthAttempt(address, keyId),
      );
      if (!authentication.ok) {
        if (authentication.hashedFor) this.rateLimits.recordAuthFailure(address, authentication.hashedFor);
        sendError(res, 401, 'UNAUTHENTICATED', authentication.message, { 'www-authenticate': 'Bearer' });
        return null;
      }
      await this.rateLimits.spendRequest(authentication.principal);
      return { principal: authentication.principal, clientAddress, keys: this.keys };
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      const retryAfter = String(error.details.retryAfterSeconds);
      sendError(res, 429, error.code, error.message, { 'retry-after': retryAfter }, error.details);
      return null;
    }
  }

  /**
   * Refuses (400) a document with too many tokens, or a value nested too deep to parse, before Apollo
   * parses it, and one repeating a field too often for Apollo's validation to check it
   * (repeated-fields.ts); true when it did.
   */
  refuseBeforeParsing(query: unknown, res: http.ServerResponse): boolean {
    if (typeof query !== 'string') return false;
    try {
      checkBeforeParsing(query, this.limits);
      this.repeatedFields.check(query);
      return false;
    } catch (error) {
      if (!(error instanceof OperationLimitError || error instanceof DocumentValidationError)) throw error;
      sendError(res, 400, error.code, error.message, {}, error.details);
      return true;
    }
  }
}
