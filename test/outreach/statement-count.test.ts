// A dashboard page of customers with their latest NPS answer, last outreach action and the first
// few of each list must cost a constant number of SQL statements, whatever the page size.
import { CustomerHealthPageDocument, CustomerHealthPageQuery } from '../__generated__/graphql';
import { query } from '../../src/infra/sql';
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions, NewOutreachAction } from '../../src/outreach/outreach.service';
import { Answered, startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

const CUSTOMERS = 50;

let server: TestServer;

beforeAll(async () => {
  // Continuous rescoring off: the setup's writes would otherwise queue a background round whose
  // statements can land inside a measured request on a loaded machine.
  server = await startTestServer({ label: 'statement_count', env: { RESCORE_DEBOUNCE_MS: '0' } });
  // Seeded with SQL rather than mutations so no rescoring is signalled while statements are counted.
  const db = server.app.orm.em.fork() as Db;
  await query(
    db,
    `insert into customer (id, name) select 'cust_' || lpad(k::text, 2, '0'), 'Customer ' || lpad(k::text, 2, '0') from generate_series(0, ?) k`,
    [CUSTOMERS - 1],
  );
  // Customer k answered the survey k % 5 times (scores 10, 9, 8, 7 hours apart; the latest is the lowest).
  await query(
    db,
    `insert into nps_response (customer_id, score, responded_at)
     select 'cust_' || lpad(k::text, 2, '0'), 10 - r, timestamptz '2026-05-01T00:00:00Z' + r * interval '1 hour'
     from generate_series(0, ?) k cross join lateral generate_series(0, k % 5 - 1) r`,
    [CUSTOMERS - 1],
  );
  // Customer k has k % 3 outreach actions.
  const actions: NewOutreachAction[] = [];
  for (let k = 0; k < CUSTOMERS; k++) {
    for (let n = 0; n < k % 3; n++) {
      actions.push({
        customerId: `cust_${String(k).padStart(2, '0')}`,
        playbook: `playbook_${n}`,
        action: 'csm_alert',
        audience: 'TEAM',
        channel: 'SLACK',
        trigger: 'CRITICAL',
        status: 'DECIDED',
        createdAt: new Date(Date.UTC(2026, 4, 2, n)),
      });
    }
  }
  await insertOutreachActions(db, actions);
});
afterAll(() => server.stop());

/** Runs the page query and records every SQL statement sent while it runs. */
async function countStatements(first: number): Promise<{ statements: string[]; page: Answered<CustomerHealthPageQuery> }> {
  let page: Answered<CustomerHealthPageQuery> | undefined;
  const statements = await statementsDuring(server.app.orm, async () => (page = await server.gql(CustomerHealthPageDocument, { first })));
  return { statements, page: page! };
}

describe('a page of customers with nested NPS and outreach', () => {
  it('costs the same small number of statements for 5 customers as for 50', async () => {
    const five = await countStatements(5);
    const fifty = await countStatements(50);
    expect(five.page.customers.edges).toHaveLength(5);
    expect(fifty.page.customers.edges).toHaveLength(50);
    // customers page (latestNpsResponse and lastOutreachAction joined into it), npsResponses page + its totalCount, outreach page
    expect({ five: five.statements.length, fifty: fifty.statements.length }).toEqual({ five: 4, fifty: 4 });
    expect(fifty.statements.length).toBeLessThanOrEqual(8);
  });

  it('still answers each customer with its own rows', async () => {
    const { page } = await countStatements(50);
    for (const [k, { node }] of page.customers.edges.entries()) {
      expect(node.id).toBe(`cust_${String(k).padStart(2, '0')}`);
      const answers = k % 5;
      expect(node.npsResponses.totalCount).toBe(answers);
      expect(node.npsResponses.edges.map((edge) => edge.node.score)).toEqual([10, 9, 8, 7].slice(0, answers).reverse().slice(0, 3));
      expect(node.latestNpsResponse?.score ?? null).toBe(answers === 0 ? null : 11 - answers);
      expect(node.outreach.edges).toHaveLength(k % 3);
      expect(node.lastOutreachAction?.playbook ?? null).toBe(k % 3 === 0 ? null : `playbook_${(k % 3) - 1}`);
    }
  });
});

describe('a page of customers with their score history', () => {
  const HISTORY =
    'scoreHistory(first: 2, from: "2026-05-01T00:00:00Z") { totalCount edges { cursor node { id score asOf } } pageInfo { hasNextPage endCursor } }';
  type History = {
    totalCount: number;
    edges: Array<{ cursor: string; node: { id: string; score: number; asOf: string } }>;
    pageInfo: unknown;
  };
  type Page = { customers: { edges: Array<{ node: { id: string; scoreHistory: History } }> } };

  beforeAll(async () => {
    // Customer k has k % 4 scores, an hour apart, the latest the lowest.
    await query(
      server.app.orm.em.fork() as Db,
      `insert into health_score (customer_id, score, tier, trend, components, signals, coverage, model_version, as_of)
       select 'cust_' || lpad(k::text, 2, '0'), 90 - r, 'healthy', 'STABLE', '[]', '[]', 1, 1, timestamptz '2026-05-03T00:00:00Z' + r * interval '1 hour'
       from generate_series(0, ?) k cross join lateral generate_series(0, k % 4 - 1) r`,
      [CUSTOMERS - 1],
    );
  });

  async function historyPage(first: number): Promise<{ statements: string[]; page: Page }> {
    let page: Page | undefined;
    const statements = await statementsDuring(server.app.orm, async () => {
      const answer = await server.request<Page, { first: number }>(
        `query ($first: Int) { customers(first: $first) { edges { node { id ${HISTORY} } } } }`,
        {
          first,
        },
      );
      expect(answer.errors).toBeUndefined();
      page = answer.data ?? undefined;
    });
    return { statements, page: page as Page };
  }

  it('costs the same statements for 5 customers as for 50, and answers each as healthScoreHistory does', async () => {
    const five = await historyPage(5);
    const fifty = await historyPage(50);
    // The customers page, one for every customer's history page, one for their totalCounts.
    expect({ five: five.statements.length, fifty: fifty.statements.length }).toEqual({ five: 3, fifty: 3 });
    for (const [k, { node }] of fifty.page.customers.edges.entries()) {
      expect(node.scoreHistory.totalCount).toBe(k % 4);
      if (k >= 8) continue;
      const alone = await server.request<{ healthScoreHistory: History }, Record<string, never>>(
        `{ healthScoreHistory(customerId: "${node.id}", ${HISTORY.slice('scoreHistory('.length)} }`,
      );
      expect(node.scoreHistory).toEqual(alone.data!.healthScoreHistory);
    }
  });
});
