// `node --expose-gc -r ts-node/register/transpile-only bench/idle-subscribers.ts [subscriptions] [events]`
// (under the bench lock): what subscriptions that never read cost an instance when a burst of live
// events comes. Each subscribes to the same topic and none reads, as a client whose socket stopped
// reading leaves its subscriptions (graphql-ws awaits each send). Measured in process on the
// in-process transport, which queues as the Redis one does: the heap the waiting events hold, and the
// longest the event loop was held while they were published. Baseline, in the same run: the same
// burst without the instance's shared budget (WS_MAX_QUEUED_EVENTS_TOTAL), each subscription bounded
// by its own cap (WS_MAX_QUEUED_EVENTS) alone.
import { DEFAULT_MAX_QUEUED_EVENTS, DEFAULT_MAX_QUEUED_EVENTS_TOTAL } from '../src/infra/config';
import { InProcessPubSub } from '../src/infra/pubsub';

const SUBSCRIPTIONS = Number(process.argv[2] ?? 2000);
const EVENTS = Number(process.argv[3] ?? 5000);
/** Events published per turn of the event loop, as a scoring run's batch publishes them. */
const PER_TURN = 100;

function collectGarbage(): void {
  if (!global.gc) throw new Error('run with node --expose-gc');
  global.gc();
}

async function burst(maxQueuedTotal: number): Promise<{ heapMb: number; stallMs: number; seconds: number }> {
  const pubsub = new InProcessPubSub(DEFAULT_MAX_QUEUED_EVENTS, maxQueuedTotal);
  const idle = Array.from({ length: SUBSCRIPTIONS }, () => pubsub.subscribe('tier')[Symbol.asyncIterator]());
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let stallMs = 0;
  let tick = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    stallMs = Math.max(stallMs, now - tick - 10);
    tick = now;
  }, 10);
  const started = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    pubsub.publish('tier', { customerId: `cust_${i}`, tier: 'at_risk', changedAt: new Date() });
    if (i % PER_TURN === PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (Date.now() - started) / 1000;
  clearInterval(timer);
  collectGarbage();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  for (const iterator of idle) await iterator.return?.();
  await pubsub.close();
  collectGarbage();
  return { heapMb, stallMs, seconds };
}

async function main(): Promise<void> {
  const budgeted = await burst(DEFAULT_MAX_QUEUED_EVENTS_TOTAL);
  const unbudgeted = await burst(Infinity);
  const line = (label: string, r: { heapMb: number; stallMs: number; seconds: number }) =>
    `  ${label}: heap held ${r.heapMb.toFixed(0)} MB, largest loop stall ${r.stallMs} ms, published in ${r.seconds.toFixed(1)} s`;
  console.log(`${SUBSCRIPTIONS.toLocaleString('en')} idle subscriptions, ${EVENTS.toLocaleString('en')} events:`);
  console.log(line(`shared budget of ${DEFAULT_MAX_QUEUED_EVENTS_TOTAL.toLocaleString('en')}`, budgeted));
  console.log(line(`per-subscription cap of ${DEFAULT_MAX_QUEUED_EVENTS.toLocaleString('en')} alone (baseline)`, unbudgeted));
  console.log(`  heap ratio ${(budgeted.heapMb / unbudgeted.heapMb).toFixed(3)}×`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
