// The customer fields that as-of scoring reads from their history: the plan (ARR and seats) over
// time, kept by upsertCustomer in customer_plan_change, and the churn reason.
import { RefreshHealthScoreDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import type { Db } from '../../src/infra/sql';
import { query, queryOne } from '../../src/infra/sql';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let db: Db;

beforeAll(async () => {
  server = await startTestServer({ label: 'customer_history' });
  db = server.app.orm.em.fork() as Db;
});
afterAll(() => server.stop());

interface PlanChange {
  arrCents: number;
  seats: number | null;
  changedAt: string;
}

async function planChanges(customerId: string): Promise<PlanChange[]> {
  const rows = await query<{ arrCents: number; seats: number | null; changedAt: Date }>(
    db,
    `select arr_cents::float8 as "arrCents", seats, changed_at as "changedAt"
     from customer_plan_change where customer_id = ? order by changed_at, id`,
    [customerId],
  );
  return rows.map((row) => ({ ...row, changedAt: new Date(row.changedAt).toISOString() }));
}

async function rescoreRequested(customerId: string): Promise<boolean> {
  return (await queryOne(db, 'select 1 from rescore_request where customer_id = ?', [customerId])) !== undefined;
}

/** A just-recorded time: within a minute of the test's clock (the database's now()). */
function expectRecent(iso: string): void {
  expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(60_000);
}

describe('the plan history (customer_plan_change)', () => {
  it('starts with the plan a customer arrives with, as of its sign-up', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_new', name: 'New', arrCents: 12_000_000, seats: 40, signedUpAt: '2026-01-15T00:00:00.000Z' },
    });
    expect(await planChanges('cust_plan_new')).toEqual([{ arrCents: 12_000_000, seats: 40, changedAt: '2026-01-15T00:00:00.000Z' }]);
  });

  it('dates the first plan now when the sign-up is unknown, with the default ARR and no seats', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_bare', name: 'Bare' } });
    const [first, ...rest] = await planChanges('cust_plan_bare');
    expect(first).toMatchObject({ arrCents: 0, seats: null });
    expectRecent(first.changedAt);
    expect(rest).toEqual([]);
  });

  it('records fewer seats as of planChangedAt, and a lower ARR as of now without it', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_down', name: 'Shrinking', arrCents: 5_000_000, seats: 20, signedUpAt: '2026-02-01T00:00:00.000Z' },
    });
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_down', name: 'Shrinking', seats: 12, planChangedAt: '2026-06-01T00:00:00.000Z' },
    });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_down', name: 'Shrinking', arrCents: 3_000_000 } });

    const changes = await planChanges('cust_plan_down');
    expect(changes.slice(0, 2)).toEqual([
      { arrCents: 5_000_000, seats: 20, changedAt: '2026-02-01T00:00:00.000Z' },
      { arrCents: 5_000_000, seats: 12, changedAt: '2026-06-01T00:00:00.000Z' },
    ]);
    expect(changes).toHaveLength(3);
    expect(changes[2]).toMatchObject({ arrCents: 3_000_000, seats: 12 });
    expectRecent(changes[2].changedAt);
  });

  it('records seats removed (an explicit null) as a change', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_null', name: 'Null', seats: 5, signedUpAt: '2026-03-01T00:00:00.000Z' },
    });
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_null', name: 'Null', seats: null, planChangedAt: '2026-04-01T00:00:00.000Z' },
    });
    expect(await planChanges('cust_plan_null')).toEqual([
      { arrCents: 0, seats: 5, changedAt: '2026-03-01T00:00:00.000Z' },
      { arrCents: 0, seats: null, changedAt: '2026-04-01T00:00:00.000Z' },
    ]);
  });

  it('records nothing, and queues no rescoring, when neither ARR nor seats changes', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_same', name: 'Same', arrCents: 700_000, seats: 7, signedUpAt: '2026-01-01T00:00:00.000Z' },
    });
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_plan_same']);
    await server.gql(UpsertCustomerDocument, {
      input: {
        id: 'cust_plan_same',
        name: 'Same Inc',
        arrCents: 700_000,
        seats: 7,
        plan: 'pro',
        csmOwner: 'kate',
        planChangedAt: '2026-05-01T00:00:00.000Z',
      },
    });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_same', name: 'Same Inc' } });
    expect(await planChanges('cust_plan_same')).toEqual([{ arrCents: 700_000, seats: 7, changedAt: '2026-01-01T00:00:00.000Z' }]);
    expect(await rescoreRequested('cust_plan_same')).toBe(false);
  });

  it('queues the customer for rescoring when its ARR or seats change', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_rescore', name: 'Rescore', arrCents: 900_000, seats: 9 } });
    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_plan_rescore']);
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_rescore', name: 'Rescore', seats: 8 } });
    expect(await rescoreRequested('cust_plan_rescore')).toBe(true);

    await query(db, 'delete from rescore_request where customer_id = ?', ['cust_plan_rescore']);
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_rescore', name: 'Rescore', arrCents: 800_000, planChangedAt: new Date().toISOString() },
    });
    expect(await rescoreRequested('cust_plan_rescore')).toBe(true);
  });

  it('refuses a change dated before the last recorded one or before the sign-up, so the latest entry is the plan the customer has', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_order', name: 'Order', arrCents: 100_000, signedUpAt: '2026-03-01T00:00:00.000Z' },
    });
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_order', name: 'Order', arrCents: 90_000, planChangedAt: '2026-11-20T00:00:00.000Z' },
    });
    // Each refusal names the bound it broke: a change before the sign-up is told about the sign-up,
    // not about the first row of the plan history, which the sign-up dates.
    for (const [planChangedAt, reason] of [
      ['2026-11-10T00:00:00.000Z', 'before the last recorded plan change (2026-11-20T00:00:00.000Z)'],
      ['2026-02-01T00:00:00.000Z', 'before signedUpAt (2026-03-01T00:00:00.000Z)'],
    ]) {
      const refused = await server.request(UpsertCustomerDocument, {
        input: { id: 'cust_plan_order', name: 'Order', arrCents: 5_000, planChangedAt },
      });
      expect([refused.errors?.[0].extensions?.code, refused.errors?.[0].extensions?.argument]).toEqual(['BAD_USER_INPUT', 'planChangedAt']);
      expect(refused.errors?.[0].message).toContain(reason);
    }
    const changes = await planChanges('cust_plan_order');
    const stored = await queryOne<{ arrCents: number }>(
      db,
      `select arr_cents::float8 as "arrCents" from customer where id = 'cust_plan_order'`,
    );
    expect(changes.map((change) => change.arrCents)).toEqual([100_000, 90_000]);
    expect(stored?.arrCents).toBe(90_000);
  });

  it('refuses a change taking effect now (no planChangedAt) after one recorded ahead of now, and takes the same plan sent again', async () => {
    const ahead = new Date(Date.now() + 6 * 3_600_000).toISOString();
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_ahead', name: 'Ahead', arrCents: 100_000, seats: 10 } });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_ahead', name: 'Ahead', arrCents: 80_000, planChangedAt: ahead } });
    const refused = await server.request(UpsertCustomerDocument, { input: { id: 'cust_plan_ahead', name: 'Ahead', seats: 4 } });
    // The field that would change names the refusal: the client sent no planChangedAt.
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'seats' });
    expect(refused.errors?.[0].message).toMatch(/no planChangedAt.*before the last recorded plan change/);
    // A sync sending the plan the customer already has records no change: nothing to order.
    const same = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_plan_ahead', name: 'Ahead again', arrCents: 80_000, seats: 10 },
    });
    expect(same.errors).toBeUndefined();
    // So does one that dates that plan by an earlier contract date, as a CRM sync may on every call.
    const dated = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_plan_ahead', name: 'Ahead', arrCents: 80_000, seats: 10, planChangedAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(dated.errors).toBeUndefined();
    expect((await planChanges('cust_plan_ahead')).map((change) => [change.arrCents, change.seats])).toEqual([
      [100_000, 10],
      [80_000, 10],
    ]);
  });

  it('refuses a planChangedAt that is not a date-time, writing nothing', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_bad', name: 'Bad', seats: 3 } });
    const response = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_plan_bad', name: 'Bad', seats: 2, planChangedAt: 'last week' },
    });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await planChanges('cust_plan_bad')).toHaveLength(1);
  });

  it('keeps the history in step with the customer when several clients write it at once', async () => {
    // A new customer created by many clients at once has one first plan.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_race', name: 'Race', arrCents: 1_000 } }),
      ),
    );
    expect(await planChanges('cust_plan_race')).toHaveLength(1);
    // Changes sent at once: each is recorded against the one before it, and the last one recorded is the customer's.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_race', name: 'Race', arrCents: 2_000 + i } }),
      ),
    );
    const changes = await planChanges('cust_plan_race');
    const stored = await queryOne<{ arrCents: number }>(
      db,
      `select arr_cents::float8 as "arrCents" from customer where id = 'cust_plan_race'`,
    );
    expect(changes).toHaveLength(21);
    expect(changes[changes.length - 1].arrCents).toBe(stored?.arrCents);
  });

  it('refuses arrCents: null (ARR is never unknown: 0 for none), writing nothing', async () => {
    const response = await server.request(UpsertCustomerDocument, { input: { id: 'cust_plan_arr_null', name: 'Null', arrCents: null } });
    expect([response.errors?.[0].extensions?.code, response.errors?.[0].extensions?.argument]).toEqual(['BAD_USER_INPUT', 'arrCents']);
    expect(await planChanges('cust_plan_arr_null')).toEqual([]);
  });

  it('reads a plan corrected at the instant it took effect as never in effect: no contraction', async () => {
    // A CRM sync that creates the customer, then corrects its plan dated the same sign-up instant.
    const signedUpAt = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const contraction = async (id: string) => {
      const { refreshHealthScore } = await server.gql(RefreshHealthScoreDocument, { customerId: id });
      return refreshHealthScore.signals.find((s) => s.name === 'contraction')?.rawValue;
    };
    for (const [id, correctedAt] of [
      ['cust_plan_fixed', signedUpAt],
      ['cust_plan_cut', new Date(Date.parse(signedUpAt) + 86_400_000).toISOString()],
    ]) {
      await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 2_000_000, seats: 20, signedUpAt } });
      await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 1_000_000, seats: 10, planChangedAt: correctedAt } });
      expect(await planChanges(id)).toHaveLength(2);
    }
    expect(await contraction('cust_plan_fixed')).toBe(0);
    // The same cut a day after the sign-up is a downsell: the first plan was in effect for that day.
    expect(await contraction('cust_plan_cut')).toBe(0.5);
  });

  const PLAN_CHANGES = `query ($id: ID!, $first: Int, $after: String) { customer(id: $id) { planChanges(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { changedAt arrCents seats corrected } } } } }`;
  interface PlanChangesAnswer {
    customer: {
      planChanges: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: Array<{ node: { changedAt: string; arrCents: number; seats: number | null; corrected: boolean } }>;
      };
    };
  }
  const readPlanChanges = async (id: string, first = 50, after: string | null = null) => {
    const answer = await server.request<PlanChangesAnswer, unknown>(PLAN_CHANGES, { id, first, after });
    expect(answer.errors).toBeUndefined();
    return answer.data!.customer.planChanges;
  };
  const contractionOf = async (id: string) => {
    const { refreshHealthScore } = await server.gql(RefreshHealthScoreDocument, { customerId: id });
    return refreshHealthScore.signals.find((s) => s.name === 'contraction')?.rawValue;
  };

  it('reads the plan history back through Customer.planChanges, the latest first, paged', async () => {
    await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_plan_read', name: 'Read', arrCents: 500_000, seats: 5, signedUpAt: '2026-01-01T00:00:00.000Z' },
    });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_read', seats: 8, planChangedAt: '2026-03-01T00:00:00.000Z' } });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_read', arrCents: 900_000 } });
    const first = await readPlanChanges('cust_plan_read', 2);
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((edge) => edge.node)).toEqual([
      { changedAt: expect.any(String), arrCents: 900_000, seats: 8, corrected: false },
      { changedAt: '2026-03-01T00:00:00.000Z', arrCents: 500_000, seats: 8, corrected: false },
    ]);
    // The change sent without planChangedAt took effect when it was recorded: its date is told back.
    expectRecent(first.edges[0].node.changedAt);
    const rest = await readPlanChanges('cust_plan_read', 2, first.pageInfo.endCursor);
    expect(rest.edges.map((edge) => edge.node)).toEqual([
      { changedAt: '2026-01-01T00:00:00.000Z', arrCents: 500_000, seats: 5, corrected: false },
    ]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('corrects a typo of seats or ARR with correctsLastPlanChange: the typo was never in effect, so no contraction', async () => {
    const signedUpAt = new Date(Date.now() - 40 * 86_400_000).toISOString();
    for (const [id, typo, fix, correctsLastPlanChange] of [
      ['cust_typo_seats', { seats: 60 }, { seats: 6 }, true],
      ['cust_typo_arr', { arrCents: 100_000_000 }, { arrCents: 1_000_000 }, true],
      // The same fix sent as a change: 60 seats were in effect for a moment, and 6 reads as a cut from them.
      ['cust_typo_as_change', { seats: 60 }, { seats: 6 }, false],
    ] as const) {
      await server.gql(UpsertCustomerDocument, { input: { id, name: id, arrCents: 1_000_000, seats: 6, signedUpAt } });
      await server.gql(UpsertCustomerDocument, { input: { id, ...typo } });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const fixed = await server.request(UpsertCustomerDocument, { input: { id, ...fix, correctsLastPlanChange } });
      expect(fixed.errors).toBeUndefined();
      expect(await rescoreRequested(id)).toBe(true);
    }
    expect(await contractionOf('cust_typo_seats')).toBe(0);
    expect(await contractionOf('cust_typo_arr')).toBe(0);
    expect(await contractionOf('cust_typo_as_change')).toBe(0.9);

    // The history keeps the typo, marked corrected, and the correction dated the same instant.
    const { edges } = await readPlanChanges('cust_typo_seats');
    expect(edges.map((edge) => [edge.node.seats, edge.node.corrected])).toEqual([
      [6, false],
      [60, true],
      [6, false],
    ]);
    expect(edges[0].node.changedAt).toBe(edges[1].node.changedAt);
    const [correction, typo] = await query<{ changedAt: string }>(
      db,
      `select changed_at::text as "changedAt" from customer_plan_change where customer_id = 'cust_typo_seats' order by id desc limit 2`,
    );
    expect(correction.changedAt).toBe(typo.changedAt);
  });

  it('refuses a correction with planChangedAt, without arrCents or seats, or of a customer not stored, writing nothing', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_typo_refused', name: 'Refused', seats: 3 } });
    for (const [input, argument] of [
      [{ id: 'cust_typo_refused', seats: 4, correctsLastPlanChange: true, planChangedAt: new Date().toISOString() }, 'planChangedAt'],
      [{ id: 'cust_typo_refused', plan: 'pro', correctsLastPlanChange: true }, 'correctsLastPlanChange'],
      [{ id: 'cust_typo_new', name: 'New', seats: 4, correctsLastPlanChange: true }, 'correctsLastPlanChange'],
    ] as const) {
      const refused = await server.request(UpsertCustomerDocument, { input });
      expect({ input, error: refused.errors?.[0].extensions }).toMatchObject({ input, error: { code: 'BAD_USER_INPUT', argument } });
    }
    expect((await planChanges('cust_typo_refused')).map((change) => change.seats)).toEqual([3]);
    expect(await planChanges('cust_typo_new')).toEqual([]);
    expect(await queryOne(db, `select 1 from customer where id = 'cust_typo_new'`)).toBeUndefined();
  });

  it("deletes a customer's plan history with the customer", async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_plan_gone', name: 'Gone', seats: 1 } });
    await query(db, `delete from customer where id = 'cust_plan_gone'`);
    expect(await planChanges('cust_plan_gone')).toEqual([]);
  });
});

