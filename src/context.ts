// What every resolver receives: the request's own EntityManager fork, its DataLoaders, and the
// process-wide services, and who is calling. Built once per HTTP request or per WebSocket operation.
import type { MikroORM } from '@mikro-orm/postgresql';
import { OperationTypeNode } from 'graphql';
import type { KeyRegistry } from './auth/key-registry';
import { actorOf, type Principal } from './auth/principal';
import type { SingleEventWriter } from './engagement/engagement.service';
import type { RescoreScheduler } from './scoring/rescore-queue';
import type { FullRunQueue } from './scoring/full-run-queue';
import type { AppConfig } from './infra/config';
import { NEVER_ABANDONED } from './infra/abandoned-request';
import { LoaderRegistry } from './infra/loaders';
import { createLogger, Logger } from './infra/logger';
import { installationId } from './infra/installation';
import { AppPubSub, InProcessPubSub, RedisBackedPubSub } from './infra/pubsub';
import { Db } from './infra/sql';
import type { StatementLimits } from './infra/statement-limits';
import type { BodyBudget } from './infra/body-budget';
import type { OperationsInFlight } from './infra/operations-in-flight';

/** The process-wide services every module may use (scripts build these alone, without a server). */
export interface CoreServices {
  orm: MikroORM;
  pubsub: AppPubSub;
  logger: Logger;
  config: AppConfig;
  /** Hooks told that another scoring model version became active (the scheduler then rescores everyone). */
  onModelActivated: Array<(version: number) => void>;
  /**
   * Hooks told that a full run stopped because the session holding its lock ended and the lock could
   * not be taken again (the scheduler then runs what the runs' rows say is owed).
   */
  onFullRunLockLost: Array<() => void>;
}

/** The database the services work on, for the connections of their own a few tasks open. */
export function databaseUrlOf(services: CoreServices): string {
  return services.config.databaseUrl ?? (services.orm.config.get('clientUrl') as string);
}

/**
 * The services of a command run from a shell (the demo seed, the import): no server, and nothing
 * listens for model activations. With `REDIS_URL`, what it publishes (the demo seed's run as of now)
 * reaches the subscribers of every instance on the database, under the channels' namespace the
 * instances use; without it, nobody outside this process. Close `pubsub` when done.
 */
export async function commandServices(
  orm: MikroORM,
  config: AppConfig,
  databaseUrl: string,
  { publishes = true }: { publishes?: boolean } = {},
): Promise<CoreServices> {
  const logger = createLogger(config.logLevel);
  let pubsub: AppPubSub = new InProcessPubSub();
  // A command that scores only the past (a backfill) publishes nothing: no Redis connection for it.
  if (config.redisUrl && publishes) {
    const namespace = config.redisNamespace ?? `hg:${await installationId(orm.em.fork() as Db)}`;
    const redis = new RedisBackedPubSub(config.redisUrl, logger, namespace);
    if (!(await redis.waitUntilReady(3000))) logger.warn('redis is not reachable yet: live events of this command may reach nobody');
    pubsub = redis;
  }
  return { orm, pubsub, logger, config: { ...config, databaseUrl }, onModelActivated: [], onFullRunLockLost: [] };
}

/** A running server's services: the core ones and the writers and scheduler built on them (src/app.ts). */
export interface AppServices extends CoreServices {
  /**
   * The scoring scheduler (src/scoring/scoring.scheduler.ts), which a write of new signals wakes
   * once it commits (src/scoring/rescore-queue.ts, signalsArrived).
   */
  scheduler: RescoreScheduler;
  /** Stores concurrent `trackEngagement` calls together, one writer per app (src/engagement/engagement.service.ts). */
  engagementWriter: SingleEventWriter;
  /** What the requests of one client may hold of the connection pool (src/infra/statement-limits.ts). */
  statementLimits: StatementLimits;
  /** What the GraphQL request bodies of one client may hold in memory at once (src/infra/body-budget.ts). */
  requestBodies: BodyBudget;
  /** The GraphQL operations one client may have in flight at once (src/infra/operations-in-flight.ts). */
  operationsInFlight: OperationsInFlight;
  /** Where full runs asked for through the API wait their turn (src/scoring/full-run-queue.ts). */
  fullRunQueue: FullRunQueue;
}

/** Who is calling, established by the HTTP server or the WebSocket guard before anything runs. */
export interface RequestAuth {
  /** An API key, or a loopback client while no key exists (src/auth/principal.ts). */
  principal: Principal;
  /** The peer address, for the audit log. */
  clientAddress: string | null;
  /** The running server's keys: key management refreshes them at once. */
  keys: KeyRegistry;
}

export interface GraphQLContext {
  db: Db;
  loaders: LoaderRegistry;
  services: AppServices;
  auth: RequestAuth;
  /**
   * Aborted when the HTTP client goes away before its answer (src/infra/abandoned-request.ts): long
   * work stops then. Never aborted for a WebSocket operation.
   */
  signal: AbortSignal;
}

/** Statements one request (or WebSocket operation) runs at once at most: its share of the pool (DATABASE_POOL_MAX). */
export const STATEMENTS_PER_REQUEST = 4;

/** What is known of a request as its context is built. */
export interface RequestStart {
  /**
   * The operation's type when it is known as the context is built (a WebSocket operation); over HTTP
   * the statement limits' Apollo plugin learns it once the operation is resolved.
   */
  operation?: OperationTypeNode;
  /** Aborted when the HTTP client goes away before its answer; never, by default. */
  signal?: AbortSignal;
}

export function createContext(
  services: AppServices,
  auth: RequestAuth,
  { operation, signal = NEVER_ABANDONED }: RequestStart = {},
): GraphQLContext {
  const db = services.orm.em.fork({ clear: true }) as Db;
  services.statementLimits.forRequest(db, actorOf(auth.principal), operation);
  return {
    db,
    loaders: new LoaderRegistry(!services.config.disableDataLoader),
    services,
    auth,
    signal,
  };
}

/**
 * The contexts live events are executed with, as graphql-ws's subscriptions ask for them
 * (`subscriptionExecution`'s `eventContext`). An event needs a context of its own: with the
 * subscription's, its DataLoaders and EntityManager served every later event what the first events had
 * loaded (a renamed customer kept its old name for the subscription's life) and held all of it. One
 * context per event and caller, not per subscriber: an event reaches thousands of subscriptions, most
 * of them one key's, and a fork for each would repeat that work once per subscriber.
 */
export function liveEventContexts(services: AppServices): (subscriptionContext: unknown, payload: unknown) => GraphQLContext {
  const contexts = new WeakMap<object, Map<string, GraphQLContext>>();
  return (subscriptionContext, payload) => {
    const { auth } = subscriptionContext as GraphQLContext;
    const fresh = () => createContext(services, auth, { operation: OperationTypeNode.SUBSCRIPTION });
    if (payload === null || typeof payload !== 'object') return fresh();
    let byCaller = contexts.get(payload);
    if (!byCaller) contexts.set(payload, (byCaller = new Map()));
    const caller = actorOf(auth.principal);
    let context = byCaller.get(caller);
    if (!context) byCaller.set(caller, (context = fresh()));
    return context;
  };
}

/**
 * What a live event's answer may depend on besides its operation (`subscriptionExecution`'s
 * `audience`): the caller's scopes. A read key sees a delivery's lastError redacted and an admin
 * sees it whole, so their subscriptions to one operation are executed apart; keys of the same scopes
 * still share one execution of each event.
 */
export function liveEventAudience(subscriptionContext: unknown): string {
  return [...(subscriptionContext as GraphQLContext).auth.principal.scopes].sort().join(',');
}
