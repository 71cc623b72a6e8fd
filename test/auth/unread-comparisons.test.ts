// A key without `read` cannot learn a stored customer's or ticket's values from whether its writes
// are refused (README, "Security" → "Scopes"): a value a rule would compare with what is stored is
// refused FORBIDDEN whatever is stored, or taken without the comparison; no refusal names a stored
// value; nothing is written by a refusal. Keys with `read` keep the comparisons and their messages.
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
  it('refuses planChangedAt before anything runs, whatever the plan or the dates stored', async () => {
    for (const seats of [1, 40])
      for (const at of ['1971-01-01T00:00:00Z', '2025-04-01T00:00:00Z', '2026-11-30T00:00:00Z'])
        await expectRefusedWhateverStored(
          `mutation { upsertCustomer(input: { id: "${VICTIM}", seats: ${seats}, planChangedAt: "${at}" }) { id } }`,
        );
  });

  it('refuses a sign-up date or a churn date sent alone for a stored customer, whatever either stored date is', async () => {
    for (const signedUpAt of ['2026-11-02T00:00:00Z', '2024-01-01T00:00:00Z'])
      await expectRefusedWhateverStored(`mutation { upsertCustomer(input: { id: "${VICTIM}", signedUpAt: "${signedUpAt}" }) { id } }`);
    for (const churnedAt of ['2020-01-01T00:00:00Z', '2026-11-05T00:00:00Z'])
      await expectRefusedWhateverStored(`mutation { upsertCustomer(input: { id: "${VICTIM}", churnedAt: "${churnedAt}" }) { id } }`);
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

  it("refuses a stored ticket's resolution without its opening, and its opening without a resolution, whatever is stored", async () => {
    for (const resolvedAt of ['2026-11-19T00:00:00Z', '2026-11-25T00:00:00Z'])
      await expectRefusedWhateverStored(ticket(`status: SOLVED, resolvedAt: "${resolvedAt}"`));
    await expectRefusedWhateverStored(ticket('status: SOLVED, openedAt: "2026-11-21T00:00:00Z"'));
  });

  it('takes both dates together, a reopening with its opening, and a new ticket resolved without its opening', async () => {
    for (const fields of [
      'status: OPEN, openedAt: "2026-11-21T00:00:00Z"',
      'status: SOLVED, openedAt: "2026-11-21T00:00:00Z", resolvedAt: "2026-11-22T00:00:00Z"',
    ])
      expect({ fields, code: (await send(ticket(fields), ingest)).code }).toEqual({ fields, code: undefined });
    expect((await send(ticket('status: SOLVED, resolvedAt: "2026-11-22T00:00:00Z"', 't2'), ingest)).code).toBeUndefined();
  });

  it('leaves the comparison to a key with read', async () => {
    const result = await send(ticket('status: SOLVED, resolvedAt: "2026-11-01T00:00:00Z"'), readIngest);
    expect(result).toMatchObject({ code: 'BAD_USER_INPUT', message: 'resolvedAt must not be before openedAt (as stored, or as given)' });
  });
});
