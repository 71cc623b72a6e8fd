// Composition root: opens the database (running migrations), the PubSub and the HTTP/WebSocket
// server, and returns one `stop()` that closes them in order. Used by main.ts, tests and benches.
import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppConfig } from './infra/config';
import { AppServices, CoreServices, STATEMENTS_PER_REQUEST } from './context';
import { openDatabase } from './database';
import { ServerOptions, startHttpServer } from './http-server';
import { createLogger, Logger } from './infra/logger';
import { installationId } from './infra/installation';
import { AppPubSub, createPubSub, RedisBackedPubSub } from './infra/pubsub';
import { refuseMisconfiguredRedis } from './infra/redis-connection';
import { buildAppSchema } from './schema';
import { Db } from './infra/sql';
import { DeliveryWorker, startDeliveryWorker } from './delivery/delivery.worker';
import { adoptCurrentDefaultModel } from './scoring/scoring-model.service';
import { ScoringScheduler } from './scoring/scoring.scheduler';
import { SingleEventWriter } from './engagement/engagement.service';
import { StatementLimits } from './infra/statement-limits';
import { BODIES_IN_FLIGHT_PER_KEY, BodyBudget } from './infra/body-budget';
import { OperationsInFlight } from './infra/operations-in-flight';
import { FullRunQueue } from './scoring/full-run-queue';

export interface RunningApp {
  url: string;
  port: number;
  services: AppServices;
  orm: MikroORM;
  pubsub: AppPubSub;
  scheduler: ScoringScheduler;
  deliveryWorker: DeliveryWorker;
  stop(): Promise<void>;
}

/** MikroORM colours its log lines for a terminal; the service logs JSON. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
function stripColours(message: string): string {
  return message.replace(ANSI_COLOUR, '');
}

/** How long a readiness answer that the instance can serve is given again to the probes that follow it. */
const READINESS_REUSED_MS = 1000;

/**
 * `check`, run once for all callers that arrive while it runs; an answer `reusable` says may be
 * given again is, to the callers of the next `reuseMs`. /readyz answers anyone without a key: a
 * flood of probes would otherwise take a pool connection (and a Redis round trip) each, and starve
 * the clients the pool is for. An orchestrator probes every few seconds: it sees an outage a second
 * later at most, and the return from one at once (an outage's answer is not reused).
 */
function reusedBriefly<T>(check: () => Promise<T>, reuseMs: number, reusable: (answer: T) => boolean): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => {
    if (answer) return answer;
    const running = check();
    answer = running;
    const forget = (): void => {
      if (answer === running) answer = undefined;
    };
    running.then((value) => (reusable(value) ? setTimeout(forget, reuseMs).unref() : forget()), forget);
    return running;
  };
}

/**
 * What /readyz answers. Only the database decides readiness: without Redis, queries, mutations and
 * scoring go on and live events pause (subscribers get a resync event when they resume); without
 * the delivery worker (restarting after its runner died) they go on and this instance's deliveries
 * wait, other instances' workers taking the jobs meanwhile. Neither pulls the instance: it says so
 * (degraded). Run at most once at a time, and a servable answer reused briefly (reusedBriefly).
 */
function readinessCheck(orm: MikroORM, pubsub: AppPubSub, deliveryWorker: DeliveryWorker): ServerOptions['readiness'] {
  return reusedBriefly(
    async () => {
      const unanswered = new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref());
      const database = await Promise.race([orm.isConnected().catch(() => false), unanswered]);
      const checks: Record<string, boolean> = { database };
      if (pubsub instanceof RedisBackedPubSub) checks.redis = pubsub.isHealthy() && (await pubsub.ping());
      const deliveries = deliveryWorker.isRunning();
      if (deliveries !== null) checks.deliveries = deliveries;
      return readinessOf(checks);
    },
    READINESS_REUSED_MS,
    (answer) => answer.status !== 'unavailable',
  );
}

/** What /readyz says of its checks: unavailable without the database, degraded without another of them. */
export function readinessOf(checks: Record<string, boolean>): Awaited<ReturnType<ServerOptions['readiness']>> {
  if (!checks.database) return { status: 'unavailable', checks };
  const paused = [
    ...(checks.redis === false ? ['redis unreachable: live events paused'] : []),
    ...(checks.deliveries === false ? ['delivery worker restarting: deliveries from this instance paused'] : []),
  ];
  if (paused.length > 0) return { status: 'degraded', checks, detail: `${paused.join(', ')}, queries and mutations served` };
  return { status: 'ready', checks };
}

