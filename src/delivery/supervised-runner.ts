// Keeps this instance's graphile-worker runner running. graphile-worker stops a runner for good when
// its worker pool fails: when it cannot record a batch of jobs as completed or failed (the database
// unavailable at that moment), it takes its queue for inconsistent and shuts the pool, and the
// runner with it, down. Nothing restarts it: the instance would take no delivery job until
// restarted, and the jobs the dead pool held would stay locked. The supervisor starts another
// runner after a back-off, releasing the dead one's jobs first, until the instance stops.
//
// A dead runner's tasks may outlive it: when the database is down its graceful shutdown fails and
// graphile-worker falls back to a forceful one, which lets the workers go without waiting for their
// tasks. A job is released only once its task has ended, else another instance would send its
// message again while this one is still sending it.
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Runner, WorkerEvents } from 'graphile-worker';
import { ABORTED, untilAborted } from '../infra/abort-signals';
import type { Logger } from '../infra/logger';

export interface RunnerSupervision {
  /** Starts a runner that reports to `events` (graphile-worker's `events` option). */
  start(events: WorkerEvents): Promise<Runner>;
  /** Releases the jobs locked under `lockHolders` (a dead runner's pool and workers). */
  release(lockHolders: readonly string[]): Promise<void>;
  /**
   * A restart, or the release of a dead runner's jobs, that failed (the database still unavailable,
   * most often): the next restart is tried after the back-off.
   */
  failed(error: unknown): void;
  logger: Logger;
  /**
   * The wait before the first restart, ms, doubled after each failed restart, and after each runner
   * that dies within `stableAfterMs` of its start, up to `maxRestartDelayMs`.
   */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** How long a runner must stay up for the next death to be restarted after `restartDelayMs` again, ms. */
  stableAfterMs?: number;
  /**
   * The longest wait for a dead runner's tasks in flight to end before its jobs are released anyway,
   * ms: the jobs' lock timeout, after which other instances take them for a crashed one's. Default: no limit.
   */
  maxTaskWaitMs?: number;
}

