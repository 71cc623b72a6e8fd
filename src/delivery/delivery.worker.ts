// The delivery worker: graphile-worker runs the jobs that scoring enqueued (one per scoring batch
// and destination, or one per digest), on every instance at once (jobs are claimed with SKIP
// LOCKED). A batch job sends each of its deliveries as its own message, several at once, and
// records every outcome in one statement; a digest job sends its one message. A failed delivery's
// next attempt is a job of its own (`deliver_outreach`) with the backoff of retry-policy.ts. Its
// schema is installed by openDatabase (src/database.ts).
import { Logger as WorkerLogger, run, Task } from 'graphile-worker';
import { Pool } from 'pg';
import type { AppServices } from '../context';
import { untilAborted } from '../infra/abort-signals';
import type { Logger } from '../infra/logger';
import { OutageLog } from '../infra/outage-log';
import { Db, json, query } from '../infra/sql';
import { driverMessage, isDatabaseOutage } from '../infra/errors';
import { sessionUrl } from '../infra/postgres-session';
import { scoringSettled } from '../scoring/scoring-activity';
import { digestEmailContent, emailContent, emailRecipient, slackMessage, unsubscribeTargets, webhookPayload } from './delivery-messages';
import { EndpointGoneError, PermanentDeliveryError, RetryLaterError } from './delivery-errors';
import {
  collectDigest,
  DeliveryJob,
  DeliveryOutcome,
  lastErrorOf,
  loadOpenBatch,
  loadOpenDeliveries,
  OpenBatch,
  OpenDeliveries,
  OpenDelivery,
  readSendingState,
  recordOutcomes,
  WITHHELD,
} from './delivery.service';
import { DELIVER_BATCH_TASK, DELIVER_TASK, DIGEST_TASK } from './enqueue-deliveries.sql';
import { pauseGoneDestination } from './destination.service';
import { nextAttemptAt, RetryPolicy, retryWindowSpentNote } from './retry-policy';
import { createSendCheck, SendCheck, SendStop } from './send-check';
import { createMailer, HttpSendOptions, Mailer, sendEmail, sendSlack, sendWebhook } from './senders';
import { SupervisedRunner, superviseRunner } from './supervised-runner';
import type { UnsubscribeLinks } from './unsubscribe-link';

const RELEASE_TASK = 'release_stalled_deliveries';

/**
 * How old an answer a batch job's team alert may start on: the job sees its destination paused or
 * deleted meanwhile within this, and sends no more to it (a customer-facing send reads it, with the
 * customer's opt-out and churn, right before it starts).
 */
const TEAM_SEND_CHECK_MAX_AGE_MS = 1000;

interface WorkerDeps {
  lockTimeoutMs: number;
  db: () => Db;
  /**
   * The longest one send takes, on every channel (the HTTP senders and the mailer are each bounded
   * by it as a whole), ms: the sending window and the lease are derived from it.
   */
  sendTimeoutMs: number;
  mailer: Mailer | null;
  http: HttpSendOptions;
  /** Sends one batch job makes at once. */
  batchConcurrency: number;
  /** How long a batch job waits, at most, for a full scoring run on this instance to end before sending. */
  waitForScoringMs: number;
  retry: RetryPolicy;
  logger: Logger;
  /** One-click unsubscribe links for customer-facing emails, when the service has a public address. */
  unsubscribeLinks: UnsubscribeLinks | null;
  /** Aborted once the instance begins to stop: a batch job starts no further send (see batchDeliveryOutcome). */
  stopping: AbortSignal;
}

