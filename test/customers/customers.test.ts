import { GetCustomerDocument, ListCustomersDocument, SetOptOutDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'customers' });
});
afterAll(() => server.stop());

describe('customers', () => {
  it("creates a customer under the integrator's own id and updates it without losing omitted fields", async () => {
    const created = await server.gql(UpsertCustomerDocument, {
      input: {
        id: 'cust_abc123',
        name: 'Acme',
        plan: 'enterprise',
        arrCents: 12_000_000,
        seats: 40,
        csmOwner: 'kate',
        signedUpAt: '2026-01-15T00:00:00.000Z',
      },
    });
    expect(created.upsertCustomer).toMatchObject({
      id: 'cust_abc123',
      name: 'Acme',
      plan: 'enterprise',
      arrCents: 12_000_000,
      seats: 40,
      communicationOptOut: false,
    });

    const updated = await server.gql(UpsertCustomerDocument, { input: { id: 'cust_abc123', name: 'Acme Corp', seats: 55 } });
    expect(updated.upsertCustomer).toMatchObject({
      name: 'Acme Corp',
      seats: 55,
      plan: 'enterprise',
      csmOwner: 'kate',
      signedUpAt: '2026-01-15T00:00:00.000Z',
    });

    const fetched = await server.gql(GetCustomerDocument, { id: 'cust_abc123' });
    expect(fetched.customer).toMatchObject({ id: 'cust_abc123', name: 'Acme Corp', arrCents: 12_000_000 });
  });

  it('updates an account without its name, which it keeps; creating one needs a name, and a name cannot be cleared', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_unnamed_update', name: 'Kept Name', seats: 3 } });
    const updated = await server.gql(UpsertCustomerDocument, { input: { id: 'cust_unnamed_update', seats: 9 } });
    expect(updated.upsertCustomer).toMatchObject({ name: 'Kept Name', seats: 9 });

    const created = await server.request(UpsertCustomerDocument, { input: { id: 'cust_never_named', seats: 9 } });
    expect(created.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
    expect(created.errors?.[0].message).toContain('name is required to create');
    const stillMissing = await server.request(GetCustomerDocument, { id: 'cust_never_named' });
    expect(stillMissing.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const cleared = await server.request(UpsertCustomerDocument, { input: { id: 'cust_unnamed_update', name: null } });
    expect(cleared.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
    const fetched = await server.gql(GetCustomerDocument, { id: 'cust_unnamed_update' });
    expect(fetched.customer).toMatchObject({ name: 'Kept Name', seats: 9 });
  });

  it('answers NOT_FOUND for an unknown customer and BAD_USER_INPUT for an empty id', async () => {
    const unknown = await server.request(GetCustomerDocument, { id: 'cust_nope' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const empty = await server.request(UpsertCustomerDocument, { input: { id: '  ', name: 'x' } });
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await server.request(UpsertCustomerDocument, { input: { id: 'cust_neg', name: 'x', arrCents: -1 } });
    expect(negative.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const stillMissing = await server.request(GetCustomerDocument, { id: 'cust_neg' });
    expect(stillMissing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // The refusal names the argument the query has: customer(id:).
    const blank = await server.request(GetCustomerDocument, { id: ' ' });
    expect(blank.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect(blank.errors?.[0].message).toBe('id must not be empty');
  });

  it('takes names in any script and with emoji sequences, and stores a plan or owner that shows nothing as none', async () => {
    const upserted = await server.gql(UpsertCustomerDocument, {
      input: { id: 'cust_scripts', name: 'شركة الأمل — 👩‍💻 Devs', plan: '\u200b', csmOwner: ' \u200d ' },
    });
    expect(upserted.upsertCustomer).toMatchObject({ name: 'شركة الأمل — 👩‍💻 Devs', plan: null, csmOwner: null });
    // A control character or a direction override is refused, naming the field.
    const refused = await server.request(UpsertCustomerDocument, { input: { id: 'cust_scripts', name: 'Evil\u202Etxt.exe' } });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
    expect(refused.errors?.[0].message).toMatch(/one line of text/);
  });

  it('refuses a churn before the sign-up, whether the two dates come in one call or in two, writing nothing', async () => {
    const both = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_dates', name: 'Dates', signedUpAt: '2026-06-01T00:00:00Z', churnedAt: '2026-05-01T00:00:00Z' },
    });
    expect(both.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'churnedAt' });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_dates', name: 'Dates', signedUpAt: '2026-06-01T00:00:00Z' } });
    const early = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_dates', name: 'Renamed', churnedAt: '2026-05-01T00:00:00Z' },
    });
    expect(early.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'churnedAt' });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_dates', name: 'Dates', churnedAt: '2026-07-01T00:00:00Z' } });
    const late = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_dates', name: 'Renamed', signedUpAt: '2026-08-01T00:00:00Z' },
    });
    // The refusal names the date this call sent.
    expect(late.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'signedUpAt' });
    const stored = await server.gql(GetCustomerDocument, { id: 'cust_dates' });
    expect(stored.customer).toMatchObject({ name: 'Dates' });
  });

  it('takes the opt-out in upsertCustomer too, and keeps it when omitted', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_optout_upsert', name: 'Quiet Too', communicationOptOut: true } });
    const later = await server.gql(UpsertCustomerDocument, { input: { id: 'cust_optout_upsert', name: 'Quiet Too Inc' } });
    expect(later.upsertCustomer.communicationOptOut).toBe(true);
    const cleared = await server.request(UpsertCustomerDocument, {
      input: { id: 'cust_optout_upsert', name: 'x', communicationOptOut: null },
    });
    expect(cleared.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('records a communication opt-out', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_optout', name: 'Quiet Ltd' } });
    const result = await server.gql(SetOptOutDocument, { customerId: 'cust_optout', optedOut: true });
    expect(result.setCommunicationOptOut.communicationOptOut).toBe(true);
    const unknown = await server.request(SetOptOutDocument, { customerId: 'cust_missing', optedOut: true });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('pages through customers with keyset cursors, a total count and filters', async () => {
    for (let i = 0; i < 12; i++) {
      await server.gql(UpsertCustomerDocument, {
        input: { id: `cust_page_${String(i).padStart(2, '0')}`, name: `Page ${String(i).padStart(2, '0')}`, arrCents: i * 1000 },
      });
    }
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    do {
      const page = await server.gql(ListCustomersDocument, { first: 5, after, search: 'page ' });
      expect(page.customers.totalCount).toBe(12);
      seen.push(...page.customers.edges.map((e) => e.node.id));
      after = page.customers.pageInfo.hasNextPage ? page.customers.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `cust_page_${String(i).padStart(2, '0')}`));

    const byArr = await server.gql(ListCustomersDocument, { first: 2, search: 'page', orderBy: 'ARR_DESC' });
    expect(byArr.customers.edges.map((e) => e.node.id)).toEqual(['cust_page_11', 'cust_page_10']);
  });

  it("answers the Relay spec's whole PageInfo: startCursor, and hasPreviousPage when a page follows a cursor", async () => {
    type Page = {
      edges: Array<{ cursor: string }>;
      pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
    };
    const pageOf = async (after: string | null) => {
      const result = await server.request<{ customers: Page; customer: { tierChanges: Page } }, { after: string | null }>(
        `query ($after: String) {
          customers(first: 5, search: "page ", after: $after) { edges { cursor } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } }
          customer(id: "cust_page_00") { tierChanges(first: 5) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }
        }`,
        { after },
      );
      expect(result.errors).toBeUndefined();
      return result.data!;
    };
    const first = await pageOf(null);
    expect(first.customers.pageInfo).toEqual({
      hasPreviousPage: false,
      hasNextPage: true,
      startCursor: first.customers.edges[0].cursor,
      endCursor: first.customers.edges[4].cursor,
    });
    // An empty list has neither cursor.
    expect(first.customer.tierChanges.pageInfo).toEqual({ hasPreviousPage: false, hasNextPage: false, startCursor: null, endCursor: null });
    const second = await pageOf(first.customers.pageInfo.endCursor);
    expect(second.customers.pageInfo).toMatchObject({ hasPreviousPage: true, startCursor: second.customers.edges[0].cursor });
  });

  it('stores a blank plan or CSM owner as none, and takes a churn reason away with the churn', async () => {
    const blank = await server.request<{ upsertCustomer: { plan: string | null; csmOwner: string | null } }, unknown>(
      'mutation { upsertCustomer(input: { id: "cust_blank", name: "Blank", plan: "  ", csmOwner: "" }) { plan csmOwner } }',
    );
    expect(blank.data?.upsertCustomer).toEqual({ plan: null, csmOwner: null });
    const churned = await server.request<{ upsertCustomer: { churnedAt: string | null; churnReason: string | null } }, unknown>(
      'mutation { upsertCustomer(input: { id: "cust_blank", name: "Blank", churnedAt: "2026-06-01T00:00:00Z", churnReason: "price" }) { churnedAt churnReason } }',
    );
    expect(churned.data?.upsertCustomer).toEqual({ churnedAt: '2026-06-01T00:00:00.000Z', churnReason: 'price' });
    const back = await server.request<{ upsertCustomer: { churnedAt: string | null; churnReason: string | null } }, unknown>(
      'mutation { upsertCustomer(input: { id: "cust_blank", name: "Blank", churnedAt: null }) { churnedAt churnReason } }',
    );
    expect(back.data?.upsertCustomer).toEqual({ churnedAt: null, churnReason: null });
  });

  it('answers a cancellation in the past as CHURNED at once, before the rescoring it queues; one undone or not yet come is not', async () => {
    type Staged = { upsertCustomer: { lifecycleStage: string | null } };
    const upsert = (input: Record<string, unknown>) =>
      server.request<Staged, unknown>('mutation($input: CustomerInput!) { upsertCustomer(input: $input) { lifecycleStage } }', { input });
    const staged = async (input: Record<string, unknown>) => (await upsert(input)).data?.upsertCustomer.lifecycleStage;
    await upsert({ id: 'cust_stage', name: 'Stage' });
    const db = server.app.orm.em.fork();
    // As scoring left it: an account in use.
    await db.getConnection().execute("update customer set lifecycle_stage = 'ACTIVE' where id = 'cust_stage'");
    expect(await staged({ id: 'cust_stage', name: 'Stage', churnedAt: '2026-06-01T00:00:00Z' })).toBe('CHURNED');
    const churned = await server.gql(ListCustomersDocument, { first: 50, lifecycleStage: 'CHURNED' });
    expect(churned.customers.edges.map((e) => e.node.id)).toContain('cust_stage');
    // Renamed, still cancelled; then the cancellation lifted: the stage is the rescoring's to say.
    expect(await staged({ id: 'cust_stage', name: 'Stage 2' })).toBe('CHURNED');
    expect(await staged({ id: 'cust_stage', name: 'Stage', churnedAt: null })).toBeNull();
    await db.getConnection().execute("update customer set lifecycle_stage = 'ACTIVE' where id = 'cust_stage'");
    // A clock a few hours ahead of ours (the most a churn date may be ahead of now).
    const ahead = new Date(Date.now() + 6 * 3_600_000).toISOString();
    expect(await staged({ id: 'cust_stage', name: 'Stage', churnedAt: ahead })).toBe('ACTIVE');
    // A customer first sent already cancelled (an import of past accounts).
    expect(await staged({ id: 'cust_stage_new', name: 'Gone', churnedAt: '2026-06-01T00:00:00Z' })).toBe('CHURNED');
    expect(await staged({ id: 'cust_stage_ahead', name: 'Leaving', churnedAt: ahead })).toBeNull();
  });

  it('lists by tier only the customers still to keep: one past its churnedAt is in no tier', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_tier_kept', name: 'Kept' } });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_tier_gone', name: 'Gone', churnedAt: '2026-06-01T00:00:00Z' } });
    const db = server.app.orm.em.fork();
    await db.getConnection().execute("update customer set tier = 'critical' where id in ('cust_tier_kept', 'cust_tier_gone')");
    const critical = await server.gql(ListCustomersDocument, { first: 50, tier: 'critical' });
    expect(critical.customers.edges.map((e) => e.node.id)).toEqual(['cust_tier_kept']);
  });

  it('sorts names as people read them, case and accents second, across pages', async () => {
    // The test databases use the C locale, whose byte order puts every capital before "a".
    const names = ['zoë Readorder', 'Beta Readorder', 'alpha Readorder', 'Émile Readorder', 'Emma Readorder', 'ALPHA Readorder'];
    for (const [i, name] of names.entries()) {
      await server.gql(UpsertCustomerDocument, { input: { id: `cust_readorder_${i}`, name } });
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 4; page++) {
      const result: Awaited<ReturnType<typeof listPage>> = await listPage(after);
      seen.push(...result.customers.edges.map((e) => e.node.name));
      if (!result.customers.pageInfo.hasNextPage) break;
      after = result.customers.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual(['alpha Readorder', 'ALPHA Readorder', 'Beta Readorder', 'Émile Readorder', 'Emma Readorder', 'zoë Readorder']);

    function listPage(cursor: string | null) {
      return server.gql(ListCustomersDocument, { first: 2, after: cursor, orderBy: 'NAME_ASC', search: 'Readorder' });
    }
  });

  it('finds a name by search whichever Unicode form it was stored and typed in (é precomposed, or e and a combining accent)', async () => {
    // A name imported from a system that writes decomposed text (macOS, some exports) reads as the
    // name a keyboard types, and is the same name to the person searching for it.
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_form_nfd', name: 'Cafe\u0301 Unicodeform' } });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_form_nfc', name: 'R\u00e9sum\u00e9 Unicodeform' } });
    const ids = async (search: string) =>
      (await server.gql(ListCustomersDocument, { first: 10, search })).customers.edges.map((e) => e.node.id).sort();
    expect(await ids('Caf\u00e9')).toEqual(['cust_form_nfd']);
    expect(await ids('cafe\u0301 unicode')).toEqual(['cust_form_nfd']);
    expect(await ids('Re\u0301sume\u0301')).toEqual(['cust_form_nfc']);
    expect(await ids('\u00e9 Unicodeform')).toEqual(['cust_form_nfc', 'cust_form_nfd']);
  });

  it('finds a name by search whatever its case, by the full case mapping (ß as SS, a final ς as σ)', async () => {
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_case_greek', name: 'ΣΊΣΥΦΟΣ Casefold' } });
    await server.gql(UpsertCustomerDocument, { input: { id: 'cust_case_german', name: 'Hauptstraße Casefold' } });
    const ids = async (search: string) =>
      (await server.gql(ListCustomersDocument, { first: 10, search })).customers.edges.map((e) => e.node.id).sort();
    expect(await ids('σίσυφος')).toEqual(['cust_case_greek']);
    expect(await ids('HAUPTSTRASSE')).toEqual(['cust_case_german']);
    expect(await ids('strasse casefold')).toEqual(['cust_case_german']);
    expect(await ids('STRAßE')).toEqual(['cust_case_german']);
    // A pattern character typed is looked for as itself, capitalised or not.
    expect(await ids('casefold_')).toEqual([]);
  });

  it('rejects a page size above 500 and a cursor it did not issue', async () => {
    const tooMany = await server.request(ListCustomersDocument, { first: 501 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await server.request(ListCustomersDocument, { first: 5, after: 'not-a-cursor' });
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // A cursor of this list in another order is a position in neither: refused, not read as one.
    const byName = await server.gql(ListCustomersDocument, { first: 2, orderBy: 'NAME_ASC' });
    const otherOrder = await server.request(ListCustomersDocument, {
      first: 2,
      orderBy: 'SCORE_DESC',
      after: byName.customers.pageInfo.endCursor,
    });
    expect(otherOrder.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});
