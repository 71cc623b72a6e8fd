// A page of customers joins the nested edges it selects (current score, latest NPS answer, last
// outreach action) into its own statement. What it answers must not differ in any way from the
// same fields loaded one customer at a time, whatever the selection's shape (aliases, fragments,
// with or without the score's explanation).
import { query } from '../../src/infra/sql';
import type { Db } from '../../src/infra/sql';
import { insertOutreachActions, NewOutreachAction } from '../../src/outreach/outreach.service';
import { startTestServer, TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

const SCORE_FIELDS = `id customerId score tier trend previousScore coverage modelVersion asOf computedAt
  components { name score weight }
  signals { name component rawValue value weight contribution missing }
  penalties { name rawValue points applied }
  reasons(first: 5) { kind name pointsLost value }`;
const NPS_FIELDS = 'id customerId score comment respondent respondedAt createdAt';
const OUTREACH_FIELDS = 'id customerId playbook action audience channel trigger fromTier toTier score status escalation message createdAt';
const CUSTOMER_FIELDS = `name plan arrCents seats signedUpAt csmOwner communicationOptOut churnedAt healthScore engagementScore
  tier trend lifecycleStage lastActivityAt nps scoredAt createdAt updatedAt`;
const EDGES = `currentScore { ${SCORE_FIELDS} } latestNpsResponse { ${NPS_FIELDS} } lastOutreachAction { ${OUTREACH_FIELDS} }`;

interface Node {
  id: string;
  [field: string]: unknown;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'dashboard_page', env: { RESCORE_DEBOUNCE_MS: '0' } });
  const ids = ['cust_d0', 'cust_d1', 'cust_d2', 'cust_d3', 'cust_d4'];
  for (const [k, id] of ids.entries()) {
    const upserted = await server.request(
      `mutation { upsertCustomer(input: { id: "${id}", name: "Dashboard ${k}", arrCents: ${(k + 1) * 100_000}, signedUpAt: "2026-01-01T00:00:00Z" }) { id } }`,
    );
    expect(upserted.errors).toBeUndefined();
  }
  const db = server.app.orm.em.fork() as Db;
  // cust_d0 has nothing yet; the others have events, survey answers and scores (two each, a week apart).
  await query(
    db,
    `insert into engagement_event (customer_id, event_type, feature, user_id, occurred_at)
     select id, 'feature_used', 'reports', 'u1', timestamptz '2026-05-20T10:00:00.123456Z' - d * interval '1 day'
     from unnest(?::text[]) id cross join generate_series(0, 20) d`,
    [`{${ids.slice(1).join(',')}}`],
  );
  for (const [k, id] of ids.slice(1).entries()) {
    for (const score of [9, k * 3]) {
      const answered = await server.request(
        `mutation { submitNpsResponse(input: { customerId: "${id}", score: ${score}, comment: "k${k}", respondedAt: "2026-05-1${k}T08:00:00.654321Z" }) { id } }`,
      );
      expect(answered.errors).toBeUndefined();
    }
    for (const asOf of ['2026-05-14T00:00:00Z', '2026-05-21T00:00:00Z']) {
      const scored = await server.request(`mutation { refreshHealthScore(customerId: "${id}", asOf: "${asOf}") { id } }`);
      expect(scored.errors).toBeUndefined();
    }
  }
  const actions: NewOutreachAction[] = ids.slice(2).flatMap((customerId, k) =>
    [0, 1].map((n) => ({
      customerId,
      playbook: `playbook_${k}_${n}`,
      action: 'csm_alert',
      audience: 'TEAM' as const,
      channel: 'SLACK',
      trigger: 'CRITICAL',
      status: 'DECIDED' as const,
      createdAt: new Date(Date.UTC(2026, 4, 22, n, 0, 0, 250)),
    })),
  );
  await insertOutreachActions(db, actions);
  // Answers dated ahead of now (a respondent's clock ahead of ours) are not an edge's latest answer
  // until their date has come: cust_d0's only answer, and cust_d4's newest.
  await query(
    db,
    `insert into nps_response (customer_id, score, comment, responded_at)
     select id, 0, 'ahead', now() + interval '20 hours' from unnest(?::text[]) id`,
    ['{cust_d0,cust_d4}'],
  );
});
afterAll(() => server.stop());