/** Sends one message (one delivery, or a digest's) to its destination; throws when it was not accepted. */
async function send(open: OpenDeliveries, messageId: string, deps: WorkerDeps): Promise<void> {
  const { destination, items } = open;
  const digest = items.length > 1 || items[0].deliveryId !== messageId;
  if (destination.kind === 'WEBHOOK') {
    await sendWebhook(
      destination.url as string,
      destination.signingSecret as string,
      messageId,
      webhookPayload(messageId, destination, items, new Date()),
      deps.http,
    );
  } else if (destination.kind === 'SLACK') {
    await sendSlack(destination.url as string, slackMessage(items), deps.http);
  } else {
    const templates = {
      subject: destination.emailSubjectTemplate,
      text: destination.emailTextTemplate,
      html: destination.emailHtmlTemplate,
    };
    const to = emailRecipient(items[0], destination.emailTo);
    if (!to) {
      throw new PermanentDeliveryError(
        items[0].action.audience === 'CUSTOMER'
          ? 'the customer has no contactEmail'
          : 'no email for the CSM in the directory, and the destination has no emailTo',
      );
    }
    const unsubscribe = digest ? [] : unsubscribeTargets(items[0], destination.emailFrom as string, deps.unsubscribeLinks);
    await sendEmail(
      deps.mailer,
      destination.emailFrom as string,
      to,
      messageId,
      digest ? digestEmailContent(items, templates) : emailContent(items[0], templates, unsubscribe),
      unsubscribe,
    );
  }
}

const CANCELLED: DeliveryOutcome = { kind: 'CANCELLED', reason: 'destination paused or deleted' };

/** Sends a message once: DELIVERED, or what its failure means (a retry as `retryJob`, or DEAD). */
async function sendOnce(open: OpenDeliveries, messageId: string, retryJob: DeliveryJob, deps: WorkerDeps): Promise<DeliveryOutcome> {
  try {
    await send(open, messageId, deps);
    return { kind: 'DELIVERED', attemptedAt: new Date() };
  } catch (error) {
    const attemptedAt = new Date();
    const message = error instanceof Error ? error.message : String(error);
    const requestedWaitMs = error instanceof RetryLaterError ? error.retryAfterMs : null;
    const permanent = error instanceof PermanentDeliveryError;
    const at = permanent ? null : nextAttemptAt(open.retryFrom, attemptedAt, open.attempts + 1, deps.retry, { requestedWaitMs });
    deps.logger.warn({ messageId, destinationId: open.destination.id, error: message, nextAttemptAt: at }, 'delivery attempt failed');
    if (at) return { kind: 'RETRYING', error: message, attemptedAt, at, job: retryJob };
    return {
      kind: 'DEAD',
      error: message,
      attemptedAt,
      endpointGone: error instanceof EndpointGoneError,
      // A failure that could have been retried: its retry window, not the failure, ended it.
      note: permanent ? undefined : retryWindowSpentNote(deps.retry),
    };
  }
}

/**
 * Pauses the destination once its receiver answered 410 Gone to one of `outcomes` (after they are
 * recorded: pausing first would cancel the very delivery that was refused), unless an admin gave it
 * another address meanwhile: the 410 was the old address's. The refused deliveries' `lastError` then
 * tells what became of the destination (pauseGoneDestination). A pause that fails is logged: the
 * outcomes stand, their `lastError` claiming no pause, and the next 410 pauses it.
 */
async function pauseIfEndpointGone(
  destination: { id: string; url?: string | null },
  outcomes: ReadonlyArray<{ deliveryId: string; outcome: DeliveryOutcome }>,
  deps: WorkerDeps,
): Promise<void> {
  const refused = outcomes.flatMap(({ deliveryId, outcome }) =>
    outcome.kind === 'DEAD' && outcome.endpointGone
      ? [{ deliveryId, attemptedAt: outcome.attemptedAt, lastError: lastErrorOf(outcome) }]
      : [],
  );
  if (refused.length === 0) return;
  const destinationId = destination.id;
  try {
    const outcome = await pauseGoneDestination(deps.db(), destinationId, destination.url ?? null, refused);
    if (outcome === 'PAUSED') deps.logger.warn({ destinationId }, 'destination paused: its receiver answered 410 Gone');
  } catch (error) {
    deps.logger.error({ destinationId, err: error }, 'could not pause a destination whose receiver answered 410 Gone');
  }
}

/**
 * Attempts a message (a delivery, or a digest) and records what happened, with the deliveries
 * withheld from their customer (opted out, churned) left out of it, in one statement; a retry is
 * queued as `retryJob`. It sends right after loading them: nothing comes between the opt-outs and
 * churns read and the send.
 */
