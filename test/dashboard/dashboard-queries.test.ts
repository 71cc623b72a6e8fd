// What the graph added for the dashboard, checked against the database: the summary's ARR per tier,
// the worklist's tier and lifecycle filters, and `viewer` (the caller's key and scopes).
import { buildDemoDataSet } from '../../src/demo/demo-data';
import { loadDemoData, scoreDemoHistory } from '../../src/demo/load-demo-data';
import type { Db } from '../../src/infra/sql';
import { createKey, post } from '../helpers/auth';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { collapse, healthyActiveCustomers } from './collapse';

let server: TestServer;

async function api<T>(query: string): Promise<T> {
  const result = await server.request<T, undefined>(query);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

beforeAll(async () => {
  server = await startTestServer({ label: 'dashboard_queries' });
  const db = server.app.orm.em.fork() as Db;
  const dataSet = buildDemoDataSet({ customers: 80, days: 60, seed: 5, now: new Date() });
  await loadDemoData(db, dataSet, { concurrency: 3 });
  await scoreDemoHistory(server.app.services, db, dataSet, { historyDays: 1 });
  for (const id of await healthyActiveCustomers(server, 12)) await collapse(server, id, 'setup');
  await api('mutation { refreshAllHealthScores { status } }');
}, 180_000);
afterAll(() => server?.stop());

it('gives each tier of the summary the ARR of its customers still to keep, for everyone and for one CSM', async () => {
  const rows = await sql<{ tier: string; csm_owner: string; arr: string }>(
    server.database,
    // Customers who cancelled, or churned by silence, keep their last tier but are in none of the summary's.
    `select tier, csm_owner, arr_cents::text as arr from customer
     where tier is not null and (churned_at is null or churned_at > now()) and lifecycle_stage is distinct from 'CHURNED'`,
  );
  const owner = rows[0].csm_owner;
  const { everyone, one } = await api<{
    everyone: { tiers: Array<{ tier: string; count: number; arrCents: number }> };
    one: { tiers: Array<{ tier: string; count: number; arrCents: number }> };
  }>(
    `{ everyone: healthSummary { tiers { tier count arrCents } } one: healthSummary(csmOwner: "${owner}") { tiers { tier count arrCents } } }`,
  );
  const expected = (filter: (row: (typeof rows)[number]) => boolean, tier: string) => {
    const matching = rows.filter((row) => row.tier === tier && filter(row));
    return { tier, count: matching.length, arrCents: matching.reduce((sum, row) => sum + Number(row.arr), 0) };
  };
  expect(everyone.tiers).toEqual(everyone.tiers.map((t) => expected(() => true, t.tier)));
  expect(one.tiers).toEqual(one.tiers.map((t) => expected((row) => row.csm_owner === owner, t.tier)));
  expect(everyone.tiers.filter((t) => t.count > 0).length).toBeGreaterThan(1);
});

it('filters the worklist by tier and by lifecycle stage, keeping its order', async () => {
  type Page = { totalCount: number; edges: Array<{ node: { id: string; tier: string; lifecycleStage: string } }> };
  const { all, critical, atRisk, atRiskStage, activeStage, advocateStage } = await api<{
    all: Page;
    critical: Page;
    atRisk: Page;
    atRiskStage: Page;
    activeStage: Page;
    advocateStage: Page;
  }>(
    `{ all: worklist(first: 500) { ...page } critical: worklist(first: 500, tier: "critical") { ...page }
       atRisk: worklist(first: 500, tier: "at_risk") { ...page } atRiskStage: worklist(first: 500, lifecycleStage: AT_RISK) { ...page }
       activeStage: worklist(first: 500, lifecycleStage: ACTIVE) { ...page } advocateStage: worklist(first: 500, lifecycleStage: ADVOCATE) { ...page } }
     fragment page on CustomerConnection { totalCount edges { node { id tier lifecycleStage } } }`,
  );
  expect(critical.totalCount).toBeGreaterThan(0);
  expect(critical.totalCount + atRisk.totalCount).toBe(all.totalCount);
  const ids = (page: Page) => page.edges.map((edge) => edge.node.id);
  expect(ids(critical)).toEqual(all.edges.filter((edge) => edge.node.tier === 'critical').map((edge) => edge.node.id));
  for (const [stage, page] of [
    ['AT_RISK', atRiskStage],
    ['ACTIVE', activeStage],
    ['ADVOCATE', advocateStage],
  ] as const) {
    expect(ids(page)).toEqual(all.edges.filter((edge) => edge.node.lifecycleStage === stage).map((edge) => edge.node.id));
  }
  expect(atRiskStage.totalCount + activeStage.totalCount + advocateStage.totalCount).toBe(all.totalCount);
  const bad = await server.request('{ worklist(lifecycleStage: SOMETIME) { totalCount } }');
  expect(bad.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  // Stages the worklist never holds are refused, as tiers it never holds are, not answered with an empty page.
  for (const stage of ['ONBOARDING', 'CHURNED']) {
    const never = await server.request(`{ worklist(lifecycleStage: ${stage}) { totalCount } }`);
    expect({ stage, extensions: never.errors?.[0].extensions }).toEqual({
      stage,
      extensions: { code: 'BAD_USER_INPUT', argument: 'lifecycleStage' },
    });
  }
});

it('tells the caller its key and scopes', async () => {
  expect(await api('{ viewer { keyName scopes } }')).toEqual({ viewer: { keyName: null, scopes: ['READ', 'INGEST', 'ADMIN'] } });
  const admin = await createKey(server, ['admin'], undefined, 'admin');
  const reader = await createKey(server, ['read'], admin.key, 'cs team');
  const ingest = await createKey(server, ['ingest'], admin.key, 'pipeline');
  expect((await post(server.url, '{ viewer { keyName scopes } }', undefined, reader.key)).body.data).toEqual({
    viewer: { keyName: 'cs team', scopes: ['READ'] },
  });
  const refused = await post(server.url, '{ viewer { keyName } }', undefined, ingest.key);
  expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});
