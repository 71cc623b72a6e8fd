// Keeps this instance's graphile-worker runner running. graphile-worker stops a runner for good when
// its worker pool fails: when it cannot record a batch of jobs as completed or failed (the database
// unavailable at that moment), it takes its queue for inconsistent and shuts the pool, and the
// runner with it, down. Nothing restarts it: the instance would take no delivery job until
// restarted, and the jobs the dead pool held would stay locked. The supervisor starts another
// runner after a back-off, releasing the dead one's jobs first, until the instance stops.
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Runner, WorkerEvents } from 'graphile-worker';
import { untilAborted } from '../infra/abort-signals';
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
  /** The wait before the first restart, doubled after each failed one up to `maxRestartDelayMs`, ms. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
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

interface Watched {
  runner: Runner;
  /** Set once the runner begins to stop, whoever stopped it: it refuses a second stop() from then on. */
  readonly stopping: boolean;
  /** The ids it locks jobs under: its pool's (a local queue's jobs) and its workers'. */
  lockHolders: Set<string>;
}

/** Starts a runner (a failure to start the first is thrown), and another whenever it dies, until stop(). */
export async function superviseRunner(supervision: RunnerSupervision): Promise<SupervisedRunner> {
  const { logger } = supervision;
  const firstDelayMs = supervision.restartDelayMs ?? RESTART_DELAY_MS;
  const maxDelayMs = supervision.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS;
  const halt = new AbortController();
  let current: Watched | null = null;
  let restarting: Promise<void> = Promise.resolve();
  /** The lock holders of a dead runner whose jobs are not released yet. */
  let held: string[] = [];
  let stopped: Promise<void> | undefined;

  const startRunner = async (): Promise<void> => {
    const events = new EventEmitter() as WorkerEvents;
    const lockHolders = new Set<string>();
    const state = { stopping: false };
    events.on('pool:create', ({ workerPool }) => lockHolders.add(workerPool.id));
    events.on('worker:create', ({ worker }) => lockHolders.add(worker.workerId));
    events.on('stop', () => (state.stopping = true));
    const runner = await supervision.start(events);
    // Stopped while it started: it takes no job.
    if (halt.signal.aborted) return runner.stop();
    current = {
      runner,
      lockHolders,
      get stopping() {
        return state.stopping;
      },
    };
    // Settles once the runner has stopped, whoever stopped it; it rejects in no release we use, but
    // either way the runner is gone.
    const ended = (): void => {
      if (halt.signal.aborted) return;
      current = null;
      logger.error(
        { restartInMs: firstDelayMs },
        'delivery worker stopped on its own: another starts shortly; deliveries on this instance wait until then',
      );
      held = [...lockHolders];
      restarting = restart();
    };
    runner.promise.then(ended, ended);
  };

  const restart = async (): Promise<void> => {
    for (let waitMs = firstDelayMs; ; waitMs = Math.min(waitMs * 2, maxDelayMs)) {
      await untilAborted(delay(waitMs, undefined, { ref: false }), halt.signal);
      if (halt.signal.aborted) return;
      try {
        if (held.length > 0) await supervision.release(held);
        held = [];
        await startRunner();
        logger.info('delivery worker restarted: deliveries resume');
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
        // A restart waiting out its back-off ends at once; one starting a runner stops it.
        await restarting;
        if (current && !current.stopping) return current.runner.stop();
        if (current) {
          // Stopping on its own, it would refuse to be stopped again: it is waited for.
          await current.runner.promise.catch(() => undefined);
          held = [...current.lockHolders];
        }
        // Dead before a restart: its jobs are released now if the database is back, or by another
        // instance once they are older than the lock timeout.
        if (held.length > 0) await supervision.release(held).catch(supervision.failed);
      })();
      return stopped;
    },
  };
}
