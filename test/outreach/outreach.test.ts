import { CustomerOutreachDocument, OutreachLogDocument, UpsertCustomerDocument } from '../__generated__/graphql';
import { InvalidInputError } from '../../src/infra/errors';
import { inTransaction, query, queryOne } from '../../src/infra/sql';
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions, NewOutreachAction } from '../../src/outreach/outreach.service';
import { MAX_MESSAGE_LENGTH } from '../../src/outreach/outreach.types';
import { MODEL_LIMITS, renderTemplate } from '../../src/scoring/model';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

let server: TestServer;
let db: Db;

beforeAll(async () => {
  server = await startTestServer({ label: 'outreach' });
  db = server.app.orm.em.fork() as Db;
  for (const id of ['cust_out_a', 'cust_out_b', 'cust_out_quiet']) {
    await server.gql(UpsertCustomerDocument, { input: { id, name: `Customer ${id}` } });
  }
});
afterAll(() => server.stop());

function action(overrides: Partial<NewOutreachAction> = {}): NewOutreachAction {
  return {
    customerId: 'cust_out_a',
    playbook: 'at_risk',
    action: 'check_in_email',
    audience: 'CUSTOMER',
    channel: 'EMAIL',
    trigger: 'TIER_WORSENED',
    fromTier: 'monitor',
    toTier: 'at_risk',
    score: 42,
    status: 'DECIDED',
    message: 'Hi Acme, checking in?',
    ...overrides,
  };
}

async function storedActions(): Promise<number> {
  const row = await queryOne<{ count: number }>(db, 'select count(*)::int as count from outreach_action');
  return row!.count;
}

