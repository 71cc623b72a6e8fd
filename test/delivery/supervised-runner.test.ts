// The supervisor of the delivery worker's graphile-worker runner, with runners that stand in for
// graphile-worker's (their documented surface: stop(), promise, and the events `pool:create`,
// `worker:create`, `stop`, `job:start` and `job:complete`): a runner that dies is replaced after a
// back-off, its jobs released first once its tasks in flight have ended, and a stop is safe in every state.
import { Writable } from 'node:stream';
import type { Runner, WorkerEvents } from 'graphile-worker';
import pino from 'pino';
import { superviseRunner, RunnerSupervision } from '../../src/delivery/supervised-runner';

interface FakeRunner {
  runner: Runner;
  /** Stops on its own, as when its pool fails: `stop` is emitted at once, the promise settles once `settle` is called. */
  dieSlowly(): () => void;
  die(): void;
  /** A task begins on one of its workers; it ends when the returned function is called. */
  startTask(): () => void;
  stopCalls: number;
}

function fakeRunner(events: WorkerEvents, poolId: string): FakeRunner {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  let running = true;
  events.emit('pool:create', { workerPool: { id: poolId } } as never);
  events.emit('worker:create', { worker: { workerId: `${poolId}-worker` } } as never);
  const beginStop = () => {
    running = false;
    events.emit('stop', {} as never);
  };
  const fake: FakeRunner = {
    stopCalls: 0,
    runner: {
      // As graphile-worker's: a runner already stopping refuses to be stopped.
      stop: () => {
        fake.stopCalls += 1;
        if (!running) return Promise.reject(new Error('Runner is already stopped'));
        beginStop();
        resolve();
        return promise;
      },
      promise,
    } as Runner,
    dieSlowly() {
      beginStop();
      return resolve;
    },
    die() {
      fake.dieSlowly()();
    },
    startTask() {
      const worker = { workerId: `${poolId}-worker` };
      const job = { id: '1' };
      events.emit('job:start', { worker, job } as never);
      return () => void events.emit('job:complete', { worker, job, error: null } as never);
    },
  };
  return fake;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function supervision(overrides: Partial<RunnerSupervision> = {}) {
  const runners: FakeRunner[] = [];
  const released: string[][] = [];
  const failures: unknown[] = [];
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  const options: RunnerSupervision = {
    start: async (events) => {
      const fake = fakeRunner(events, `pool-${runners.length + 1}`);
      runners.push(fake);
      return fake.runner;
    },
    release: async (lockHolders) => void released.push([...lockHolders]),
    failed: (error) => void failures.push(error),
    logger: pino({ level: 'info' }, stream),
    restartDelayMs: 50,
    maxRestartDelayMs: 200,
    ...overrides,
  };
  return { options, runners, released, failures, lines };
}

it('starts another runner after the back-off when one dies, releasing the dead one’s jobs first, and says it once', async () => {
  const { options, runners, released, lines } = supervision();
  const supervised = await superviseRunner(options);
  expect(supervised.running).toBe(true);
  runners[0].die();
  await tick();
  expect(supervised.running).toBe(false);
  expect(runners).toHaveLength(1);
  await tick(150);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
  expect(runners).toHaveLength(2);
  expect(supervised.running).toBe(true);
  expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([
    'delivery worker stopped on its own: another starts shortly; deliveries on this instance wait until then',
  ]);
  expect(lines.map((line) => line.msg)).toContain('delivery worker restarted: deliveries resume');
  await supervised.stop();
  expect(runners[1].stopCalls).toBe(1);
});

it('is not running from the moment a runner begins to stop on its own', async () => {
  const { options, runners } = supervision();
  const supervised = await superviseRunner(options);
  const settle = runners[0].dieSlowly();
  expect(supervised.running).toBe(false);
  settle();
  await supervised.stop();
});

it('tries a failed restart again, each time after a longer wait, and releases the dead one’s jobs once', async () => {
  const { options, runners, released, failures } = supervision();
  let refusals = 2;
  const supervised = await superviseRunner({
    ...options,
    // The first start is the caller's; the next two (restarts) are refused, as by a database still down.
    start: (events) => (runners.length > 0 && refusals-- > 0 ? Promise.reject(new Error('connect ECONNREFUSED')) : options.start(events)),
  });
  runners[0].die();
  // Restarts after 50 ms (refused), 100 more (refused), then 200 more (started).
  await tick(250);
  expect(failures).toHaveLength(2);
  expect(supervised.running).toBe(false);
  await tick(250);
  expect(supervised.running).toBe(true);
  expect(runners).toHaveLength(2);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
  await supervised.stop();
});

it('stops while waiting to restart: starts no runner, releases the dead one’s jobs, and resolves', async () => {
  const { options, runners, released } = supervision({ restartDelayMs: 60_000 });
  const supervised = await superviseRunner(options);
  runners[0].die();
  await tick();
  await expect(supervised.stop()).resolves.toBeUndefined();
  expect(runners).toHaveLength(1);
  expect(runners[0].stopCalls).toBe(0);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
});

it('stops while a runner is stopping on its own: waits for it rather than stop it again, which it would refuse', async () => {
  const { options, runners, released } = supervision();
  const supervised = await superviseRunner(options);
  const settle = runners[0].dieSlowly();
  const stopped = supervised.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await tick(40);
  expect(done).toBe(false);
  settle();
  await expect(stopped).resolves.toBeUndefined();
  expect(runners[0].stopCalls).toBe(0);
  expect(runners).toHaveLength(1);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
});

it('stops while a restart is starting a runner: stops that runner as soon as it has started', async () => {
  const { options, runners } = supervision();
  let started = (): void => undefined;
  let restarts = 0;
  const supervised = await superviseRunner({
    ...options,
    start: async (events) => {
      if (runners.length > 0) {
        restarts += 1;
        await new Promise<void>((resolve) => (started = resolve));
      }
      return options.start(events);
    },
  });
  runners[0].die();
  await tick(150);
  expect(restarts).toBe(1);
  const stopped = supervised.stop();
  started();
  await expect(stopped).resolves.toBeUndefined();
  expect(runners).toHaveLength(2);
  expect(runners[1].stopCalls).toBe(1);
  expect(supervised.running).toBe(false);
});

it('stops a running runner once, however often it is asked to', async () => {
  const { options, runners } = supervision();
  const supervised = await superviseRunner(options);
  expect(supervised.stop()).toBe(supervised.stop());
  await supervised.stop();
  expect(runners[0].stopCalls).toBe(1);
  expect(supervised.running).toBe(false);
});

it('releases a dead runner’s jobs, and starts another, only once its tasks in flight have ended', async () => {
  const { options, runners, released } = supervision();
  const supervised = await superviseRunner(options);
  // As graphile-worker's forceful shutdown: the runner is gone, its worker's task still sending.
  const endTask = runners[0].startTask();
  runners[0].die();
  await tick(150);
  expect(released).toEqual([]);
  expect(runners).toHaveLength(1);
  endTask();
  await tick(20);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
  expect(runners).toHaveLength(2);
  await supervised.stop();
});

it('releases a dead runner’s jobs anyway once their tasks have run past maxTaskWaitMs', async () => {
  const { options, runners, released, lines } = supervision({ maxTaskWaitMs: 100 });
  const supervised = await superviseRunner(options);
  runners[0].startTask();
  runners[0].die();
  await tick(80);
  expect(released).toEqual([]);
  await tick(100);
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
  expect(runners).toHaveLength(2);
  expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
    'delivery worker: the dead runner’s jobs still in flight are released anyway, past their lock timeout',
  ]);
  await supervised.stop();
});