export interface SupervisedRunner {
  /** Whether a runner is running: false from the moment one begins to stop on its own to the start of the next. */
  readonly running: boolean;
  /**
   * Stops the runner (gracefully: the jobs in flight finish) and starts no other; resolves once it has
   * stopped. Safe in any state: running, stopping or stopped on its own, being restarted. Called
   * again, it returns the same stop.
   */
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 10_000;
const STABLE_AFTER_MS = 60_000;

/** The tasks a runner's workers are running, followed through graphile-worker's `job:*` events. */
interface TasksInFlight {
  readonly count: number;
  /** Resolves once none is in flight. */
  ended(): Promise<void>;
}

function followTasks(events: WorkerEvents): TasksInFlight {
  // A worker runs one task at a time: the ids of the workers in the middle of one.
  const busy = new Set<string>();
  let waiters: Array<() => void> = [];
  const done = ({ worker }: { worker: { workerId: string } }) => {
    busy.delete(worker.workerId);
    if (busy.size > 0) return;
    waiters.forEach((wake) => wake());
    waiters = [];
  };
  events.on('job:start', ({ worker }) => busy.add(worker.workerId));
  events.on('job:complete', done);
  // Emitted instead of job:complete when recording the job's outcome threw.
  events.on('worker:fatalError', done);
  return {
    get count() {
      return busy.size;
    },
    ended: () => (busy.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

interface Watched {
  runner: Runner;
  /** Set once the runner begins to stop, whoever stopped it: it refuses a second stop() from then on. */
  readonly stopping: boolean;
  /** The ids it locks jobs under: its pool's (a local queue's jobs) and its workers'. */
  lockHolders: Set<string>;
  tasks: TasksInFlight;
}

/** A dead runner whose jobs are not released yet. */
interface Dead {
  lockHolders: string[];
  tasks: TasksInFlight;
}

/**
 * The waits between restarts: doubled after each (up to the cap) while runners die soon after their
 * start, which would otherwise be restarted, and reported, every second; back to the first once one
 * stayed up.
 */
class RestartBackOff {
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableAfterMs: number;
  private nextDelayMs: number;
  /** Runners that died one after the other, each within stableAfterMs of its start. */
  deathsInARow = 0;

  constructor(supervision: RunnerSupervision) {
    this.firstDelayMs = supervision.restartDelayMs ?? RESTART_DELAY_MS;
    this.maxDelayMs = supervision.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS;
    this.stableAfterMs = supervision.stableAfterMs ?? STABLE_AFTER_MS;
    this.nextDelayMs = this.firstDelayMs;
  }

  /** The wait before the next restart (a failed restart's next try too). */
  next(): number {
    const waitMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.maxDelayMs);
    return waitMs;
  }

  /** Counts, and says, a runner that died after `upMs`: an error line once, not at each death of runners that keep dying. */
  died(upMs: number, logger: Logger): void {
    if (upMs >= this.stableAfterMs) {
      this.nextDelayMs = this.firstDelayMs;
      this.deathsInARow = 0;
    }
    this.deathsInARow += 1;
    const details = { restartInMs: this.nextDelayMs, deathsInARow: this.deathsInARow };
    if (this.deathsInARow === 1) {
      logger.error(details, 'delivery worker stopped on its own: another starts shortly; deliveries on this instance wait until then');
    } else if (this.deathsInARow === 2) {
      logger.warn(
        { ...details, stableAfterMs: this.stableAfterMs, maxRestartDelayMs: this.maxDelayMs },
        'delivery worker stopped on its own again soon after its restart: restarted after longer and longer waits, and said at debug level, until one stays up',
      );
    } else {
      logger.debug(details, 'delivery worker stopped on its own again');
    }
  }
}

/** Resolves once a dead runner's tasks in flight have ended, or after `limitMs` (if set). */
async function tasksEnded(tasks: TasksInFlight, logger: Logger, limitMs: number | undefined): Promise<void> {
  if (tasks.count === 0) return;
  logger.info({ tasksInFlight: tasks.count }, 'delivery worker: waiting for the dead runner’s jobs in flight to end before releasing them');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    if (limitMs !== undefined) timer = setTimeout(() => resolve(true), limitMs).unref();
  });
  const late = await Promise.race([tasks.ended().then(() => false), timedOut]);
  clearTimeout(timer);
  if (late)
    logger.warn(
      { tasksInFlight: tasks.count, waitedMs: limitMs },
      'delivery worker: the dead runner’s jobs still in flight are released anyway, past their lock timeout',
    );
}

/** Starts a runner (a failure to start the first is thrown), and another whenever it dies, until stop(). */
export async function superviseRunner(supervision: RunnerSupervision): Promise<SupervisedRunner> {
  const { logger } = supervision;
  const halt = new AbortController();
  let current: Watched | null = null;
  let restarting: Promise<void> = Promise.resolve();
  let dead: Dead | null = null;
  let stopped: Promise<void> | undefined;
  const backOff = new RestartBackOff(supervision);

  const startRunner = async (): Promise<void> => {
    const events = new EventEmitter() as WorkerEvents;
    const lockHolders = new Set<string>();
    const state = { stopping: false };
    events.on('pool:create', ({ workerPool }) => lockHolders.add(workerPool.id));
    events.on('worker:create', ({ worker }) => lockHolders.add(worker.workerId));
    events.on('stop', () => (state.stopping = true));
    const tasks = followTasks(events);
    const runner = await supervision.start(events);
    // Stopped while it started: it takes no job.
    if (halt.signal.aborted) return runner.stop();
    const startedAt = Date.now();
    current = {
      runner,
      lockHolders,
      tasks,
      get stopping() {
        return state.stopping;
      },
    };
    // Settles once the runner has stopped, whoever stopped it; it rejects in no release we use, but
    // either way the runner is gone.
    const ended = (): void => {
      if (halt.signal.aborted) return;
      current = null;
      dead = { lockHolders: [...lockHolders], tasks };
      backOff.died(Date.now() - startedAt, logger);
      restarting = restart();
    };
    runner.promise.then(ended, ended);
  };

  const restart = async (): Promise<void> => {
    for (;;) {
      await untilAborted(delay(backOff.next(), undefined, { ref: false }), halt.signal);
      if (halt.signal.aborted) return;
      try {
        if (dead) {
          // Released before its tasks end, a job would be taken, and its message sent, by another instance meanwhile.
          if ((await untilAborted(tasksEnded(dead.tasks, logger, supervision.maxTaskWaitMs), halt.signal)) === ABORTED) return;
          await supervision.release(dead.lockHolders);
          dead = null;
        }
        await startRunner();
        if (backOff.deathsInARow === 1) logger.info('delivery worker restarted: deliveries resume');
        else logger.debug({ deathsInARow: backOff.deathsInARow }, 'delivery worker restarted');
        return;
      } catch (error) {
        supervision.failed(error);
      }
    }
  };

  await startRunner();
  return {
    get running() {
      return current !== null && !current.stopping;
    },
    stop() {
      stopped ??= (async () => {
        halt.abort();
        // A restart waiting out its back-off, or for the dead runner's tasks, ends at once; one starting a runner stops it.
        await restarting;
        if (current && !current.stopping) return current.runner.stop();
        if (current) {
          // Stopping on its own, it would refuse to be stopped again: it is waited for.
          await current.runner.promise.catch(() => undefined);
          dead = { lockHolders: [...current.lockHolders], tasks: current.tasks };
        }
        // Dead before a restart: its jobs are released now (once its tasks have ended) if the database
        // is back, or by another instance once they are older than the lock timeout.
        if (dead) {
          const { lockHolders, tasks } = dead;
          await tasksEnded(tasks, logger, supervision.maxTaskWaitMs);
          await supervision.release(lockHolders).catch(supervision.failed);
        }
      })();
      return stopped;
    },
  };
}