const FRAGMENTS: Record<string, string> = {
  ScoreTier: 'fragment ScoreTier on Customer { currentScore { score tier } }',
  Explained: 'fragment Explained on HealthScore { signals { name value } penalties { name applied } }',
};

/** The fragment definitions a selection spreads. */
function fragmentsOf(selection: string): string {
  return Object.entries(FRAGMENTS)
    .filter(([name]) => selection.includes(`...${name}`))
    .map(([, definition]) => definition)
    .join('\n');
}

/** The SQL statements sent while `work` runs. */
function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  return statementsDuring(server.app.orm, work);
}

async function page(selection: string): Promise<Node[]> {
  const result = await server.request<{ customers: { edges: Array<{ node: Node }> } }, unknown>(
    `query Page { customers(first: 10, orderBy: NAME_ASC) { edges { node { id ${selection} } } } } ${fragmentsOf(selection)}`,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.customers.edges.map((edge) => edge.node);
}

async function oneByOne(id: string, selection: string): Promise<Node> {
  const result = await server.request<{ customer: Node }, unknown>(
    `query One { customer(id: "${id}") { id ${selection} } } ${fragmentsOf(selection)}`,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.customer;
}

describe('a page of customers with its nested edges joined', () => {
  it('answers exactly what loading each customer on its own answers, every field of every edge', async () => {
    const nodes = await page(EDGES);
    expect(nodes.map((node) => node.id)).toEqual(['cust_d0', 'cust_d1', 'cust_d2', 'cust_d3', 'cust_d4']);
    for (const node of nodes) expect(node).toEqual(await oneByOne(node.id, EDGES));
    expect(nodes[0]).toMatchObject({ currentScore: null, latestNpsResponse: null, lastOutreachAction: null });
    expect(nodes[4].currentScore).toMatchObject({ asOf: '2026-05-21T00:00:00.000Z', previousScore: expect.any(Number) });
    expect((nodes[4].currentScore as { signals: unknown[] }).signals.length).toBeGreaterThan(0);
    expect(nodes[4].latestNpsResponse).toMatchObject({ score: 9, respondedAt: '2026-05-13T08:00:00.654Z' });
    expect(nodes[4].lastOutreachAction).toMatchObject({ playbook: 'playbook_2_1', createdAt: '2026-05-22T01:00:00.250Z' });
  });

  it('answers exactly what the batched loaders answer for several customers in one request', async () => {
    const nodes = await page(EDGES);
    const aliases = nodes.map((node, k) => `c${k}: customer(id: "${node.id}") { id ${EDGES} }`).join(' ');
    let loaded: Record<string, Node> = {};
    const statements = await statementsOf(async () => {
      const result = await server.request<Record<string, Node>, unknown>(`query Batched { ${aliases} }`);
      expect(result.errors).toBeUndefined();
      loaded = result.data!;
    });
    expect(nodes.map((_, k) => loaded[`c${k}`])).toEqual(nodes);
    // The customers, then each edge for all of them at once: the loaders batched them.
    expect(statements).toHaveLength(1 + 3);
  });

  it('reads the score explanation only when asked, and merges aliases and fragments of one edge', async () => {
    const plain = await statementsOf(() => page('currentScore { score components { name score } }'));
    expect(plain).toHaveLength(1);
    expect(plain[0]).not.toMatch(/h\.(signals|penalties)/);
    const explained = await statementsOf(() => page('currentScore { signals { name } }'));
    expect(explained[0]).toMatch(/h\.signals/);
    const shaped = await page('...ScoreTier explained: currentScore { ...Explained } ... on Customer { latestNpsResponse { score } }');
    for (const node of shaped) {
      const alone = await oneByOne(
        node.id,
        'currentScore { score tier signals { name value } penalties { name applied } } latestNpsResponse { score }',
      );
      const score = alone.currentScore as Record<string, unknown> | null;
      expect(node.currentScore).toEqual(score && { score: score.score, tier: score.tier });
      expect(node.explained).toEqual(score && { signals: score.signals, penalties: score.penalties });
      expect(node.latestNpsResponse).toEqual(alone.latestNpsResponse);
    }
  });

  it('ranks the reasons from the explanation even when only the reasons are asked for; first outside 1–20 is refused', async () => {
    const statements = await statementsOf(() => page('currentScore { reasons(first: 20) { kind name pointsLost value } }'));
    expect(statements[0]).toMatch(/h\.signals/);
    expect(statements[0]).toMatch(/h\.penalties/);
    const alone = await page('currentScore { reasons(first: 20) { kind name pointsLost value } }');
    const explained = await page('currentScore { reasons(first: 20) { kind name pointsLost value } penalties { name points applied } }');
    const withReasons = alone.filter((node) => (node.currentScore as { reasons: unknown[] } | null)?.reasons.length);
    expect(withReasons.length).toBeGreaterThan(0);
    for (const [k, node] of alone.entries()) {
      const score = explained[k].currentScore as {
        reasons: Array<{ kind: string; name: string; pointsLost: number }>;
        penalties: Array<{ name: string; points: number; applied: boolean }>;
      } | null;
      expect((node.currentScore as { reasons: unknown } | null)?.reasons).toEqual(score?.reasons);
      if (!score) continue;
      const costs = score.reasons.map((reason) => reason.pointsLost);
      expect(costs).toEqual([...costs].sort((a, b) => b - a));
      for (const flag of score.penalties.filter((p) => p.applied && p.points > 0))
        expect(score.reasons).toContainEqual({ kind: 'PENALTY', name: flag.name, pointsLost: flag.points, value: null });
    }
    // Refused as every list's `first` is: the same message, and its largest in `extensions.max`.
    for (const first of [0, 21]) {
      const refused = await server.request(`{ customer(id: "cust_d4") { currentScore { reasons(first: ${first}) { name } } } }`);
      expect(refused.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
        { message: 'first must be between 1 and 20', extensions: { code: 'BAD_USER_INPUT', argument: 'first', max: 20 } },
      ]);
    }
  });

  it('takes a null reasons(first:), literal or from a variable, as its default of 3, on every run', async () => {
    const byDefault = await server.request('{ customer(id: "cust_d4") { currentScore { reasons { kind name pointsLost value } } } }');
    expect(byDefault.errors).toBeUndefined();
    const fromVariable =
      'query ($n: Int) { customer(id: "cust_d4") { currentScore { reasons(first: $n) { kind name pointsLost value } } } }';
    const literal = '{ customer(id: "cust_d4") { currentScore { reasons(first: null) { kind name pointsLost value } } } }';
    // Three runs each: from the second, the document runs compiled.
    for (let run = 0; run < 3; run++) {
      for (const answer of [await server.request(fromVariable, { n: null }), await server.request(literal)]) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data).toEqual(byDefault.data);
      }
    }
  });

  it('reads only the columns a selection asks for, and answers every customer field like a single read', async () => {
    const full = await page(`${CUSTOMER_FIELDS} ${EDGES}`);
    for (const node of full) expect(node).toEqual(await oneByOne(node.id, `${CUSTOMER_FIELDS} ${EDGES}`));
    expect(full[4]).toMatchObject({ name: 'Dashboard 4', arrCents: 500_000, createdAt: expect.any(String), scoredAt: expect.any(String) });

    const [narrow] = await statementsOf(() =>
      page('name currentScore { score } latestNpsResponse { score } lastOutreachAction { status }'),
    );
    expect(narrow).toMatch(/c\.name/);
    for (const unasked of ['c.signed_up_at', 'c.updated_at', 'h.components', 'h.computed_at', 'n.comment', 'o.message'])
      expect(narrow).not.toContain(unasked);

    // The same edges loaded per customer (not joined into a page) are narrowed the same way.
    const single = await statementsOf(() => oneByOne('cust_d4', 'latestNpsResponse { score } lastOutreachAction { status }'));
    const edges = single.filter((statement) => /nps_response|outreach_action/.test(statement));
    expect(edges).toHaveLength(2);
    for (const unasked of ['n.comment', 'n.respondent', 'o.message', 'o.audience'])
      for (const statement of edges) expect(statement).not.toContain(unasked);

    // Aliases, fragments and __typename: each field answered as when read alone.
    const shaped = await page(
      'label: name ... on Customer { tier healthScore } __typename currentScore { __typename } lastOutreachAction { when: createdAt }',
    );
    for (const node of shaped) {
      const alone = await oneByOne(node.id, 'name tier healthScore currentScore { id } lastOutreachAction { createdAt }');
      expect(node).toEqual({
        id: alone.id,
        label: alone.name,
        tier: alone.tier,
        healthScore: alone.healthScore,
        __typename: 'Customer',
        currentScore: alone.currentScore && { __typename: 'HealthScore' },
        lastOutreachAction: alone.lastOutreachAction && { when: (alone.lastOutreachAction as { createdAt: string }).createdAt },
      });
    }
    expect(shaped.filter((node) => node.currentScore).length).toBe(4);
  });

  it('leaves out what @skip and @include exclude, with literals or variables, and answers like a single read', async () => {
    const source = `query Page($plain: Boolean!, $explain: Boolean!) {
      customers(first: 10, orderBy: NAME_ASC) { edges { node {
        id name @skip(if: $plain) plan @include(if: $plain)
        currentScore { score signals @include(if: $explain) { name } ... @skip(if: true) { penalties { name } } }
        latestNpsResponse @include(if: $explain) { comment }
        lastOutreachAction { ...Message @skip(if: $plain) }
      } } } }
      fragment Message on OutreachAction { message }`;
    let nodes: Node[] = [];
    const statements = await statementsOf(async () => {
      const result = await server.request<{ customers: { edges: Array<{ node: Node }> } }, unknown>(source, {
        plain: true,
        explain: false,
      });
      expect(result.errors).toBeUndefined();
      nodes = result.data!.customers.edges.map((edge) => edge.node);
    });
    for (const node of nodes) {
      expect(Object.keys(node)).toEqual(['id', 'plan', 'currentScore', 'lastOutreachAction']);
      const alone = await oneByOne(node.id, 'plan currentScore { score } lastOutreachAction { id }');
      expect(node).toEqual({ ...alone, lastOutreachAction: alone.lastOutreachAction && {} });
    }
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement).toMatch(/c\.plan/);
    // (c.name is still read as the page's sort key.)
    for (const excluded of ['c.name as "name"', 'h.signals', 'h.penalties', 'nps_response', 'o.message'])
      expect(statement).not.toContain(excluded);
    const [included] = await statementsOf(() => server.request(source, { plain: false, explain: true }));
    for (const asked of ['c.name as "name"', 'h.signals', 'n.comment', 'o.message']) expect(included).toContain(asked);
    expect(included).not.toContain('c.plan');
  });

  it('costs one statement with all three edges', async () => {
    expect(await statementsOf(() => page(EDGES))).toHaveLength(1);
  });
});

