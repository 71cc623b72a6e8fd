// A backfill's last instant may have ended moments ago (an import's or a first start's run just
// after midnight UTC scores the day that ended then). Its run is still a backfill: history marked as
// such, no outreach, and it stands for no live run when the periodic timer asks whether one ran lately.
import { OutreachLogDocument, TrackEngagementBatchDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { backfillHistory } from '../../src/scoring/backfill-history';
import { refreshAllHealthScores } from '../../src/scoring/scoring.service';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'backfill_just_ended', env: { RESCORE_DEBOUNCE_MS: '0' } });
  // Daily for two months, then silent for a month: critical, which the default playbooks act on live.
  await server.gql(UpsertCustomerDocument, {
    input: { id: 'cust_gone', name: 'Gone', arrCents: 3_600_000, signedUpAt: new Date(Date.now() - 120 * DAY).toISOString() },
  });
  const events = Array.from({ length: 60 }, (_, i) => ({
    customerId: 'cust_gone',
    eventType: 'login',
    userId: `u${i % 3}`,
    occurredAt: new Date(Date.now() - (90 - i) * DAY).toISOString(),
  }));
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);
});
afterAll(() => server.stop());

const db = () => server.app.orm.em.fork() as Db;

it('writes history marked backfill and no outreach, for an instant a minute ago', async () => {
  const justEnded = new Date(Date.now() - 60_000);
  const summary = await backfillHistory(server.app.services, db(), [justEnded]);
  expect(summary).toMatchObject({ runs: 1, skipped: 0 });

  const points = await sql<{ backfill: boolean; tier: string }>(
    server.database,
    `select backfill, tier from health_score where customer_id = 'cust_gone'`,
  );
  expect(points).toEqual([{ backfill: true, tier: 'critical' }]);
  expect(await sql(server.database, 'select backfill from tier_change')).toEqual([{ backfill: true }]);
  expect((await server.gql(OutreachLogDocument, { customerId: 'cust_gone', first: 10 })).outreachLog.totalCount).toBe(0);

  const runs = await server.request<{ scoringRuns: { edges: Array<{ node: { asOf: string; backfill: boolean } }> } }, unknown>(
    '{ scoringRuns(first: 5) { edges { node { asOf backfill } } } }',
  );
  expect(runs.errors).toBeUndefined();
  expect(runs.data!.scoringRuns.edges.map((e) => e.node)).toEqual([{ asOf: justEnded.toISOString(), backfill: true }]);
});

it('does not count as a live run: the periodic run that follows still scores now, and acts', async () => {
  const run = await refreshAllHealthScores(server.app.services, db(), new Date(), false, { unlessRunWithinMs: 3_600_000 });
  expect(run).toMatchObject({ status: 'SUCCEEDED', backfill: false, customersScored: 1 });
  expect((await server.gql(OutreachLogDocument, { customerId: 'cust_gone', first: 10 })).outreachLog.totalCount).toBeGreaterThan(0);
  // And a live run does count: the next periodic turn is skipped.
  expect(await refreshAllHealthScores(server.app.services, db(), new Date(), false, { unlessRunWithinMs: 3_600_000 })).toBeNull();
});