async function attempt(open: OpenDeliveries, messageId: string, retryJob: DeliveryJob, deps: WorkerDeps): Promise<void> {
  const { withheld } = open;
  if (open.items.length === 0) return recordOutcomes(deps.db(), open.claim, withheld);
  const outcome = !open.destination.active ? CANCELLED : await sendOnce(open, messageId, retryJob, deps);
  const attempted = open.items.map(({ deliveryId }) => ({ deliveryId, outcome }));
  await recordOutcomes(deps.db(), open.claim, [...withheld, ...attempted]);
  await pauseIfEndpointGone(open.destination, attempted, deps);
}

/** Runs `work` on every item, at most `limit` at once; the results in the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/**
 * How long a batch job may start sends for: half the margin between DELIVERY_LOCK_TIMEOUT_MS and
 * DELIVERY_TIMEOUT_MS, so that its last send, and recording the outcomes, end before its lock
 * would be taken for a crashed instance's.
 */
function sendingWindowMs(deps: WorkerDeps): number {
  return (deps.lockTimeoutMs - deps.sendTimeoutMs) / 2;
}

/**
 * How long after an attempt took its deliveries (`sending_since`) it can still be sending: no send
 * starts after the sending window, and none, on any channel, lasts longer than `sendTimeoutMs`.
 * Shorter than the job lock: a job released after a crash finds its deliveries free again.
 */
function leaseMs(deps: WorkerDeps): number {
  return sendingWindowMs(deps) + deps.sendTimeoutMs;
}

/**
 * Sends a batch job's open deliveries, each as its own message (its delivery id as webhook-id),
 * `batchConcurrency` at once, and records every outcome in one statement.
 */
async function attemptBatch(open: OpenBatch, startBy: number, deps: WorkerDeps): Promise<void> {
  const db = deps.db();
  const mayStart = createSendCheck((customerIds) => readSendingState(db, open.destination.id, customerIds), TEAM_SEND_CHECK_MAX_AGE_MS, {
    destinationActive: open.destination.active,
    knownAt: Date.now(),
  });
  const outcomes = await mapConcurrently(open.items, deps.batchConcurrency, async (delivery) => ({
    deliveryId: delivery.deliveryId,
    outcome: await batchDeliveryOutcome(open, delivery, startBy, mayStart, deps),
  }));
  await recordOutcomes(db, open.claim, outcomes);
  await pauseIfEndpointGone(open.destination, outcomes, deps);
}

/**
 * What becomes of one delivery of a batch. No send starts after `startBy`, nor once the instance is
 * stopping: the deliveries left are handed to jobs of their own (still PENDING, not an attempt), which
 * another instance, or the next start, runs at once; the sends in flight end (each within the send
 * timeout) and are recorded with them, so the job ends, and lets go of its lock, within the stop. Each send first asks `mayStart`: once
 * the destination is paused or deleted the rest are not sent (pausing cancelled them), and a
 * customer-facing one whose customer has opted out or churned is CANCELLED, as its own job would close it.
 * Should that check fail, the delivery is handed on rather than sent unchecked.
 */
async function batchDeliveryOutcome(
  open: OpenBatch,
  { retryFrom, attempts, withheld, ...item }: OpenDelivery,
  startBy: number,
  mayStart: SendCheck,
  deps: WorkerDeps,
): Promise<DeliveryOutcome> {
  const job = { task: DELIVER_TASK, payload: { deliveryId: item.deliveryId } };
  const handOn: DeliveryOutcome = { kind: 'PENDING', job };
  if (!open.destination.active) return CANCELLED;
  if (withheld) return WITHHELD[withheld];
  if (Date.now() > startBy || deps.stopping.aborted) return handOn;
  let stop: SendStop;
  try {
    stop = await mayStart(item.action.audience === 'CUSTOMER' ? item.customer.id : null);
  } catch (error) {
    deps.logger.warn({ deliveryId: item.deliveryId, err: error }, 'could not check the delivery before sending it: handed on');
    return handOn;
  }
  if (stop === 'DESTINATION_INACTIVE') return CANCELLED;
  if (stop) return WITHHELD[stop];
  if (Date.now() > startBy || deps.stopping.aborted) return handOn;
  return sendOnce(
    { destination: open.destination, items: [item], retryFrom, attempts, withheld: [], claim: open.claim },
    item.deliveryId,
    job,
    deps,
  );
}

