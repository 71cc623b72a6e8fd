import { EvaluationSlots } from '../../../src/scoring/backtest/evaluation-slots';

/** An evaluation that runs until `finish()` is called, recording when it started. */
function pending(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish: () => finish(),
    evaluation: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

it('runs two at once, starts the waiting ones in order as slots free, and refuses past the queue', async () => {
  const slots = new EvaluationSlots(2, 2);
  const log: string[] = [];
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => pending(log, name));
  const results = [a, b, c, d].map((job) => slots.run(job.evaluation));
  await expect(slots.run(e.evaluation)).rejects.toMatchObject({ code: 'RATE_LIMITED', extensions: { retryAfterSeconds: 5 } });
  await settle();
  expect(log).toEqual(['start a', 'start b']);
  b.finish();
  await settle();
  expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
  a.finish();
  c.finish();
  d.finish();
  expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  expect(log.filter((entry) => entry.startsWith('start'))).toEqual(['start a', 'start b', 'start c', 'start d']);
  // Every slot is free again: two start at once.
  const [f, g] = ['f', 'g'].map((name) => pending(log, name));
  const more = [slots.run(f.evaluation), slots.run(g.evaluation)];
  await settle();
  expect(log.slice(-2)).toEqual(['start f', 'start g']);
  f.finish();
  g.finish();
  await Promise.all(more);
});

it('frees the slot of an evaluation that fails', async () => {
  const slots = new EvaluationSlots(1, 0);
  await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(slots.run(async () => 'next')).resolves.toBe('next');
});

it('lets a waiting evaluation whose signal aborts leave the queue without running, and gives the turn to the next', async () => {
  const slots = new EvaluationSlots(1, 2);
  const log: string[] = [];
  const [a, b, c] = ['a', 'b', 'c'].map((name) => pending(log, name));
  const gone = new AbortController();
  const first = slots.run(a.evaluation);
  const abandoned = slots.run(b.evaluation, gone.signal);
  const next = slots.run(c.evaluation);
  await settle();
  gone.abort(new Error('client gone'));
  await expect(abandoned).rejects.toThrow('client gone');
  // Its place in the queue is free again: two may wait behind the running one.
  const waiting = slots.run(async () => 'd');
  a.finish();
  await settle();
  expect(log).toEqual(['start a', 'end a', 'start c']);
  c.finish();
  expect(await Promise.all([first, next, waiting])).toEqual(['a', 'c', 'd']);
  // A signal aborted already: refused before taking a slot or a place.
  await expect(slots.run(async () => 'never', AbortSignal.abort(new Error('gone before')))).rejects.toThrow('gone before');
});
