// A key without `read` cannot learn a stored customer's or ticket's values from whether its writes
// are refused (README, "Security" → "Scopes"): a value a rule would compare with what is stored is
// refused FORBIDDEN whatever is stored, or taken without the comparison (a plan change dated before the
// sign-up moved up to it, one before the plan in effect recorded at its date, leaving it), or taken when it is the stored
// value sent again (a sync's resend); no refusal names a stored value; nothing is written by a
// refusal. The one comparison left, a churn date held to the stored sign-up, names neither date. Keys
// with `read` keep the comparisons and their messages.
import { Client } from 'pg';
import { createKey, post } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

const VICTIM = 'cust_victim';
const SIGNED_UP = '2025-03-14T09:26:53Z';

let server: TestServer;
let inspector: Client;
let admin: string;
let ingest: string;
let readIngest: string;

async function send(document: string, key: string): Promise<{ code?: string; message?: string; data: unknown }> {
  const { body } = await post(server.url, document, undefined, key);
  const error = body.errors?.[0];
  return { code: error?.extensions?.code as string | undefined, message: error?.message, data: body.data };
}

async function asAdmin(document: string): Promise<void> {
  expect((await send(document, admin)).code).toBeUndefined();
}

/** The victim's stored row and plan history, every column a refusal must leave as it was. */
async function stored(): Promise<unknown> {
  const customer = await inspector.query('select * from customer where id = $1', [VICTIM]);
  const plans = await inspector.query('select * from customer_plan_change where customer_id = $1 order by id', [VICTIM]);
  const tickets = await inspector.query('select * from support_ticket order by id');
  return { customer: customer.rows, plans: plans.rows, tickets: tickets.rows };
}

/** A customer's plan history, in the order it was recorded. */
async function plans(id: string): Promise<Array<{ seats: number; changed_at: Date }>> {
  return (await inspector.query('select * from customer_plan_change where customer_id = $1 order by id', [id])).rows;
}

/** Refused FORBIDDEN naming the read scope, with no stored date in the message, and nothing written. */
async function expectRefusedWhateverStored(document: string): Promise<void> {
  const before = await stored();
  const result = await send(document, ingest);
  expect({ document, code: result.code }).toEqual({ document, code: 'FORBIDDEN' });
  expect(result.message).toMatch(/read scope/);
  expect(result.message).not.toMatch(/2025-03-14|2026-06-01|2026-11-01|2026-11-20|37/);
  expect(await stored()).toEqual(before);
}

beforeAll(async () => {
  server = await startTestServer({ label: 'unread_comparisons', env: { RESCORE_DEBOUNCE_MS: '0', RATE_LIMIT_REQUESTS: '0' } });
  inspector = new Client({ connectionString: server.database.url });
  await inspector.connect();
  admin = (await createKey(server, ['admin'], undefined, 'admin')).key;
  ingest = (await createKey(server, ['ingest'], admin)).key;
  readIngest = (await createKey(server, ['read', 'ingest'], admin)).key;
  await asAdmin(
    `mutation { upsertCustomer(input: { id: "${VICTIM}", name: "Victim", seats: 37, arrCents: 500000, signedUpAt: "${SIGNED_UP}", churnedAt: "2026-11-01T00:00:00Z" }) { id } }`,
  );
  await asAdmin(`mutation { upsertCustomer(input: { id: "${VICTIM}", seats: 40, planChangedAt: "2026-06-01T12:00:00Z" }) { id } }`);
  await asAdmin(
    `mutation { recordSupportTicket(input: { customerId: "${VICTIM}", externalId: "t1", severity: LOW, status: OPEN, openedAt: "2026-11-20T00:00:00Z" }) { id } }`,
  );
});

afterAll(async () => {
  await inspector.end();
  await server.stop();
});