describe('insertOutreachActions', () => {
  it('logs many actions in one statement and returns them with ids, in the order given', async () => {
    let inserted: Awaited<ReturnType<typeof insertOutreachActions>> = [];
    const statements = await statementsDuring(server.app.orm, async () => {
      inserted = await insertOutreachActions(db, [
        action({ action: 'check_in_email', createdAt: new Date('2026-04-01T10:00:00Z') }),
        action({
          action: 'csm_alert',
          audience: 'TEAM',
          channel: 'SLACK',
          message: null,
          previousScore: 71,
          createdAt: new Date('2026-04-01T10:00:00Z'),
        }),
        action({ action: 'escalation_flag', audience: 'TEAM', channel: 'CRM_TASK', escalation: true, fromTier: null, score: null }),
      ]);
    });
    expect(statements).toHaveLength(1);
    expect(inserted.map((a) => a.action)).toEqual(['check_in_email', 'csm_alert', 'escalation_flag']);
    expect(new Set(inserted.map((a) => a.id)).size).toBe(3);
    expect(inserted[0]).toMatchObject({
      customerId: 'cust_out_a',
      playbook: 'at_risk',
      audience: 'CUSTOMER',
      channel: 'EMAIL',
      trigger: 'TIER_WORSENED',
      fromTier: 'monitor',
      toTier: 'at_risk',
      score: 42,
      status: 'DECIDED',
      escalation: false,
      message: 'Hi Acme, checking in?',
    });
    expect(inserted[0].createdAt).toEqual(new Date('2026-04-01T10:00:00.000Z'));
    expect(inserted[2]).toMatchObject({ escalation: true, fromTier: null, score: null });
    // The previous score its message showed is stored for its deliveries to carry; none when not given.
    const stored = await query<{ previousScore: number | null }>(
      db,
      'select previous_score as "previousScore" from outreach_action where id in (select jsonb_array_elements_text(?::jsonb)::bigint) order by id',
      [JSON.stringify(inserted.map((a) => a.id))],
    );
    expect(stored.map((row) => row.previousScore)).toEqual([null, 71, null]);
    // Without a createdAt the database time is used.
    expect(inserted[2].createdAt).toBeInstanceOf(Date);
    expect(Math.abs(new Date(inserted[2].createdAt).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('stores a rendered message cut to MAX_MESSAGE_LENGTH: its placeholders expand past the length its template was checked at', async () => {
    // A template within the model's limit (125 names in 2,000 characters) and a customer's longest name.
    const template = '{{customerName}}'.repeat(125);
    expect(template).toHaveLength(MODEL_LIMITS.textLength);
    const rendered = renderTemplate(template, { customerName: 'N'.repeat(500) });
    expect(rendered).toHaveLength(125 * 500);
    const [inserted] = await insertOutreachActions(db, [action({ message: rendered })]);
    expect(inserted.message).toBe('N'.repeat(MAX_MESSAGE_LENGTH));
    const stored = await queryOne<{ length: number }>(db, 'select length(message)::int as length from outreach_action where id = ?', [
      inserted.id,
    ]);
    expect(stored!.length).toBe(MAX_MESSAGE_LENGTH);
    // A cut that would halve an emoji leaves the whole emoji out.
    const [emoji] = await insertOutreachActions(db, [action({ message: 'x' + '😀'.repeat(MAX_MESSAGE_LENGTH) })]);
    expect(emoji.message).toBe('x' + '😀'.repeat(MAX_MESSAGE_LENGTH / 2 - 1));
  });

  it('does nothing for an empty list', async () => {
    expect(await insertOutreachActions(db, [])).toEqual([]);
  });

  it('rejects a malformed action before writing any of the batch', async () => {
    const before = await storedActions();
    await expect(insertOutreachActions(db, [action(), action({ audience: 'EVERYONE' as never })])).rejects.toMatchObject({
      constructor: InvalidInputError,
      details: expect.objectContaining({ index: 1, argument: 'audience' }),
    });
    await expect(insertOutreachActions(db, [action({ status: 'SENT' as never })])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(insertOutreachActions(db, [action({ playbook: ' ' })])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(insertOutreachActions(db, [action({ score: 4.5 })])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(insertOutreachActions(db, [action({ previousScore: 4.5 })])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await storedActions()).toBe(before);
  });

  it('writes none of the batch when one action names an unknown customer', async () => {
    const before = await storedActions();
    await expect(insertOutreachActions(db, [action(), action({ customerId: 'cust_out_nobody' })])).rejects.toThrow();
    expect(await storedActions()).toBe(before);
  });

  it("joins the caller's transaction, so a failed scoring batch leaves no outreach behind", async () => {
    const before = await storedActions();
    await expect(
      inTransaction(db, async (tx) => {
        await insertOutreachActions(tx, [action()]);
        throw new Error('scoring failed after logging outreach');
      }),
    ).rejects.toThrow('scoring failed');
    expect(await storedActions()).toBe(before);
  });
});

describe('outreachLog', () => {
  beforeAll(async () => {
    await query(db, 'delete from outreach_action');
    const day = (n: number) => new Date(Date.UTC(2026, 4, n, 9));
    await insertOutreachActions(db, [
      action({ customerId: 'cust_out_a', playbook: 'at_risk', action: 'check_in_email', createdAt: day(1) }),
      action({ customerId: 'cust_out_a', playbook: 'at_risk', action: 'csm_alert', audience: 'TEAM', channel: 'SLACK', createdAt: day(1) }),
      action({ customerId: 'cust_out_b', playbook: 'critical', action: 'offer', status: 'SKIPPED_OPT_OUT', createdAt: day(2) }),
      action({
        customerId: 'cust_out_b',
        playbook: 'critical',
        action: 'executive_outreach',
        audience: 'TEAM',
        channel: 'CRM_TASK',
        createdAt: day(2),
      }),
      action({ customerId: 'cust_out_a', playbook: 'at_risk', action: 'check_in_email', status: 'SUPPRESSED_COOLDOWN', createdAt: day(3) }),
      action({
        customerId: 'cust_out_b',
        playbook: 'silence',
        action: 'csm_alert',
        audience: 'TEAM',
        channel: 'SLACK',
        trigger: 'SILENCE',
        createdAt: day(4),
      }),
    ]);
  });

  it('lists the log newest first (ties broken by id) and pages through it', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    do {
      const { outreachLog } = await server.gql(OutreachLogDocument, { first: 4, after });
      expect(outreachLog.totalCount).toBe(6);
      seen.push(...outreachLog.edges.map((edge) => `${edge.node.customerId}:${edge.node.action}`));
      after = outreachLog.pageInfo.hasNextPage ? outreachLog.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(seen).toEqual([
      'cust_out_b:csm_alert',
      'cust_out_a:check_in_email',
      'cust_out_b:executive_outreach',
      'cust_out_b:offer',
      'cust_out_a:csm_alert',
      'cust_out_a:check_in_email',
    ]);
  });

  it('exposes every column of the log', async () => {
    const { outreachLog } = await server.gql(OutreachLogDocument, { customerId: 'cust_out_b', status: 'SKIPPED_OPT_OUT' });
    expect(outreachLog.edges.map((edge) => edge.node)).toEqual([
      {
        id: expect.any(String),
        customerId: 'cust_out_b',
        playbook: 'critical',
        action: 'offer',
        audience: 'CUSTOMER',
        channel: 'EMAIL',
        trigger: 'TIER_WORSENED',
        fromTier: 'monitor',
        toTier: 'at_risk',
        score: 42,
        status: 'SKIPPED_OPT_OUT',
        escalation: false,
        message: 'Hi Acme, checking in?',
        createdAt: '2026-05-02T09:00:00.000Z',
      },
    ]);
  });

  it('filters by customer, by status, and by both', async () => {
    const byCustomer = await server.gql(OutreachLogDocument, { customerId: 'cust_out_a' });
    expect(byCustomer.outreachLog.totalCount).toBe(3);
    expect(byCustomer.outreachLog.edges.every((edge) => edge.node.customerId === 'cust_out_a')).toBe(true);

    const logged = await server.gql(OutreachLogDocument, { status: 'DECIDED' });
    expect(logged.outreachLog.totalCount).toBe(4);
    expect(logged.outreachLog.edges.every((edge) => edge.node.status === 'DECIDED')).toBe(true);

    const suppressed = await server.gql(OutreachLogDocument, { customerId: 'cust_out_a', status: 'SUPPRESSED_COOLDOWN' });
    expect(suppressed.outreachLog.edges.map((edge) => edge.node.createdAt)).toEqual(['2026-05-03T09:00:00.000Z']);

    const none = await server.gql(OutreachLogDocument, { customerId: 'cust_out_quiet' });
    expect(none.outreachLog).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('still takes LOGGED, the name DECIDED had before deliveries, as a filter meaning DECIDED, and answers DECIDED', async () => {
    const decided = await server.gql(OutreachLogDocument, { status: 'DECIDED' });
    // Twice each: the second run of a document is compiled (compiled-executor.ts), and must read it alike.
    for (let run = 0; run < 2; run++) {
      const logged = await server.gql(OutreachLogDocument, { status: 'LOGGED' });
      expect(logged.outreachLog).toEqual(decided.outreachLog);
      const literal = await server.gql<{ outreachLog: { totalCount: number; edges: { node: { status: string } }[] } }, never>(
        '{ outreachLog(status: LOGGED) { totalCount edges { node { status } } } }',
      );
      expect(literal.outreachLog.totalCount).toBe(decided.outreachLog.totalCount);
      expect(literal.outreachLog.edges.every((edge) => edge.node.status === 'DECIDED')).toBe(true);
      const customer = await server.gql(CustomerOutreachDocument, { id: 'cust_out_b', status: 'LOGGED' });
      expect(customer.customer.outreach.totalCount).toBe(2);
      expect(customer.customer.outreach.edges.map((edge) => edge.node.status)).toEqual(['DECIDED', 'DECIDED']);
    }
    const introspection = await server.gql<
      { __type: { enumValues: { name: string; isDeprecated: boolean; deprecationReason: string | null }[] } },
      never
    >('{ __type(name: "OutreachStatus") { enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } } }');
    expect(introspection.__type.enumValues).toContainEqual({ name: 'LOGGED', isDeprecated: true, deprecationReason: 'Use DECIDED' });
    expect(introspection.__type.enumValues.filter((value) => !value.isDeprecated).map((value) => value.name)).toEqual([
      'DECIDED',
      'SKIPPED_OPT_OUT',
      'SUPPRESSED_COOLDOWN',
      'SUPPRESSED_DUPLICATE',
    ]);
  });

  it('rejects a page size above 500, an unknown status, a foreign cursor and an empty customerId', async () => {
    const tooMany = await server.request(OutreachLogDocument, { first: 501 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badStatus = await server.request(OutreachLogDocument, { status: 'SENT' as never });
    expect(badStatus.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await server.request(OutreachLogDocument, { after: 'nope' });
    expect(badCursor.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const empty = await server.request(OutreachLogDocument, { customerId: '' });
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("shows a customer's outreach and its last action, filtered by status", async () => {
    const all = await server.gql(CustomerOutreachDocument, { id: 'cust_out_b', first: 2 });
    expect(all.customer.lastOutreachAction).toMatchObject({
      action: 'csm_alert',
      playbook: 'silence',
      trigger: 'SILENCE',
      createdAt: '2026-05-04T09:00:00.000Z',
    });
    expect(all.customer.outreach.totalCount).toBe(3);
    expect(all.customer.outreach.edges.map((edge) => edge.node.playbook)).toEqual(['silence', 'critical']);
    const rest = await server.gql(CustomerOutreachDocument, {
      id: 'cust_out_b',
      first: 2,
      after: all.customer.outreach.pageInfo.endCursor,
    });
    expect(rest.customer.outreach.edges.map((edge) => edge.node.status)).toEqual(['SKIPPED_OPT_OUT']);

    const logged = await server.gql(CustomerOutreachDocument, { id: 'cust_out_b', status: 'DECIDED' });
    expect(logged.customer.outreach.totalCount).toBe(2);

    const quiet = await server.gql(CustomerOutreachDocument, { id: 'cust_out_quiet' });
    expect(quiet.customer.lastOutreachAction).toBeNull();
    expect(quiet.customer.outreach).toMatchObject({ totalCount: 0, edges: [] });

    const tooMany = await server.request(CustomerOutreachDocument, { id: 'cust_out_b', first: 501 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