/** Attempts a digest's message; its retry carries the digest id. */
async function attemptDigest(digestId: string, deps: WorkerDeps): Promise<void> {
  const open = await loadOpenDeliveries(deps.db(), { digestId }, leaseMs(deps));
  if (open) await attempt(open, digestId, { task: DIGEST_TASK, payload: { digestId } }, deps);
}

function tasks(deps: WorkerDeps): Record<string, Task> {
  return {
    // Scoring comes first: the batch's sends wait for the scoring still running here (the
    // rest of the run), within half the sending window. A rerun (after a crash) finds only the
    // deliveries still open: the others are not sent again.
    [DELIVER_BATCH_TASK]: async (payload) => {
      const { deliveryIds } = payload as { deliveryIds: string[] };
      const startBy = Date.now() + sendingWindowMs(deps);
      await untilAborted(scoringSettled(Math.min(deps.waitForScoringMs, sendingWindowMs(deps) / 2)), deps.stopping);
      const open = await loadOpenBatch(deps.db(), deliveryIds, leaseMs(deps));
      if (open) await attemptBatch(open, startBy, deps);
    },
    [DELIVER_TASK]: async (payload) => {
      const { deliveryId } = payload as { deliveryId: string };
      const open = await loadOpenDeliveries(deps.db(), { deliveryId }, leaseMs(deps));
      if (open) await attempt(open, deliveryId, { task: DELIVER_TASK, payload: { deliveryId } }, deps);
    },
    // First run: takes the destination's waiting deliveries for the CSM as one digest. Run again
    // after dying, it first sends the digest it had taken, then those that joined meanwhile. A retry
    // carries the digest id, so every attempt sends the same actions under the same webhook-id.
    [DIGEST_TASK]: async (payload) => {
      const { destinationId, csmOwner, digestId } = payload as { destinationId?: string; csmOwner?: string | null; digestId?: string };
      if (digestId) return attemptDigest(digestId, deps);
      for (let round = 0; round < 2; round++) {
        const collected = await collectDigest(deps.db(), destinationId as string, csmOwner ?? null, leaseMs(deps));
        if (!collected) return;
        await attemptDigest(collected.digestId, deps);
        if (!collected.earlier) return;
      }
    },
    [RELEASE_TASK]: async () => {
      await releaseStalledDeliveries(deps.db(), deps.lockTimeoutMs);
    },
  };
}

/**
 * Releases delivery jobs locked for longer than any of them can take (a batch job stops starting
 * sends in time, see attemptBatch): their instance died (a crash, SIGKILL, a lost machine) while
 * sending. graphile-worker would release them only after
 * four hours; another instance runs them now, and the receiver sees the same webhook-id again.
 */
export async function releaseStalledDeliveries(db: Db, lockTimeoutMs: number): Promise<number> {
  const rows = await query<{ workers: number }>(
    db,
    `with stalled as (
       select distinct locked_by from graphile_worker.jobs
       where locked_at < now() - make_interval(secs => ?::float8 / 1000) and task_identifier in (?, ?, ?)
     )
     select count(*)::int as workers, graphile_worker.force_unlock_workers(array(select locked_by from stalled)) from stalled`,
    [lockTimeoutMs, DELIVER_BATCH_TASK, DELIVER_TASK, DIGEST_TASK],
  );
  return rows[0]?.workers ?? 0;
}

/** Releases the jobs locked under `lockHolders`: this instance's own runner that held them died. */
async function releaseJobsOf(db: Db, lockHolders: readonly string[]): Promise<void> {
  await query(db, `select graphile_worker.force_unlock_workers(array(select json_array_elements_text(?::json)))`, [json(lockHolders)]);
}

/**
 * The worker's database outages, said once each (OutageLog), as the Redis connections say theirs:
 * graphile-worker retries its polling, its listener and its cron every few seconds while the
 * database is down. A refused connection needs no stack: the reason and code say it.
 */
function databaseOutageLog(logger: Logger): OutageLog {
  return new OutageLog(logger, {
    lost: 'database connection lost: deliveries wait until it is back',
    repeated: 'database still unavailable',
    restored: 'database connection restored: deliveries resume',
  });
}

/** Whether `error` is the database being unavailable, told to `outages` if so. */
function databaseFailed(outages: OutageLog, error: unknown, details: Record<string, unknown> = {}): boolean {
  if (!isDatabaseOutage(error)) return false;
  outages.failed({ ...details, reason: driverMessage(error), code: (error as { code?: unknown }).code });
  return true;
}

