// A key's operations in flight: past the cap they wait in order, a client that leaves while waiting
// leaves the queue, and past the queue they are refused.
import { OperationsInFlight } from '../../src/infra/operations-in-flight';

it('hands the turn of an operation that ends to the first one waiting, and refuses past the queue', async () => {
  const operations = new OperationsInFlight(1, 2);
  expect(await operations.take('k')).toBe(true);
  const order: string[] = [];
  const second = operations.take('k').then((granted) => order.push(`second ${granted}`));
  const third = operations.take('k').then((granted) => order.push(`third ${granted}`));
  expect(await operations.take('k')).toBe(false);
  // Another client is not held up by this one's queue.
  expect(await operations.take('other')).toBe(true);
  expect(operations.heldBy('k')).toBe(3);
  operations.give('k');
  await second;
  expect(order).toEqual(['second true']);
  operations.give('k');
  await third;
  expect(order).toEqual(['second true', 'third true']);
  operations.give('k');
  expect(operations.heldBy('k')).toBe(0);
});

it('lets a client that goes away while waiting leave the queue, its turn given to nobody', async () => {
  const operations = new OperationsInFlight(1, 5);
  expect(await operations.take('k')).toBe(true);
  const gone = new AbortController();
  const waiting = operations.take('k', gone.signal);
  gone.abort();
  expect(await waiting).toBe(false);
  expect(operations.heldBy('k')).toBe(1);
  operations.give('k');
  expect(operations.heldBy('k')).toBe(0);
  expect(await operations.take('k')).toBe(true);
});