const UPSERT_CHURN_REASON = `mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id churnedAt churnReason } }`;
const GET_CHURN_REASON = `query ($id: ID!) { customer(id: $id) { id churnReason } }`;
const LIST_CHURN_REASONS = `query ($search: String) { customers(search: $search, first: 10) { edges { node { id churnReason } } } }`;

interface ChurnReasonAnswer {
  upsertCustomer: { id: string; churnedAt: string | null; churnReason: string | null };
}

describe('Customer.churnReason', () => {
  it('round-trips through upsertCustomer, customer and customers, trimmed, and is kept when omitted', async () => {
    const created = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_reason', name: 'Gone Ltd', churnedAt: '2026-09-30T00:00:00.000Z', churnReason: '  moved to a competitor ' },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data?.upsertCustomer).toEqual({
      id: 'cust_churn_reason',
      churnedAt: '2026-09-30T00:00:00.000Z',
      churnReason: 'moved to a competitor',
    });

    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_churn_reason', name: 'Gone Ltd.' } });
    const fetched = await server.request<{ customer: { id: string; churnReason: string | null } }, unknown>(GET_CHURN_REASON, {
      id: 'cust_churn_reason',
    });
    expect(fetched.data?.customer).toEqual({ id: 'cust_churn_reason', churnReason: 'moved to a competitor' });
    const listed = await server.request<{ customers: { edges: Array<{ node: { id: string; churnReason: string | null } }> } }, unknown>(
      LIST_CHURN_REASONS,
      {
        search: 'cust_churn_reason',
      },
    );
    expect(listed.data?.customers.edges.map((edge) => edge.node)).toEqual([
      { id: 'cust_churn_reason', churnReason: 'moved to a competitor' },
    ]);
  });

  it('is cleared by null or an empty string', async () => {
    const churnedAt = '2026-09-30T00:00:00.000Z';
    await server.request(UPSERT_CHURN_REASON, { input: { id: 'cust_churn_clear', name: 'Clear', churnedAt, churnReason: 'budget' } });
    const cleared = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_clear', name: 'Clear', churnReason: null },
    });
    expect(cleared.data?.upsertCustomer.churnReason).toBeNull();
    await server.request(UPSERT_CHURN_REASON, { input: { id: 'cust_churn_clear', name: 'Clear', churnReason: 'budget' } });
    const blank = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_clear', name: 'Clear', churnReason: '   ' },
    });
    expect(blank.data?.upsertCustomer.churnReason).toBeNull();
  });

  it('refuses a reason for an account that has no churnedAt, new or stored, naming churnReason and writing nothing', async () => {
    const stored = (id: string) => queryOne(db, 'select * from customer where id = ?', [id]);
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_churn_none', name: 'Stays' } });
    const before = await stored('cust_churn_none');
    for (const input of [
      { id: 'cust_churn_none', churnReason: 'x' },
      { id: 'cust_churn_none', churnedAt: null, churnReason: 'x' },
      { id: 'cust_churn_new', name: 'New', churnReason: 'x' },
    ]) {
      const response = await server.request(UPSERT_CHURN_REASON, { input });
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'churnReason' });
    }
    expect(await stored('cust_churn_none')).toEqual(before);
    expect(await stored('cust_churn_new')).toBeUndefined();

    // Given churnedAt, or once it has one, a reason is taken; undoing the churn clears it.
    const churned = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_none', churnedAt: '2026-09-30T00:00:00.000Z', churnReason: 'budget' },
    });
    expect(churned.data?.upsertCustomer).toMatchObject({ churnReason: 'budget' });
    const reasoned = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_none', churnReason: 'price' },
    });
    expect(reasoned.data?.upsertCustomer).toMatchObject({ churnedAt: '2026-09-30T00:00:00.000Z', churnReason: 'price' });
    const undone = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_none', churnedAt: null },
    });
    expect(undone.data?.upsertCustomer).toMatchObject({ churnedAt: null, churnReason: null });
  });

  it('refuses a reason longer than 1,000 characters with BAD_USER_INPUT, writing nothing', async () => {
    await server.request(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_long', name: 'Long', churnedAt: '2026-09-30T00:00:00.000Z', churnReason: 'price' },
    });
    const response = await server.request(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_long', name: 'Long', churnReason: 'x'.repeat(1_001) },
    });
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const kept = await server.request<{ customer: { id: string; churnReason: string | null } }, unknown>(GET_CHURN_REASON, {
      id: 'cust_churn_long',
    });
    expect(kept.data?.customer.churnReason).toBe('price');
    const atLimit = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_long', name: 'Long', churnReason: 'y'.repeat(1_000) },
    });
    expect(atLimit.data?.upsertCustomer.churnReason).toHaveLength(1_000);
  });

  it('reads a reason stored without a churn date (as writes took before the rule) as none, and a churn recorded later does not take it', async () => {
    const reasonOf = async (id: string) =>
      (await server.request<{ customer: { churnReason: string | null } }, unknown>(GET_CHURN_REASON, { id })).data?.customer.churnReason;
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_churn_legacy', name: 'Legacy' } });
    await query(db, `update customer set churn_reason = 'kept after an undone churn' where id = ?`, ['cust_churn_legacy']);
    expect(await reasonOf('cust_churn_legacy')).toBeNull();
    const listed = await server.request<{ customers: { edges: Array<{ node: { id: string; churnReason: string | null } }> } }, unknown>(
      LIST_CHURN_REASONS,
      { search: 'cust_churn_legacy' },
    );
    expect(listed.data?.customers.edges.map((edge) => edge.node)).toEqual([{ id: 'cust_churn_legacy', churnReason: null }]);
    // Kept, not destroyed, while the account has no churn.
    const stored = () =>
      queryOne<{ churnReason: string | null }>(db, 'select churn_reason as "churnReason" from customer where id = ?', [
        'cust_churn_legacy',
      ]);
    expect(await stored()).toEqual({ churnReason: 'kept after an undone churn' });

    const churned = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_legacy', churnedAt: '2026-10-31T00:00:00.000Z' },
    });
    expect(churned.data?.upsertCustomer).toEqual({ id: 'cust_churn_legacy', churnedAt: '2026-10-31T00:00:00.000Z', churnReason: null });
    expect(await stored()).toEqual({ churnReason: null });
    // The reason of this churn is kept when its date is corrected.
    await server.request(UPSERT_CHURN_REASON, { input: { id: 'cust_churn_legacy', churnReason: 'budget' } });
    const corrected = await server.request<ChurnReasonAnswer, unknown>(UPSERT_CHURN_REASON, {
      input: { id: 'cust_churn_legacy', churnedAt: '2026-10-30T00:00:00.000Z' },
    });
    expect(corrected.data?.upsertCustomer.churnReason).toBe('budget');
  });
});