it('stops while a dead runner’s tasks are in flight: releases its jobs once they have ended', async () => {
  const { options, runners, released } = supervision();
  const supervised = await superviseRunner(options);
  const endTask = runners[0].startTask();
  runners[0].die();
  await tick(80);
  const stopped = supervised.stop();
  await tick(20);
  expect(released).toEqual([]);
  endTask();
  await expect(stopped).resolves.toBeUndefined();
  expect(released).toEqual([['pool-1', 'pool-1-worker']]);
  expect(runners).toHaveLength(1);
});

it('waits longer before each restart while runners die soon after their start, with one error line and one warning', async () => {
  const { options, runners, lines } = supervision({ stableAfterMs: 10_000 });
  const supervised = await superviseRunner(options);
  runners[0].die();
  await tick(70);
  expect(runners).toHaveLength(2);
  // Up for less than stableAfterMs: the next restart waits 100 ms, then 200 (the cap), then 200.
  runners[1].die();
  await tick(70);
  expect(runners).toHaveLength(2);
  await tick(60);
  expect(runners).toHaveLength(3);
  runners[2].die();
  await tick(150);
  expect(runners).toHaveLength(3);
  await tick(80);
  expect(runners).toHaveLength(4);
  runners[3].die();
  await tick(150);
  expect(runners).toHaveLength(4);
  await tick(80);
  expect(runners).toHaveLength(5);
  const said = lines.filter((line) => line.level >= 40);
  expect(said.map((line) => [line.level, line.msg])).toEqual([
    [50, 'delivery worker stopped on its own: another starts shortly; deliveries on this instance wait until then'],
    [
      40,
      'delivery worker stopped on its own again soon after its restart: restarted after longer and longer waits, and said at debug level, until one stays up',
    ],
  ]);
  expect(lines.filter((line) => line.msg === 'delivery worker restarted: deliveries resume')).toHaveLength(1);
  await supervised.stop();
});

it('starts again from the first wait, and says so again, once a runner has stayed up for stableAfterMs', async () => {
  const { options, runners, lines } = supervision({ stableAfterMs: 100 });
  const supervised = await superviseRunner(options);
  runners[0].die();
  await tick(70);
  expect(runners).toHaveLength(2);
  await tick(120);
  runners[1].die();
  await tick(70);
  expect(runners).toHaveLength(3);
  expect(lines.filter((line) => line.level >= 40).map((line) => line.level)).toEqual([50, 50]);
  await supervised.stop();
});
