// Every mutation that changes a scoring input gets its customer rescored within seconds, by the
// debounced scheduler alone (no periodic run in these servers): the write queues the customer and
// wakes the scheduler (src/scoring/rescore-queue.ts, signalsArrived) without the resolver's help.
import {
  RecordPaymentDocument,
  RecordSupportTicketDocument,
  ScoreHistoryDocument,
  SubmitNpsResponseDocument,
  TrackEngagementBatchDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { Client } from 'pg';
import type { Db } from '../../src/infra/sql';
import { queueRescoreStatement } from '../../src/scoring/rescore-queue';
import { rescoreRequested } from '../../src/scoring/scoring.service';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  // SCORING_INTERVAL_MS stays 0 (the test servers' default): no periodic or start-up run.
  server = await startTestServer({ label: 'signals_arrived', env: { RESCORE_DEBOUNCE_MS: '150', RESCORE_MAX_WAIT_MS: '500' } });
});
afterAll(() => server.stop());

async function timesScored(customerId: string): Promise<number> {
  return (await server.gql(ScoreHistoryDocument, { customerId })).healthScoreHistory.totalCount;
}

/** Resolves once the customer has been scored more than `times` times; fails after 5 s. */
async function rescoredAfter(customerId: string, times: number): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const scored = await timesScored(customerId);
    if (scored > times) return scored;
    if (Date.now() > deadline) throw new Error(`${customerId} was not rescored within 5 s (scored ${scored} times)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A customer that has been scored once and has nothing queued. */
async function scoredCustomer(id: string): Promise<number> {
  await server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}`, arrCents: 100_000, seats: 10 } });
  const scored = await rescoredAfter(id, 0);
  await server.app.scheduler.idle();
  return scored;
}

const MUTATIONS: Array<[string, (customerId: string) => Promise<unknown>]> = [
  ['upsertCustomer changing ARR', (id) => server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}`, arrCents: 50_000 } })],
  ['upsertCustomer changing seats', (id) => server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}`, seats: 4 } })],
  [
    'upsertCustomer setting churnedAt',
    (id) =>
      server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}`, churnedAt: new Date(Date.now() - 60_000).toISOString() } }),
  ],
  ['trackEngagement', (id) => server.gql(TrackEngagementDocument, { input: { customerId: id, eventType: 'login' } })],
  [
    'trackEngagementBatch',
    (id) => server.gql(TrackEngagementBatchDocument, { events: [{ customerId: id, eventType: 'feature_used', feature: 'reports' }] }),
  ],
  ['submitNpsResponse', (id) => server.gql(SubmitNpsResponseDocument, { input: { customerId: id, score: 3 } })],
  [
    'recordPayment',
    (id) => server.gql(RecordPaymentDocument, { input: { customerId: id, amountCents: 1000, currency: 'USD', status: 'FAILED' } }),
  ],
  [
    'recordSupportTicket',
    (id) =>
      server.gql(RecordSupportTicketDocument, {
        input: { customerId: id, externalId: 'T-1', subject: 'Broken export', severity: 'URGENT' },
      }),
  ],
];

describe('a customer is rescored within seconds of a change to its scoring inputs', () => {
  it('when it is created (upsertCustomer)', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_sig_new', name: 'New' } });
    expect(await rescoredAfter('cust_sig_new', 0)).toBe(1);
  });

  it.each(MUTATIONS)('after %s', async (_label, mutate) => {
    const id = `cust_sig_${_label.replace(/\W+/g, '_')}`;
    const before = await scoredCustomer(id);
    await mutate(id);
    expect(await rescoredAfter(id, before)).toBeGreaterThan(before);
  });

  it('not after an upsertCustomer that changes nothing scoring reads', async () => {
    const before = await scoredCustomer('cust_sig_rename');
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_sig_rename', name: 'Renamed' } });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.app.scheduler.idle();
    expect(await timesScored('cust_sig_rename')).toBe(before);
  });
});

describe('a signal written while its customer is being claimed for rescoring', () => {
  it('is scored: a write still open holds the queue row it relies on, so the claim waits for it', async () => {
    const id = 'cust_sig_race';
    await scoredCustomer(id);
    const writer = new Client({ connectionString: server.database.url });
    await writer.connect();
    try {
      // A first signal queued the customer; a second write (a detractor answer) finds it queued and is still open.
      await writer.query('insert into rescore_request (customer_id) values ($1)', [id]);
      await writer.query('begin');
      await writer.query(
        `with queued as (${queueRescoreStatement('select $1::text')})
         insert into nps_response (customer_id, score, responded_at) values ($1, 0, now())`,
        [id],
      );
      const db = server.app.orm.em.fork() as Db;
      expect(await rescoreRequested(server.app.services, db)).toBe(0);
      await writer.query('commit');
      expect(await rescoreRequested(server.app.services, db)).toBe(1);
    } finally {
      await writer.end();
    }
    const latest = await server.request<
      { customer: { currentScore: { signals: Array<{ name: string; rawValue: number | null }> } } },
      unknown
    >(`{ customer(id: "${id}") { currentScore { signals { name rawValue } } } }`);
    const nps = latest.data!.customer.currentScore.signals.find((signal) => signal.name === 'nps');
    expect(nps?.rawValue).toBe(-100);
  });
});