/**
 * graphile-worker's messages, as lines of module `delivery-worker`, a failure's error under `err`. From the service's root logger:
 * pino repeats a key a child binds again, and a line naming `module` twice is refused by log
 * pipelines that reject duplicate fields. A failure that is a database outage is said by `outages`.
 */
function workerLogger(rootLogger: Logger, stopping: () => boolean, outages: OutageLog): WorkerLogger {
  const logger = rootLogger.child({ module: 'delivery-worker' });
  return new WorkerLogger(() => (level, message, meta) => {
    // graphile-worker names a failure `error`, or `fatalError` when it stops its pool for it (a batch
    // of jobs it could not record: the supervisor says the stop, and starts another runner).
    const { error: failure, fatalError, ...rest } = meta ?? {};
    const error = failure ?? fatalError;
    if (error !== undefined && databaseFailed(outages, error, { during: message })) return;
    const method = workerLogMethod(level, message, stopping(), error);
    // pino serializes an Error only under `err` (message, code, stack): under any other key it is logged as `{}`.
    logger[method](error === undefined ? rest : { ...rest, err: error }, message);
  });
}

/**
 * What graphile-worker logs when its local queue is released while jobs it fetched are completing:
 * its own race at a graceful stop, in which nothing is lost (the jobs in flight are recorded, and a
 * job left locked is released at the next start). Logged at error level, it raised error alerts at
 * every deploy that stopped the service during deliveries.
 */
const RELEASE_RACE_MESSAGES = ['Releasing local queue failed', 'Error occurred whilst attempting to release runner options'];
/**
 * The error of that race, thrown by the local queue when jobs come back to it after its release. The
 * stop's other steps report it wrapped ("Deactivation failed", "Error occurred during graceful
 * shutdown", then "… forceful shutdown", with an AggregateError "Errors occurred whilst deactivating
 * queue" around it): they are known by it, whatever their own message.
 */
const RELEASED_QUEUE_ERROR = 'Cannot background something when the queue is already released';

/** Whether `error` is the release race's, alone or gathered with nothing else (an AggregateError, a cause). */
function isReleaseRace(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.message.startsWith(RELEASED_QUEUE_ERROR)) return true;
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isReleaseRace);
  return isReleaseRace(error.cause);
}

/**
 * The log method of a graphile-worker message: its level, but as a warning the release race of a
 * stop, and a failure that is the database being unavailable (a restart, a failover): the worker
 * retries its listener, its polling and its cron every few seconds, each time logging an error, and
 * an outage already shows in /readyz; the pool logs the lost connection once as a warning too.
 */
export function workerLogMethod(level: string, message: string, stopping: boolean, error?: unknown): 'error' | 'warn' | 'debug' {
  if (level === 'error') {
    const raced = stopping && (RELEASE_RACE_MESSAGES.some((start) => message.startsWith(start)) || isReleaseRace(error));
    return raced || (error !== undefined && isDatabaseOutage(error)) ? 'warn' : 'error';
  }
  return level === 'warning' ? 'warn' : 'debug';
}

export interface DeliveryWorker {
  /**
   * The instance begins to stop: the worker takes no further job, and its batch jobs start no further
   * send and hand what they have not sent on (see batchDeliveryOutcome), so that the jobs in flight
   * end, and are recorded, within the shutdown. Called as the stop begins, not after the HTTP drain:
   * a batch's sends would otherwise go on for as long as the drain lasts, and the jobs it hands on
   * would be taken by this very worker.
   */
  beginStop(): void;
  /**
   * Whether the worker takes jobs: false while it restarts after its runner died (see
   * superviseRunner), and once the stop began; null when it does not run on this instance
   * (DELIVERY_CONCURRENCY 0).
   */
  isRunning(): boolean | null;
  /** Stops the worker (beginStop, if not done yet), waiting for the jobs in flight. */
  stop(): Promise<void>;
}