describe('upsertCustomer with a key without read', () => {
  it('takes a planChangedAt at any date, recording nothing when the plan sent is the one in effect, whatever the plan stored', async () => {
    // 40 seats are in effect since 2026-06-01T12:00:00Z: the same plan at any other date records nothing, refuses nothing.
    const before = await plans(VICTIM);
    for (const at of ['1971-01-01T00:00:00Z', '2025-04-01T00:00:00Z', '2026-06-01T11:59:59.999Z', '2026-11-30T00:00:00Z']) {
      const result = await send(
        `mutation { upsertCustomer(input: { id: "${VICTIM}", seats: 40, planChangedAt: "${at}" }) { id } }`,
        ingest,
      );
      expect({ at, code: result.code }).toEqual({ at, code: undefined });
    }
    expect(await plans(VICTIM)).toEqual(before);
  });

  it('records a planChangedAt before the plan in effect at its date (the sign-up at the earliest), never refused by it, and leaves the plan in effect', async () => {
    await asAdmin(
      `mutation { upsertCustomer(input: { id: "cust_moved", name: "Moved", seats: 5, signedUpAt: "2026-01-01T00:00:00Z" }) { id } }`,
    );
    await asAdmin(`mutation { upsertCustomer(input: { id: "cust_moved", seats: 6, planChangedAt: "2026-03-01T00:00:00Z" }) { id } }`);
    for (const [seats, at, inEffect] of [
      [7, '2026-02-01T00:00:00Z', 6],
      [8, '2025-01-01T00:00:00Z', 6],
      [9, '2026-04-01T00:00:00Z', 9],
    ] as const) {
      const result = await send(
        `mutation { upsertCustomer(input: { id: "cust_moved", seats: ${seats}, planChangedAt: "${at}" }) { id } }`,
        ingest,
      );
      expect({ seats, code: result.code }).toEqual({ seats, code: undefined });
      const customer = await inspector.query('select seats from customer where id = $1', ['cust_moved']);
      expect({ seats, inEffect: customer.rows[0].seats }).toEqual({ seats, inEffect });
    }
    // The admin's 6 seats stay the plan in effect from 03-01 until the change after them: a late
    // message of an ingest-only pipeline goes at its date, and one before the sign-up just after the
    // first plan, which stays on record (at its instant it would read as never in effect).
    const recorded = await inspector.query(
      `select p.seats, to_char(p.changed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as at,
              exists (select 1 from customer_plan_change r where r.customer_id = p.customer_id and r.changed_at = p.changed_at and r.id > p.id) as corrected
       from customer_plan_change p where p.customer_id = 'cust_moved' order by p.id`,
    );
    expect(recorded.rows).toEqual([
      { seats: 5, at: '2026-01-01 00:00:00.000000', corrected: false },
      { seats: 6, at: '2026-03-01 00:00:00.000000', corrected: false },
      { seats: 7, at: '2026-02-01 00:00:00.000000', corrected: false },
      { seats: 8, at: '2026-01-01 00:00:00.000001', corrected: false },
      { seats: 9, at: '2026-04-01 00:00:00.000000', corrected: false },
    ]);
    // Before the sign-up sent with it: the input shows that order itself, and only its own dates are named.
    const early = await send(
      `mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "${SIGNED_UP}", seats: 1, planChangedAt: "2025-01-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect(early).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('signedUpAt sent with it') });
    expect(early.message).not.toMatch(/2026-06-01|37|40/);
  });

  it("keeps a contraction in effect when an ingest-only pipeline's late message sends the plan before it", async () => {
    const DAY = 86_400_000;
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const plan = (seats: number, days: number) => `seats: ${seats}, arrCents: ${seats * 10_000}, planChangedAt: "${ago(days)}"`;
    const upsert = (fields: string) => `mutation { upsertCustomer(input: { id: "cust_late", ${fields} }) { id } }`;
    const contraction = async () => {
      const { data } = await send(
        'mutation { refreshHealthScore(customerId: "cust_late") { score signals { name rawValue value } } }',
        admin,
      );
      const { score, signals } = (data as { refreshHealthScore: { score: number; signals: Array<{ name: string }> } }).refreshHealthScore;
      return { score, contraction: signals.find((signal) => signal.name === 'contraction') };
    };
    const customer = async () =>
      (await inspector.query('select seats, arr_cents::float8 as "arrCents" from customer where id = $1', ['cust_late'])).rows[0];
    const history = async () =>
      (
        await inspector.query(
          'select seats, changed_at as "changedAt" from customer_plan_change where customer_id = $1 order by changed_at, id',
          ['cust_late'],
        )
      ).rows;
    await asAdmin(upsert(`name: "Late", seats: 100, arrCents: 1000000, signedUpAt: "${ago(200)}"`));
    await asAdmin(upsert(plan(40, 5)));
    const contracted = { score: 75, contraction: { name: 'contraction', rawValue: 0.6, value: 0 } };
    expect(await contraction()).toEqual(contracted);
    const recorded = await history();

    // The plan before the contraction, dated before it: the plan then in effect, so nothing is recorded.
    expect((await send(upsert(plan(100, 20)), ingest)).code).toBeUndefined();
    expect(await customer()).toEqual({ seats: 40, arrCents: 400_000 });
    expect(await history()).toEqual(recorded);
    expect(await contraction()).toEqual(contracted);

    // Another plan dated before it is recorded at its own date, between the entries; sent again, it records nothing.
    const at = ago(20);
    for (let round = 0; round < 2; round++)
      expect({ round, code: (await send(upsert(`seats: 70, arrCents: 700000, planChangedAt: "${at}"`), ingest)).code }).toEqual({
        round,
        code: undefined,
      });
    expect(await customer()).toEqual({ seats: 40, arrCents: 400_000 });
    expect(await history()).toEqual([recorded[0], { seats: 70, changedAt: new Date(at) }, recorded[1]]);
    expect(await contraction()).toEqual(contracted);

    // A key with read is told the order instead.
    const refused = await send(upsert(plan(100, 20)), readIngest);
    expect(refused).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('must not be before the last recorded plan change'),
    });
  });

  it("records a late plan dated at an earlier entry's instant just after it, leaving that entry in effect until then", async () => {
    const upsert = (fields: string) => `mutation { upsertCustomer(input: { id: "cust_tie", ${fields} }) { id } }`;
    await asAdmin(upsert(`name: "Tie", seats: 100, signedUpAt: "2026-01-01T00:00:00Z"`));
    await asAdmin(upsert(`seats: 200, planChangedAt: "2026-03-01T00:00:00Z"`));
    await asAdmin(upsert(`seats: 40, planChangedAt: "2026-05-01T00:00:00Z"`));
    // A pipeline dates its late message the same whole day as the admin's entry; sent twice.
    for (let round = 0; round < 2; round++)
      expect({ round, code: (await send(upsert(`seats: 100, planChangedAt: "2026-03-01T00:00:00Z"`), ingest)).code }).toEqual({
        round,
        code: undefined,
      });
    const recorded = await inspector.query(
      `select p.seats, to_char(p.changed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as at,
              exists (select 1 from customer_plan_change r where r.customer_id = p.customer_id and r.changed_at = p.changed_at and r.id > p.id) as corrected
       from customer_plan_change p where p.customer_id = 'cust_tie' order by p.changed_at, p.id`,
    );
    expect(recorded.rows).toEqual([
      { seats: 100, at: '2026-01-01 00:00:00.000000', corrected: false },
      { seats: 200, at: '2026-03-01 00:00:00.000000', corrected: false },
      { seats: 100, at: '2026-03-01 00:00:00.000001', corrected: false },
      { seats: 40, at: '2026-05-01 00:00:00.000000', corrected: false },
    ]);
  });

  it('takes a record sent again whose first plan is dated the sign-up, as stored before planChangedAt dated it', async () => {
    const record = `id: "cust_legacy", name: "Legacy", signedUpAt: "2026-01-01T00:00:00Z", seats: 4, planChangedAt: "2026-03-01T00:00:00Z"`;
    await asAdmin(`mutation { upsertCustomer(input: { ${record} }) { id } }`);
    // As customers created before the first plan was dated planChangedAt (or by a key with read, without it) have it.
    await inspector.query(`update customer_plan_change set changed_at = '2026-01-01T00:00:00Z' where customer_id = 'cust_legacy'`);
    for (let round = 0; round < 2; round++) {
      const result = await send(`mutation { upsertCustomer(input: { ${record} }) { id } }`, ingest);
      expect({ round, code: result.code }).toEqual({ round, code: undefined });
    }
    expect((await plans('cust_legacy')).map((plan) => [plan.seats, plan.changed_at])).toEqual([[4, new Date('2026-01-01T00:00:00Z')]]);
  });

  it('refuses a sign-up date sent alone for a stored customer unless it is the stored one, whatever the churn date', async () => {
    for (const signedUpAt of ['2026-11-02T00:00:00Z', '2024-01-01T00:00:00Z', '2025-03-14T09:26:53.001Z'])
      await expectRefusedWhateverStored(`mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "${signedUpAt}" }) { id } }`);
    // What it says to do must not lose the churn label: such a key, not knowing the churn date, could send only null.
    const refused = await send(
      `mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "2024-01-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect(refused.message).toMatch(
      /churnedAt: null .*clearing a stored churn date and its reason.*or correct it with a key that has read/,
    );
    const resent = await send(`mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "${SIGNED_UP}" }) { id } }`, ingest);
    expect(resent.code).toBeUndefined();
  });

  it('labels a stored customer churned with churnedAt (and churnReason) alone, refusing one before the sign-up without naming it', async () => {
    const signedUpAt = '2025-05-05T05:05:05Z';
    await asAdmin(`mutation { upsertCustomer(input: { id: "cust_label", name: "Label", signedUpAt: "${signedUpAt}" }) { id } }`);
    const label = await send(
      `mutation { upsertCustomer(input: { id: "cust_label", churnedAt: "2026-10-01T00:00:00Z", churnReason: "budget" }) { id } }`,
      ingest,
    );
    expect(label.code).toBeUndefined();
    const labelled = 'select churned_at as "churnedAt", churn_reason as "churnReason" from customer where id = $1';
    expect((await inspector.query(labelled, ['cust_label'])).rows).toEqual([
      { churnedAt: new Date('2026-10-01T00:00:00Z'), churnReason: 'budget' },
    ]);
    const early = await send(`mutation { upsertCustomer(input: { id: "cust_label", churnedAt: "2025-01-01T00:00:00Z" }) { id } }`, ingest);
    expect(early).toMatchObject({ code: 'BAD_USER_INPUT', message: 'churnedAt must not be before signedUpAt (as stored, or as given)' });
    expect(early.message).not.toMatch(/2025-05-05/);
    expect((await inspector.query(labelled, ['cust_label'])).rows[0].churnedAt).toEqual(new Date('2026-10-01T00:00:00Z'));
  });

  it('takes a whole record sent again, dated its plan in effect, and records no plan change', async () => {
    const before = await plans(VICTIM);
    const record = `name: "Victim", signedUpAt: "${SIGNED_UP}", arrCents: 500000, seats: 40, planChangedAt: "2026-06-01T12:00:00Z"`;
    expect((await send(`mutation { upsertCustomer(input: { id: "${VICTIM}", ${record} }) { id } }`, ingest)).code).toBeUndefined();
    expect(await plans(VICTIM)).toEqual(before);

    // A sync that creates the account and sends it again, its plan dated the sign-up.
    const synced = `id: "cust_sync", name: "Sync", signedUpAt: "2026-02-02T00:00:00Z", arrCents: 120000, seats: 3, planChangedAt: "2026-02-02T00:00:00Z"`;
    for (let round = 0; round < 2; round++)
      expect((await send(`mutation { upsertCustomer(input: { ${synced} }) { id } }`, ingest)).code).toBeUndefined();
    expect(await plans('cust_sync')).toHaveLength(1);

    // Its plan dated after the sign-up: the first entry is dated planChangedAt, which every resend then dates.
    const later = `id: "cust_later", name: "Later", signedUpAt: "2026-01-01T00:00:00Z", arrCents: 90000, seats: 4, planChangedAt: "2026-03-01T00:00:00Z"`;
    for (let round = 0; round < 3; round++)
      expect({ round, code: (await send(`mutation { upsertCustomer(input: { ${later} }) { id } }`, ingest)).code }).toEqual({
        round,
        code: undefined,
      });
    expect((await plans('cust_later')).map((plan) => [plan.changed_at, plan.seats])).toEqual([[new Date('2026-03-01T00:00:00Z'), 4]]);
    // A planChangedAt without a plan dates none: the first entry is the sign-up's.
    await send(
      `mutation { upsertCustomer(input: { id: "cust_planless", name: "P", signedUpAt: "2026-01-01T00:00:00Z", planChangedAt: "2025-01-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect((await plans('cust_planless')).map((plan) => plan.changed_at)).toEqual([new Date('2026-01-01T00:00:00Z')]);
  });

  it('takes planChangedAt dating the plan in effect whatever the plan sent: another plan corrects it at that instant', async () => {
    await asAdmin(
      `mutation { upsertCustomer(input: { id: "cust_fix", name: "Fix", seats: 5, signedUpAt: "2026-01-01T00:00:00Z" }) { id } }`,
    );
    await asAdmin(`mutation { upsertCustomer(input: { id: "cust_fix", seats: 6, planChangedAt: "2026-03-01T00:00:00Z" }) { id } }`);
    for (const seats of [6, 7]) {
      const result = await send(
        `mutation { upsertCustomer(input: { id: "cust_fix", seats: ${seats}, planChangedAt: "2026-03-01T00:00:00Z" }) { id } }`,
        ingest,
      );
      expect({ seats, code: result.code }).toEqual({ seats, code: undefined });
    }
    const history = await inspector.query(
      'select seats, changed_at as "changedAt" from customer_plan_change where customer_id = $1 order by id',
      ['cust_fix'],
    );
    expect(history.rows).toEqual([
      { seats: 5, changedAt: new Date('2026-01-01T00:00:00Z') },
      { seats: 6, changedAt: new Date('2026-03-01T00:00:00Z') },
      { seats: 7, changedAt: new Date('2026-03-01T00:00:00Z') },
    ]);
  });

  it('takes both dates sent together, whose order the input shows, and either alone for a new customer', async () => {
    const both = await send(
      `mutation { upsertCustomer(input: { id: "cust_both", name: "Both", signedUpAt: "2026-01-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect(both.code).toBeUndefined();
    const together = await send(
      `mutation { upsertCustomer(input: { id: "cust_both", signedUpAt: "2026-02-01T00:00:00Z", churnedAt: "2026-10-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect(together.code).toBeUndefined();
    const reversed = await send(
      `mutation { upsertCustomer(input: { id: "cust_both", signedUpAt: "2026-02-01T00:00:00Z", churnedAt: "2026-01-01T00:00:00Z" }) { id } }`,
      ingest,
    );
    expect(reversed).toMatchObject({ code: 'BAD_USER_INPUT', message: 'churnedAt must not be before signedUpAt' });
  });

  it('takes a change of seats sent again or not, dated after a sign-up recorded ahead of now', async () => {
    const ahead = new Date(Date.now() + 12 * 3600_000).toISOString();
    await asAdmin(`mutation { upsertCustomer(input: { id: "cust_ahead", name: "Ahead", seats: 7, signedUpAt: "${ahead}" }) { id } }`);
    const refusedToReader = await send(`mutation { upsertCustomer(input: { id: "cust_ahead", seats: 8 }) { id } }`, readIngest);
    expect(refusedToReader.code).toBe('BAD_USER_INPUT');
    for (const seats of [7, 9]) {
      const result = await send(`mutation { upsertCustomer(input: { id: "cust_ahead", seats: ${seats} }) { id } }`, ingest);
      expect({ seats, code: result.code }).toEqual({ seats, code: undefined });
    }
    const history = await inspector.query(
      `select seats, changed_at > $2::timestamptz as "afterSignUp" from customer_plan_change where customer_id = $1 order by changed_at, id`,
      ['cust_ahead', ahead],
    );
    expect(history.rows).toEqual([
      { seats: 7, afterSignUp: false },
      { seats: 9, afterSignUp: true },
    ]);
  });

  it('leaves the comparisons, and their messages, to a key with read', async () => {
    const early = await send(
      `mutation { upsertCustomer(input: { id: "${VICTIM}", seats: 1, planChangedAt: "2025-04-01T00:00:00Z" }) { id } }`,
      readIngest,
    );
    expect(early).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('2026-06-01T12:00:00.000Z') });
    const late = await send(
      `mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "2026-11-02T00:00:00Z" }) { id } }`,
      readIngest,
    );
    expect(late).toMatchObject({ code: 'BAD_USER_INPUT', message: 'churnedAt must not be before signedUpAt (as stored, or as given)' });
  });
});

describe('recordSupportTicket with a key without read', () => {
  const ticket = (fields: string, externalId = 't1') =>
    `mutation { recordSupportTicket(input: { customerId: "${VICTIM}", externalId: "${externalId}", severity: LOW, ${fields} }) { id } }`;

  const ticketRow = async (externalId: string) =>
    (await inspector.query('select status, severity, opened_at, resolved_at from support_ticket where external_id = $1', [externalId]))
      .rows[0];

  it("refuses a stored ticket's opening without a resolution unless it is the stored one, whatever is stored", async () => {
    await expectRefusedWhateverStored(ticket('status: SOLVED, openedAt: "2026-11-21T00:00:00Z"'));
    await expectRefusedWhateverStored(ticket('openedAt: "2026-11-19T00:00:00Z"'));
  });

  it('takes the stored opening sent again, with or without a status', async () => {
    const raised = await send(ticket('severity: HIGH, openedAt: "2026-11-20T00:00:00Z"').replace('severity: LOW, ', ''), ingest);
    expect(raised.code).toBeUndefined();
    expect(await ticketRow('t1')).toMatchObject({ status: 'OPEN', severity: 'HIGH', opened_at: new Date('2026-11-20T00:00:00Z') });
    expect((await send(ticket('status: SOLVED, openedAt: "2026-11-20T00:00:00Z"', 't3'), ingest)).code).toBeUndefined();
    await asAdmin(
      `mutation { recordSupportTicket(input: { customerId: "${VICTIM}", externalId: "t4", status: OPEN, openedAt: "2026-11-20T00:00:00Z" }) { id } }`,
    );
    expect((await send(ticket('status: SOLVED, openedAt: "2026-11-20T00:00:00Z"', 't4'), ingest)).code).toBeUndefined();
    expect(await ticketRow('t4')).toMatchObject({ status: 'SOLVED', opened_at: new Date('2026-11-20T00:00:00Z') });
    expect((await ticketRow('t4')).resolved_at.getTime()).toBeGreaterThanOrEqual(new Date('2026-11-20T00:00:00Z').getTime());
  });

  it('solves a stored ticket at a date sent without its opening, moved up to the stored opening, naming nothing stored', async () => {
    for (const [externalId, resolvedAt, stored] of [
      ['t5', '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'],
      ['t6', '2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z'],
    ]) {
      await asAdmin(
        `mutation { recordSupportTicket(input: { customerId: "${VICTIM}", externalId: "${externalId}", status: OPEN, openedAt: "2026-11-20T00:00:00Z" }) { id } }`,
      );
      const solved = await send(ticket(`status: SOLVED, resolvedAt: "${resolvedAt}"`, externalId), ingest);
      expect({ externalId, code: solved.code }).toEqual({ externalId, code: undefined });
      expect(await ticketRow(externalId)).toMatchObject({ status: 'SOLVED', opened_at: new Date('2026-11-20T00:00:00Z') });
      expect((await ticketRow(externalId)).resolved_at).toEqual(new Date(stored));
    }
    // Its answer may not show the resolution, which can be the stored opening: refused whatever is stored.
    const shown = await send(
      `mutation { recordSupportTicket(input: { customerId: "${VICTIM}", externalId: "t6", status: SOLVED, resolvedAt: "2026-11-19T00:00:00Z" }) { id resolvedAt } }`,
      ingest,
    );
    expect(shown).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('resolvedAt') });
    expect(shown.message).not.toMatch(/2026-11-20/);
  });

  it('takes both dates together, a reopening with its opening, and a new ticket resolved without its opening', async () => {
    for (const fields of [
      'status: OPEN, openedAt: "2026-11-21T00:00:00Z"',
      'status: SOLVED, openedAt: "2026-11-21T00:00:00Z", resolvedAt: "2026-11-22T00:00:00Z"',
    ])
      expect({ fields, code: (await send(ticket(fields), ingest)).code }).toEqual({ fields, code: undefined });
    expect((await send(ticket('status: SOLVED, resolvedAt: "2026-11-22T00:00:00Z"', 't2'), ingest)).code).toBeUndefined();
  });

  it('takes a SOLVED ticket sent again with its stored resolution and without its opening, and corrects it to another', async () => {
    const before = await ticketRow('t1');
    expect(before).toMatchObject({
      status: 'SOLVED',
      opened_at: new Date('2026-11-21T00:00:00Z'),
      resolved_at: new Date('2026-11-22T00:00:00Z'),
    });
    const resent = await send(ticket('status: SOLVED, resolvedAt: "2026-11-22T00:00:00Z"'), ingest);
    expect(resent.code).toBeUndefined();
    expect(await ticketRow('t1')).toEqual(before);
    for (const [resolvedAt, stored] of [
      ['2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z'],
      ['2026-11-22T00:00:00.001Z', '2026-11-22T00:00:00.001Z'],
    ]) {
      expect((await send(ticket(`status: SOLVED, resolvedAt: "${resolvedAt}"`), ingest)).code).toBeUndefined();
      expect((await ticketRow('t1')).resolved_at).toEqual(new Date(stored));
    }
  });

  it('leaves the comparison to a key with read', async () => {
    const result = await send(ticket('status: SOLVED, resolvedAt: "2026-11-01T00:00:00Z"'), readIngest);
    expect(result).toMatchObject({ code: 'BAD_USER_INPUT', message: 'resolvedAt must not be before openedAt (as stored, or as given)' });
  });
});
