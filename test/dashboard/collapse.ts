// Test data for the dashboard: the demo data set's churners have all churned by the end of its
// window (the worklist leaves churned accounts out), so accounts are brought into the worklist's
// tiers through the API, as a billing system and a helpdesk would report a collapse. Each test
// file's server is seeded so (startSeededServer).
import { buildDemoDataSet } from '../../src/demo/demo-data';
import { loadDemoData, scoreDemoHistory } from '../../src/demo/load-demo-data';
import type { Db } from '../../src/infra/sql';
import { startTestServer, TestServer } from '../helpers/server';
import { ensureDashboardBuilt } from './browser';

const DAY_MS = 86_400_000;

async function run(server: TestServer, query: string): Promise<void> {
  const result = await server.request(query);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
}

/** Three failed payments past due and three urgent tickets rated 1: penalties enough to leave the healthy tiers. */
export async function collapse(server: TestServer, customerId: string, label: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await run(
      server,
      `mutation { recordPayment(input: { customerId: "${customerId}", externalId: "${label}-${i}", amountCents: 100000, currency: "EUR", status: FAILED, dueAt: "${new Date(Date.now() - (40 - i) * DAY_MS).toISOString()}" }) { id } }`,
    );
    await run(
      server,
      `mutation { recordSupportTicket(input: { customerId: "${customerId}", externalId: "${label}-${i}", severity: URGENT, csatRating: 1 }) { id } }`,
    );
  }
}

/** Healthy, active accounts by name. */
export async function healthyActiveCustomers(server: TestServer, first: number): Promise<string[]> {
  const result = await server.request<{ customers: { edges: Array<{ node: { id: string } }> } }, undefined>(
    `{ customers(first: ${first}, tier: "healthy", lifecycleStage: ACTIVE, orderBy: NAME_ASC) { edges { node { id } } } }`,
  );
  return result.data!.customers.edges.map((edge) => edge.node.id);
}

/**
 * A server for a dashboard test: the built dashboard, the demo data set (`customers` over `days`,
 * `seed`) with `historyDays` of score history, `collapsed` healthy active accounts collapsed, and a
 * live full run today, as the scheduler would make it (the collapsed accounts change tier and their
 * playbooks run).
 */
export async function startSeededServer(
  label: string,
  data: { customers: number; days: number; seed: number; historyDays: number; collapsed: number },
): Promise<TestServer> {
  ensureDashboardBuilt();
  const server = await startTestServer({ label, env: { RESCORE_DEBOUNCE_MS: '0' } });
  const db = server.app.orm.em.fork() as Db;
  const dataSet = buildDemoDataSet({ customers: data.customers, days: data.days, seed: data.seed, now: new Date() });
  await loadDemoData(db, dataSet, { concurrency: 3 });
  await scoreDemoHistory(server.app.services, db, dataSet, { historyDays: data.historyDays });
  for (const id of await healthyActiveCustomers(server, data.collapsed)) await collapse(server, id, 'setup');
  await run(server, 'mutation { refreshAllHealthScores { status } }');
  return server;
}
