// A dashboard page of customers with their latest NPS answer, last outreach action and the first
// few of each list must cost a constant number of SQL statements, whatever the page size.
import { CustomerHealthPageDocument, CustomerHealthPageQuery } from '../__generated__/graphql';
import { query } from '../../src/infra/sql';
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions, NewOutreachAction } from '../../src/outreach/outreach.service';
import { startTestServer, TestServer } from '../helpers/server';
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
async function countStatements(first: number): Promise<{ statements: string[]; page: CustomerHealthPageQuery }> {
  let page: CustomerHealthPageQuery | undefined;
  const statements = await statementsDuring(server.app.orm, async () => (page = await server.gql(CustomerHealthPageDocument, { first })));
  return { statements, page: page as CustomerHealthPageQuery };
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