/** What the requests of one client may hold at once: of the connection pool, of memory for their bodies, and operations in flight. */
function clientLimits(config: AppConfig): Pick<AppServices, 'statementLimits' | 'requestBodies' | 'operationsInFlight'> {
  return {
    statementLimits: new StatementLimits({
      perRequest: STATEMENTS_PER_REQUEST,
      perClient: config.statementsPerKey,
      poolSize: config.databasePoolMax,
      queryTimeoutMs: config.queryStatementTimeoutMs,
      queryWaitTimeoutMs: config.queryStatementWaitTimeoutMs,
    }),
    requestBodies: new BodyBudget(BODIES_IN_FLIGHT_PER_KEY * config.maxBodyBytes),
    operationsInFlight: new OperationsInFlight(config.operationsPerKey, config.operationsWaitingPerKey),
  };
}

export async function startApp(
  config: AppConfig & { databaseUrl: string },
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningApp> {
  if (config.redisUrl) await refuseMisconfiguredRedis(config.redisUrl);
  const ormLogger = logger.child({ module: 'orm' });
  const orm = await openDatabase(config.databaseUrl, config.databasePoolMax, {
    info: (message) => ormLogger.info(stripColours(message)),
    warn: (message) => ormLogger.warn(stripColours(message)),
  });
  // Every instance on this database shares its Redis channels and keys; no other deployment does.
  const redisNamespace = config.redisNamespace ?? `hg:${await installationId(orm.em.fork() as Db)}`;
  config = { ...config, redisNamespace };
  const pubsub = createPubSub(config.redisUrl, logger, redisNamespace, config.wsMaxQueuedEvents, config.wsMaxQueuedEventsTotal);
  if (pubsub instanceof RedisBackedPubSub && !(await pubsub.waitUntilReady(3000))) {
    logger.warn('redis is not reachable yet: serving without live events until it is');
  }
  const core: CoreServices = { orm, pubsub, logger, config, onModelActivated: [], onFullRunLockLost: [] };
  // Writes of new signals wake the scheduler (src/scoring/rescore-queue.ts); it starts scheduling
  // rounds once the server is up (scheduler.start below).
  const scheduler = new ScoringScheduler(core);
  const services: AppServices = {
    ...core,
    scheduler,
    engagementWriter: new SingleEventWriter(() => orm.em.fork({ clear: true }) as Db, scheduler),
    ...clientLimits(config),
    fullRunQueue: new FullRunQueue(config.fullRunsWaiting),
  };
  let deliveryWorker: DeliveryWorker | undefined;
  try {
    // Before the server takes requests: deliveries a crashed instance left locked are released.
    deliveryWorker = await startDeliveryWorker(services, config.databaseUrl);
    const schema = await buildAppSchema(pubsub);
    const server = await startHttpServer({
      schema,
      services,
      port: config.port,
      host: config.host,
      readiness: readinessCheck(orm, pubsub, deliveryWorker),
    });
    // A new version is activated as any is: the scheduler, listening already, rescores everyone once it starts.
    const adopted = await adoptCurrentDefaultModel(services, orm.em.fork() as Db);
    if (adopted)
      logger.info(
        { version: adopted.version },
        'the active scoring model was a default of an earlier release: the current default model is now active',
      );
    scheduler.start();
    const port = Number(new URL(server.url).port);
    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      port,
      services,
      orm,
      pubsub,
      scheduler,
      deliveryWorker,
      stop: () =>
        (stopping ??= (async () => {
          // From the first moment no scoring round starts: the batch being scored finishes while the
          // requests drain, and the customers still queued wait in the database for the next start.
          const scoringStopped = scheduler.stop();
          // A run asked for through the API too: its caller is answered within the drain (503), its
          // batches in flight finish, and it ends marked interrupted before the ORM and Redis close.
          const fullRunsStopped = services.fullRunQueue.stop();
          // Batch jobs start no further send: the sends in flight end and are recorded while the requests drain.
          (deliveryWorker as DeliveryWorker).beginStop();
          await server.close();
          await scoringStopped;
          await fullRunsStopped;
          // The jobs in flight end; what they did not send, and the last batch's deliveries, stay queued.
          await (deliveryWorker as DeliveryWorker).stop();
          await pubsub.close();
          await orm.close();
        })()),
    };
  } catch (error) {
    await deliveryWorker?.stop();
    await pubsub.close();
    await orm.close();
    throw error;
  }
}