describe('the same server without the joined-edges optimisation (DISABLE_DATALOADER, src/customers/joined-edges.ts)', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer({ database: server.database, env: { RESCORE_DEBOUNCE_MS: '0', DISABLE_DATALOADER: '1' } });
  });
  afterAll(() => plain.stop());

  it('answers every page identically, each edge loaded by its own statement per customer', async () => {
    const selections = [
      `${CUSTOMER_FIELDS} ${EDGES}`,
      '...ScoreTier explained: currentScore { ...Explained } ... on Customer { latestNpsResponse { score } }',
      'label: name __typename currentScore { __typename score } lastOutreachAction { when: createdAt }',
    ];
    for (const selection of selections) {
      const source = `query Page { customers(first: 10, orderBy: NAME_ASC) { totalCount edges { cursor node { id ${selection} } } } } ${fragmentsOf(selection)}`;
      const joined = await server.request(source);
      const loaded = await plain.request(source);
      expect(joined.errors).toBeUndefined();
      expect(loaded).toEqual(joined);
    }
    const statements = await statementsDuring(plain.app.orm, () =>
      plain.request(`query Page { customers(first: 10) { edges { node { id ${EDGES} } } } }`),
    );
    // The page, then one statement per edge and customer.
    expect(statements).toHaveLength(1 + 3 * 5);
  });
});
