// The rescoring queue is dated by the database's clock (`rescore_request.requested_at`): an instance
// whose own clock is behind the database's still takes what was queued before its round started,
// and scores it as of an instant that what queued it precedes; a customer scored on demand as of now
// is no longer queued, and what queued it is in that score.
import * as rescoreQueue from '../../src/scoring/rescore-queue';
import {
  CustomerScoreStateDocument,
  RefreshHealthScoreDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const BEHIND_MS = 600_000;

/** Every timer stays real: only `Date` reads this process's clock `BEHIND_MS` behind the database's, and runs on from there. */
function setClockBehind(): void {
  jest.useFakeTimers({
    now: Date.now() - BEHIND_MS,
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

describe('an instance whose clock is behind the database', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'clock_behind', env: { RESCORE_DEBOUNCE_MS: '100', RESCORE_SWEEP_MS: '300' } });
  });
  afterAll(() => server.stop());
  afterEach(() => jest.useRealTimers());

  const scoreOf = async (id: string) => (await server.gql(CustomerScoreStateDocument, { id })).customer.healthScore;

  it('rescores a customer queued just now within the debounce, not once its clock has caught up', async () => {
    setClockBehind();
    const [{ ahead }] = await sql<{ ahead: number }>(server.database, 'select (extract(epoch from now()) * 1000 - $1)::float8 as ahead', [
      Date.now(),
    ]);
    expect(ahead).toBeGreaterThan(BEHIND_MS - 60_000);
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_behind', name: 'Behind', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
    });
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_behind', eventType: 'login' } });
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline && (await scoreOf('cust_behind')) == null) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await scoreOf('cust_behind')).not.toBeNull();
    await server.app.scheduler.idle();
    expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_behind'`)).toEqual([]);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
  });

  /** Waits up to five seconds for `ready` (asked every 100 ms); returns whether it came. */
  async function within5s(ready: () => Promise<boolean>): Promise<boolean> {
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline) {
      if (await ready()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return ready();
  }

  const databaseNow = async () => (await sql<{ now: Date }>(server.database, 'select now()'))[0].now;
  const lastActivityAt = async (id: string) =>
    (
      await server.gql<{ customer: { lastActivityAt: string | null } }, { id: string }>(
        'query ($id: ID!) { customer(id: $id) { lastActivityAt } }',
        { id },
      )
    ).customer.lastActivityAt;

  it('scores a new customer, without a signup or a signal, that the round took off the queue: it started by the database clock', async () => {
    setClockBehind();
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_behind_new', name: 'Behind New' } });
    expect(await within5s(async () => (await scoreOf('cust_behind_new')) != null)).toBe(true);
    await server.app.scheduler.idle();
    expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_behind_new'`)).toEqual([]);
  });

  it('scores an event dated by the clock of an instance that agrees with the database: the round that takes it off the queue counts it', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_behind_event', name: 'Behind Event', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
    });
    await server.app.scheduler.idle();
    setClockBehind();
    // Sent to another instance, whose clock agrees with the database's, as this one rescores.
    const occurredAt = (await databaseNow()).toISOString();
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_behind_event', eventType: 'login', occurredAt } });
    expect(await within5s(async () => (await lastActivityAt('cust_behind_event')) === occurredAt)).toBe(true);
    await server.app.scheduler.idle();
    expect(await sql(server.database, `select 1 from rescore_request where customer_id = 'cust_behind_event'`)).toEqual([]);
  });

  it('scores a customer created just now on demand, without a signup or a signal: not refused as started after now', async () => {
    setClockBehind();
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_behind_refreshed', name: 'Behind Refreshed' } });
    const occurredAt = (await databaseNow()).toISOString();
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_behind_refreshed', eventType: 'login', occurredAt } });
    const scored = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_behind_refreshed' });
    expect(scored.refreshHealthScore.score).toEqual(expect.any(Number));
    expect(await lastActivityAt('cust_behind_refreshed')).toBe(occurredAt);
  });
});

describe('a system clock set back (a time sync) while a rescoring waits for its debounce', () => {
  let server: TestServer;
  beforeAll(async () => {
    // No sweep, whose signals would set the debounce's clock right: only the timer the write armed.
    server = await startTestServer({ label: 'clock_set_back', env: { RESCORE_DEBOUNCE_MS: '500', RESCORE_SWEEP_MS: '0' } });
  });
  afterAll(() => server.stop());
  afterEach(() => jest.useRealTimers());

  it('rescores within the debounce: its timer does not wait the step out', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_set_back', name: 'Set Back', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
    });
    setClockBehind();
    const deadline = performance.now() + 5000;
    const scored = async () => (await server.gql(CustomerScoreStateDocument, { id: 'cust_set_back' })).customer.healthScore != null;
    while (performance.now() < deadline && !(await scored())) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await scored()).toBe(true);
  });
});

describe('refreshHealthScore and the rescoring queue', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Continuous rescoring off: the queue holds what the writes queued until the test looks.
    server = await startTestServer({ label: 'refresh_queue', env: { RESCORE_DEBOUNCE_MS: '0' } });
  });
  afterAll(() => server.stop());

  const queued = (id: string) => sql(server.database, `select 1 from rescore_request where customer_id = $1`, [id]);

  it('takes the customer off the queue when it scores it as of now', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_refreshed', name: 'Refreshed', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
    });
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_refreshed', eventType: 'login' } });
    expect(await queued('cust_refreshed')).toHaveLength(1);
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_refreshed' });
    expect(await queued('cust_refreshed')).toEqual([]);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
  });

  it('scores, as of now, what queued the customer it takes off the queue: an event committed just before the claim, after the call began', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_raced', name: 'Raced', signedUpAt: new Date(Date.now() - 30 * DAY).toISOString() },
    });
    const claim = rescoreQueue.claimQueuedCustomers;
    let occurredAt: string | null = null;
    const spy = jest.spyOn(rescoreQueue, 'claimQueuedCustomers').mockImplementationOnce(async (...args) => {
      // A login a moment after the call began, committed before the claim.
      await new Promise((resolve) => setTimeout(resolve, 20));
      occurredAt = (await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_raced', eventType: 'login' } })).trackEngagement
        .occurredAt as string;
      return claim(...args);
    });
    try {
      await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_raced' });
    } finally {
      spy.mockRestore();
    }
    expect(occurredAt).not.toBeNull();
    expect(await queued('cust_raced')).toEqual([]);
    const scored = await server.gql<{ customer: { lastActivityAt: string | null } }, { id: string }>(
      'query ($id: ID!) { customer(id: $id) { lastActivityAt } }',
      { id: 'cust_raced' },
    );
    expect(scored.customer.lastActivityAt).toBe(occurredAt);
  });

  it('leaves it queued when it scores it as of a past instant, which does not see the signals since', async () => {
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_refreshed', eventType: 'login' } });
    await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_refreshed', asOf: new Date(Date.now() - 2 * DAY).toISOString() });
    expect(await queued('cust_refreshed')).toHaveLength(1);
    expect(await sql(server.database, 'select 1 from rescore_claim')).toEqual([]);
  });
});
