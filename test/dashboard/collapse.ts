// Test data for the dashboard: the demo data set's churners have all churned by the end of its
// window (the worklist leaves churned accounts out), so accounts are brought into the worklist's
// tiers through the API, as a billing system and a helpdesk would report a collapse.
import type { TestServer } from '../helpers/server';

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