/**
 * The queue's connections, in a pool of our own that stop() ends and awaits: graphile-worker ends a
 * pool it made without waiting, and drops its error listener first, so a connection the server
 * closed meanwhile (a restart, a dropped database) would surface as an unhandled 'error' event and
 * take the process down. Idle clients report on the pool, checked-out ones on themselves (the pair
 * of handlers graphile-worker asks for). Its connections carry the service's session settings, as
 * every other connection does.
 */
function openQueuePool(databaseUrl: string, max: number, logger: Logger, outages: OutageLog): Pool {
  const pgPool = new Pool({ connectionString: sessionUrl(databaseUrl), max });
  const connectionFailed = (error: Error) => {
    if (!databaseFailed(outages, error)) logger.warn({ err: error }, 'delivery queue: a database connection failed');
  };
  pgPool.on('error', connectionFailed);
  pgPool.on('connect', (client) => {
    outages.restored();
    client.on('error', connectionFailed);
  });
  return pgPool;
}

/**
 * Unless DELIVERY_CONCURRENCY is 0, starts this instance's worker. Jobs left locked by a crashed
 * instance are released first.
 */
export async function startDeliveryWorker(services: AppServices, databaseUrl: string): Promise<DeliveryWorker> {
  const { config } = services;
  const logger = services.logger.child({ module: 'delivery' });
  const db = (): Db => services.orm.em.fork() as Db;
  await releaseStalledDeliveries(db(), config.deliveryLockTimeoutMs);
  if (config.deliveryConcurrency === 0) return { beginStop: () => undefined, isRunning: () => null, stop: async () => undefined };
  const stopping = new AbortController();
  const sendTimeoutMs = config.deliveryTimeoutMs;
  const deps: WorkerDeps = {
    db,
    sendTimeoutMs,
    mailer: createMailer(config.smtpUrl, sendTimeoutMs),
    http: { timeoutMs: sendTimeoutMs, allowPrivateNetworks: config.deliveryAllowPrivateNetworks },
    batchConcurrency: config.deliveryBatchConcurrency,
    waitForScoringMs: config.deliveryWaitForScoringMs,
    retry: { baseMs: config.deliveryRetryBaseMs, maxDelayMs: config.deliveryRetryMaxDelayMs, windowMs: config.deliveryRetryWindowMs },
    logger,
    lockTimeoutMs: config.deliveryLockTimeoutMs,
    unsubscribeLinks: config.unsubscribeLinks,
    stopping: stopping.signal,
  };
  const outages = databaseOutageLog(logger);
  const pgPool = openQueuePool(databaseUrl, Math.min(config.deliveryConcurrency + 2, 12), logger, outages);
  let runner: SupervisedRunner;
  try {
    runner = await superviseRunner({
      start: (events) =>
        run({
          pgPool,
          events,
          concurrency: config.deliveryConcurrency,
          pollInterval: config.deliveryPollIntervalMs,
          noHandleSignals: true,
          logger: workerLogger(services.logger, () => stopping.signal.aborted, outages),
          taskList: tasks(deps),
          crontab: `* * * * * ${RELEASE_TASK}`,
          // Jobs are small and many at once after a scoring run: fetch them in batches and complete
          // them in batches (graphile-worker's documented batching), instead of two round trips per job.
          // A crash leaves these locked too; releaseStalledDeliveries frees them, and the supervisor
          // those of a runner that died here.
          preset: { worker: { localQueue: { size: config.deliveryConcurrency * 4 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
        }),
      release: (lockHolders) => releaseJobsOf(db(), lockHolders),
      failed: (error) => {
        if (!databaseFailed(outages, error, { during: 'restarting the delivery worker' }))
          logger.error({ err: error }, 'could not restart the delivery worker, or release the jobs its dead runner held');
      },
      maxTaskWaitMs: config.deliveryLockTimeoutMs,
      logger,
    });
  } catch (error) {
    await pgPool.end();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const beginStop = () => {
    stopping.abort();
    // Graceful: the jobs in flight finish (their sends in flight, each within the send timeout) and are recorded.
    stopped ??= runner.stop();
    // Awaited by stop(), after the drain: a failure is reported there, not as an unhandled rejection meanwhile.
    stopped.catch(() => undefined);
  };
  return {
    beginStop,
    isRunning: () => runner.running,
    async stop() {
      beginStop();
      await stopped;
      await pgPool.end();
      deps.mailer?.transport.close();
    },
  };
}
