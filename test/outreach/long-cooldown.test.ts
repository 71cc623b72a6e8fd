// A playbook's cooldown holds for as long as it is configured: one of 90 days still suppresses a run
// that comes 70 days after the last, however far back the outreach log must be read for it.
import {
  CurrentModelDocument,
  OutreachLogDocument,
  RefreshHealthScoreDocument,
  TrackEngagementBatchDocument,
  UpdateModelDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions } from '../../src/outreach/outreach.service';
import type { ScoringModelConfig } from '../../src/scoring/model';
import { startTestServer, TestServer } from '../helpers/server';

const DAY = 86_400_000;
const now = Date.now();
const daysAgo = (days: number, hour = 12) => new Date(Math.floor((now - days * DAY) / DAY) * DAY + hour * 3_600_000).toISOString();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'long_cooldown', env: { RESCORE_DEBOUNCE_MS: '0' } });
});
afterAll(() => server.stop());

it('suppresses a playbook whose last run is older than 60 days but within its own longer cooldown', async () => {
  const { scoringModel } = await server.gql(CurrentModelDocument, {});
  const config = structuredClone(scoringModel.config) as ScoringModelConfig;
  const critical = config.playbooks.find((p) => p.kind === 'tier' && p.tierKey === 'critical')!;
  critical.cooldownDays = 90;
  await server.gql(UpdateModelDocument, { input: { config } });

  // Active every day until four weeks ago, silent since (longer than a holiday): critical now.
  const customerId = 'cust_long_cooldown';
  await server.gql(UpsertCustomerDocument, { input: { id: customerId, name: 'Long Cooldown', signedUpAt: daysAgo(300) } });
  const events = range(28, 127).flatMap((d) => [
    { customerId, eventType: 'login', occurredAt: daysAgo(d, 9) },
    { customerId, eventType: 'feature_used', feature: `f${d % 6}`, occurredAt: daysAgo(d, 11) },
  ]);
  expect((await server.gql(TrackEngagementBatchDocument, { events })).trackEngagementBatch.errors).toEqual([]);

  // The critical playbook ran 70 days ago: within its 90-day cooldown.
  const db = server.app.orm.em.fork() as Db;
  await insertOutreachActions(db, [
    {
      customerId,
      playbook: 'critical',
      action: 'csm_alert',
      audience: 'TEAM',
      channel: 'SLACK',
      trigger: 'CRITICAL',
      fromTier: 'critical',
      toTier: 'critical',
      score: 20,
      status: 'DECIDED',
      message: 'Long Cooldown is critical.',
      createdAt: new Date(now - 70 * DAY),
    },
  ]);

  const scored = await server.gql(RefreshHealthScoreDocument, { customerId });
  expect(scored.refreshHealthScore.tier).toBe('critical');
  const log = await server.gql(OutreachLogDocument, { customerId, first: 50 });
  const fresh = log.outreachLog.edges
    .map((e) => e.node)
    .filter((a) => a.playbook === 'critical' && new Date(a.createdAt).getTime() > now - DAY);
  expect(fresh.length).toBeGreaterThan(0);
  expect(fresh.every((a) => a.status === 'SUPPRESSED_COOLDOWN')).toBe(true);
});
