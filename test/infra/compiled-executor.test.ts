// A query document runs through graphql-js the first time and compiled (graphql-jit) from the
// second time on: the answers, errors included, must be the same every time.
import { GraphQLSchema, OperationDefinitionNode, parse } from 'graphql';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { buildAppSchema } from '../../src/schema';
import { reasonToInterpret, variablesOfInputFields } from '../../src/infra/compiled-executor';
import { GraphQLResponse, startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'compiled_executor' });
  for (const k of [1, 2, 3]) {
    const result = await server.request(
      `mutation { upsertCustomer(input: { id: "cust_jit_${k}", name: "Jit ${k}", arrCents: ${k * 1000} }) { id } }`,
    );
    expect(result.errors).toBeUndefined();
  }
  const answered = await server.request('mutation { submitNpsResponse(input: { customerId: "cust_jit_2", score: 4 }) { id } }');
  expect(answered.errors).toBeUndefined();
});
afterAll(() => server.stop());

const CASES: Array<[string, string, Record<string, unknown>]> = [
  [
    'a page with nested edges and a lazy total count',
    `query Page($first: Int) { customers(first: $first, search: "jit") { totalCount pageInfo { hasNextPage endCursor }
       edges { cursor node { id name arrCents tier createdAt currentScore { score components { name } } latestNpsResponse { score respondedAt } lastOutreachAction { playbook } } } } }`,
    { first: 2 },
  ],
  ['NOT_FOUND from a resolver', 'query One($id: ID!) { customer(id: $id) { id } }', { id: 'cust_nobody' }],
  ['BAD_USER_INPUT from a resolver', 'query Big($first: Int) { customers(first: $first) { edges { cursor } } }', { first: 501 }],
  ['a variable of the wrong type', 'query Typed($first: Int) { customers(first: $first) { edges { cursor } } }', { first: 'many' }],
  ['a non-null variable left out', 'query Required($id: ID!) { customer(id: $id) { id } }', {}],
  [
    'a defaulted variable sent as null where a value is required',
    'query Defaulted($id: ID = "cust_jit_1") { customer(id: $id) { id } }',
    { id: null },
  ],
  ['an Int variable given 2.5', 'query Fraction($first: Int) { customers(first: $first) { edges { cursor } } }', { first: 2.5 }],
  [
    'an enum variable given an unknown value',
    'query Ordered($order: CustomerOrder) { customers(first: 1, orderBy: $order) { edges { cursor } } }',
    { order: 'SIDEWAYS' },
  ],
  [
    'fragments, aliases and @include',
    `query Shaped($with: Boolean!) { a: customers(first: 1) { ...Page } b: customers(first: 1, orderBy: ARR_DESC) { ...Page @include(if: $with) } }
     fragment Page on CustomerConnection { edges { node { id n: name } } }`,
    { with: true },
  ],
];

describe('queries run again (compiled)', () => {
  it.each(CASES)('answer %s exactly as the first time', async (_label, query, variables) => {
    const post = async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: await response.json() };
    };
    const first = await post();
    expect(first.status).toBeLessThan(500);
    // Every case is an answer or the client's mistake, never the server's.
    expect(JSON.stringify(first.body)).not.toContain('INTERNAL_SERVER_ERROR');
    for (let run = 0; run < 3; run++) expect(await post()).toEqual(first);
  });
});

/** POSTs `query` with `variables` as a JSON client would: its status and body. */
async function postJson(query: string, variables: Record<string, unknown>) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<unknown> };
}

describe('mutations run again (compiled)', () => {
  const storedEvents = async (customerId: string): Promise<number> => {
    const result = await server.request<{ engagementEvents: { totalCount: number } }, unknown>(
      `query Count($id: ID!) { engagementEvents(customerId: $id, first: 1) { totalCount } }`,
      { id: customerId },
    );
    return result.data?.engagementEvents.totalCount ?? -1;
  };
  const BATCH = `mutation Batch($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted duplicates errors { index code message } } }`;

  it('store a batch exactly once per request, with the same answer each time', async () => {
    const events = [
      { customerId: 'cust_jit_1', eventType: 'login', occurredAt: '2026-11-20T10:00:00.000Z' },
      { customerId: 'cust_nobody', eventType: 'login' },
      {
        customerId: 'cust_jit_1',
        eventType: 'feature_used',
        feature: 'reports',
        metadata: { path: '/r' },
        occurredAt: '2026-11-20T11:00:00Z',
      },
    ];
    const first = await postJson(BATCH, { events });
    expect(first.body).toEqual({
      data: {
        trackEngagementBatch: {
          accepted: 2,
          duplicates: 0,
          errors: [{ index: 1, code: 'NOT_FOUND', message: 'customer cust_nobody does not exist' }],
        },
      },
    });
    for (let run = 0; run < 3; run++) expect(await postJson(BATCH, { events })).toEqual(first);
    expect(await storedEvents('cust_jit_1')).toBe(8);
  });

  it('take one input object given for a list as a list of one, as graphql-js does', async () => {
    const single = { customerId: 'cust_jit_2', eventType: 'login', occurredAt: '2026-11-21T10:00:00.000Z' };
    for (let run = 0; run < 3; run++) {
      expect(await postJson(BATCH, { events: single })).toEqual({
        status: 200,
        body: { data: { trackEngagementBatch: { accepted: 1, duplicates: 0, errors: [] } } },
      });
    }
    expect(await storedEvents('cust_jit_2')).toBe(3);
  });

  it.each([
    ['an unknown input field', { customerId: 'cust_jit_3', eventType: 'login', color: 'red' }],
    ['a date-time that does not parse', { customerId: 'cust_jit_3', eventType: 'login', occurredAt: 'yesterday' }],
    ['a required field left out', { customerId: 'cust_jit_3' }],
    ['a date-time given as a number', { customerId: 'cust_jit_3', eventType: 'login', occurredAt: 12 }],
  ])('answer a batch with %s as graphql-js does, storing nothing', async (_label, bad) => {
    const events = [{ customerId: 'cust_jit_3', eventType: 'login' }, bad];
    const first = await postJson(BATCH, { events });
    expect(first.body.data).toBeUndefined();
    expect(first.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    for (let run = 0; run < 3; run++) expect(await postJson(BATCH, { events })).toEqual(first);
    expect(await storedEvents('cust_jit_3')).toBe(0);
  });

  it('keep the stored value of an input field whose variable the client left out, however often the document is sent', async () => {
    const created = await postJson(
      `mutation { upsertCustomer(input: { id: "cust_jit_kept", name: "Kept", csmOwner: "kate", plan: "enterprise", arrCents: 9000,
         contactEmail: "ops@kept.example", communicationOptOut: true, signedUpAt: "2026-01-01T00:00:00Z",
         churnedAt: "2026-11-01T00:00:00Z", churnReason: "price" }) { id } }`,
      {},
    );
    expect(created.body.errors).toBeUndefined();
    // A generated client's update: a variable per optional field, the ones without a value left out.
    const UPDATE = `mutation Update($id: ID!, $name: String!, $plan: String, $csmOwner: String, $arrCents: SafeInt, $contactEmail: String,
       $optOut: Boolean, $churnedAt: DateTime, $churnReason: String) {
       upsertCustomer(input: { id: $id, name: $name, plan: $plan, csmOwner: $csmOwner, arrCents: $arrCents, contactEmail: $contactEmail,
         communicationOptOut: $optOut, churnedAt: $churnedAt, churnReason: $churnReason }) {
         name plan csmOwner arrCents contactEmail communicationOptOut churnedAt churnReason } }`;
    const kept = {
      plan: 'enterprise',
      csmOwner: 'kate',
      arrCents: 9000,
      contactEmail: 'ops@kept.example',
      communicationOptOut: true,
      churnedAt: '2026-11-01T00:00:00.000Z',
      churnReason: 'price',
    };
    for (let run = 0; run < 3; run++) {
      const renamed = await postJson(UPDATE, { id: 'cust_jit_kept', name: `Renamed ${run}` });
      expect(renamed.body).toEqual({ data: { upsertCustomer: { name: `Renamed ${run}`, ...kept } } });
    }
    // A variable given as null still clears its field, compiled or not.
    for (let run = 0; run < 3; run++) {
      const cleared = await postJson(UPDATE, { id: 'cust_jit_kept', name: 'Cleared', csmOwner: null, plan: 'growth' });
      expect(cleared.body).toEqual({ data: { upsertCustomer: { name: 'Cleared', ...kept, csmOwner: null, plan: 'growth' } } });
    }
  });

  it('run their root fields one after the other, in order', async () => {
    const RENAME = `mutation Rename($id: ID!) { a: upsertCustomer(input: { id: $id, name: "First" }) { name } b: upsertCustomer(input: { id: $id, name: "Second" }) { name } }`;
    for (let run = 0; run < 3; run++) {
      expect(await postJson(RENAME, { id: 'cust_jit_rename' })).toEqual({
        status: 200,
        body: { data: { a: { name: 'First' }, b: { name: 'Second' } } },
      });
      const stored = await server.request<{ customer: { name: string } }, unknown>('query ($id: ID!) { customer(id: $id) { name } }', {
        id: 'cust_jit_rename',
      });
      expect(stored.data?.customer.name).toBe('Second');
    }
  });

  it('go on past a refused root field as graphql-js does: it answers null and the fields after it run, however often the document is sent', async () => {
    const REFUSED_FIRST = `mutation Two($refused: ID!, $valid: ID!) { a: upsertCustomer(input: { id: $refused, name: "Refused", arrCents: -5 }) { id } b: upsertCustomer(input: { id: $valid, name: "After" }) { id } }`;
    const variables = { refused: 'cust_jit_refused', valid: 'cust_jit_after' };
    const first = await postJson(REFUSED_FIRST, variables);
    expect(first.body.data).toEqual({ a: null, b: { id: 'cust_jit_after' } });
    expect(first.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['a'], 'BAD_USER_INPUT']]);
    for (let run = 0; run < 3; run++) expect(await postJson(REFUSED_FIRST, variables)).toEqual(first);
    const stored = async (id: string) =>
      (await server.request<{ customer: { id: string } | null }, unknown>('query ($id: ID!) { customer(id: $id) { id } }', { id }))
        .errors?.[0].extensions?.code ?? 'stored';
    expect({ refused: await stored(variables.refused), valid: await stored(variables.valid) }).toEqual({
      refused: 'NOT_FOUND',
      valid: 'stored',
    });
  });
});

describe('variables inside a JSON literal', () => {
  const TRACK = `mutation Track($v: String, $id: String) { trackEngagement(input: { customerId: "cust_jit_1", eventType: "jit_json", idempotencyKey: $id, metadata: { a: $v, b: [1, $v] } }) { metadata } }`;
  const DEEP = `mutation Deep($v: JSON, $id: String) { trackEngagement(input: { customerId: "cust_jit_1", eventType: "jit_deep", idempotencyKey: $id, metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: $v } } } } } } } } } }) { metadata } }`;
  const post = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<{ trackEngagement: { metadata: unknown } }>;
  };

  it('are read on every run, not only the first: the metadata stored is the one sent', async () => {
    for (let run = 0; run < 4; run++) {
      const answer = await post(TRACK, { v: `hello ${run}`, id: `jit_json_${run}` });
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.trackEngagement.metadata).toEqual({ a: `hello ${run}`, b: [1, `hello ${run}`] });
    }
  });

  it('are checked on every run: metadata nested too deep through a variable is refused each time, nothing stored', async () => {
    for (let run = 0; run < 4; run++) {
      const answer = await post(DEEP, { v: { j: { k: 1 } }, id: `jit_deep_${run}` });
      expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    const stored = await server.request<{ engagementEvents: { totalCount: number } }, unknown>(
      'query { engagementEvents(customerId: "cust_jit_1", eventType: "jit_deep", first: 1) { totalCount } }',
    );
    expect(stored.data?.engagementEvents.totalCount).toBe(0);
  });
});

describe('documents graphql-jit would run otherwise', () => {
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<Record<string, unknown>> };
  };
  const sameEveryRun = async (query: string, variables: Record<string, unknown> = {}) => {
    const first = await post(query, variables);
    for (let run = 0; run < 3; run++) expect(await post(query, variables)).toEqual(first);
    return first.body;
  };

  it("store a string holding graphql-jit's date marker as sent, never running its text", async () => {
    const note = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d(1000*process.pid)';
    const body = await sameEveryRun(
      `mutation { trackEngagement(input: { customerId: "cust_jit_1", eventType: "jit_marker", metadata: { note: "${note}" } }) { metadata } }`,
    );
    expect(body).toEqual({ data: { trackEngagement: { metadata: { note } } } });
  });

  it('read a DateTime default on every run', async () => {
    const body = await sameEveryRun(
      'query ($from: DateTime = "2026-01-01T00:00:00Z") { engagementEvents(customerId: "cust_jit_1", from: $from, first: 1) { totalCount } }',
    );
    expect(body.errors).toBeUndefined();
  });

  it('keep the fields of a fragment spread again after a skipped spread of it', async () => {
    const body = await sameEveryRun(
      '{ a: customer(id: "cust_jit_1") { ...F @skip(if: true) } b: customer(id: "cust_jit_2") { ...F } } fragment F on Customer { id name }',
    );
    expect(body).toEqual({ data: { a: {}, b: { id: 'cust_jit_2', name: 'Jit 2' } } });
  });

  it('read a variable named $__proto__', async () => {
    const body = await sameEveryRun(
      'query ($__proto__: String) { customers(search: $__proto__) { totalCount } }',
      JSON.parse('{"__proto__": "jit 2"}'),
    );
    expect(body).toEqual({ data: { customers: { totalCount: 1 } } });
  });

  it('store a __proto__ key of a JSON literal', async () => {
    const body = await sameEveryRun(
      'mutation { trackEngagement(input: { customerId: "cust_jit_1", eventType: "jit_proto", metadata: { __proto__: { a: 1 }, b: 2 } }) { metadata } }',
    );
    expect(JSON.stringify(body)).toBe('{"data":{"trackEngagement":{"metadata":{"b":2,"__proto__":{"a":1}}}}}');
  });
});

describe('an array sent where an input object goes', () => {
  const refusedEveryRun = async (query: string, variables: Record<string, unknown>) => {
    const first = await postJson(query, variables);
    expect(first.status).toBe(400);
    expect(first.body.data).toBeUndefined();
    expect(first.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(first.body.errors?.[0].message).toContain('to be an object');
    for (let run = 0; run < 3; run++) expect(await postJson(query, variables)).toEqual(first);
  };
  const destinationFilter = async (id: string) => {
    const result = await server.request<{ destinations: { edges: Array<{ node: { id: string; filter: unknown } }> } }, unknown>(
      '{ destinations(first: 100) { edges { node { id filter { audience tiers } } } } }',
    );
    return result.data?.destinations.edges.find((edge) => edge.node.id === id)?.node.filter;
  };

  it("is refused every time the document is sent, and a destination's filter stays as it was", async () => {
    const created = await server.gql<{ createDestination: { id: string } }, unknown>(
      `mutation { createDestination(input: { kind: WEBHOOK, name: "jit-critical-only", url: "https://example.com/c",
         signingSecret: "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=", paused: true, filter: { tiers: ["critical"], audience: TEAM } }) { id } }`,
    );
    const id = created.createDestination.id;
    const UPDATE = 'mutation Upd($id: ID!, $i: DestinationInput!) { updateDestination(id: $id, input: $i) { filter { audience tiers } } }';
    await refusedEveryRun(UPDATE, { id, i: { filter: [] } });
    await refusedEveryRun(UPDATE, { id, i: [] });
    expect(await destinationFilter(id)).toEqual({ audience: 'TEAM', tiers: ['critical'] });
  });

  it('is refused every time in a list item, and nothing is created', async () => {
    const before = await server.request<{ destinations: { edges: unknown[] } }, unknown>(
      '{ destinations(first: 100) { edges { cursor } } }',
    );
    const CREATE = `mutation Create($f: DestinationFilterInput) { createDestination(input: { kind: WEBHOOK, name: "jit-list", url: "https://example.com/l",
       signingSecret: "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=", paused: true, filter: $f }) { id } }`;
    await refusedEveryRun(CREATE, { f: [] });
    const BATCH = `mutation Batch($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }`;
    await refusedEveryRun(BATCH, { events: [{ customerId: 'cust_jit_3', eventType: 'login' }, []] });
    const after = await server.request<{ destinations: { edges: unknown[] } }, unknown>(
      '{ destinations(first: 100) { edges { cursor } } }',
    );
    expect(after.data?.destinations.edges).toHaveLength(before.data?.destinations.edges.length ?? -1);
  });

  it('is refused every time for a scoring model, whose version stays', async () => {
    const version = async () =>
      (await server.gql<{ scoringModel: { version: number } }, unknown>('{ scoringModel { version } }')).scoringModel.version;
    const before = await version();
    await refusedEveryRun('mutation Model($i: ScoringModelInput!) { updateScoringModel(input: $i) { version } }', { i: [] });
    expect(await version()).toBe(before);
  });
});

describe('which operations are compiled', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema(new InProcessPubSub());
  });
  const holds = (source: string) => reasonOf(source) === 'a variable inside a scalar literal';
  const reasonOf = (source: string) => {
    const document = parse(source);
    const [operation] = document.definitions as OperationDefinitionNode[];
    return reasonToInterpret(schema, document, operation);
  };

  it('keeps every variable of a typed position (argument, input field, list item) compiled', () => {
    expect(holds('query ($first: Int) { customers(first: $first) { edges { cursor } } }')).toBe(false);
    expect(holds('mutation ($id: ID!) { upsertCustomer(input: { id: $id, name: "N" }) { id } }')).toBe(false);
    expect(holds('mutation ($e: [EngagementEventInput!]!) { trackEngagementBatch(events: $e) { accepted } }')).toBe(false);
    expect(holds('mutation ($m: JSON) { trackEngagement(input: { customerId: "c", eventType: "t", metadata: $m }) { id } }')).toBe(false);
  });

  it('leaves to graphql-js what graphql-jit runs otherwise, and compiles the rest', () => {
    expect(reasonOf('query ($id: ID!) { customer(id: $id) { id name } }')).toBeNull();
    expect(reasonOf('{ customers(search: "__MAGIC_NAN__57f286b9_4c20_487f_b409_79804ddcb4f8") { totalCount } }')).toBe(
      "graphql-jit's marker in a literal",
    );
    expect(reasonOf('query ($from: DateTime = "2026-01-01T00:00:00Z") { engagementEvents(from: $from) { totalCount } }')).toBe(
      "a variable's default",
    );
    expect(reasonOf('{ customer(id: "c") { id name @skip(if: true) } }')).toBe('@skip or @include');
    expect(reasonOf('mutation { trackEngagement(input: { customerId: "c", eventType: "t", metadata: { __proto__: 1 } }) { id } }')).toBe(
      'a __proto__ key in a literal',
    );
    expect(reasonOf('{ currentScore_customer: customers { totalCount } }')).toBe('an underscore in a response key');
    expect(reasonOf('{ customers { __proto__: totalCount } }')).toBe('an underscore in a response key');
    expect(reasonOf('{ customers { __typename totalCount } }')).toBeNull();
    expect(reasonOf('query ($__proto__: String) { customers(csmOwner: $__proto__) { totalCount } }')).toBe(
      'a variable named after an Object.prototype member',
    );
    expect(reasonOf('query ($constructor: String) { customers(csmOwner: $constructor) { totalCount } }')).toBe(
      'a variable named after an Object.prototype member',
    );
    expect(reasonOf('{ customers(first: -0) { totalCount } }')).toBe('a negative zero');
    expect(reasonOf('{ customers(first: 0) { totalCount } }')).toBeNull();
  });

  it("reads only the fragments the chosen operation spreads, not another operation's", () => {
    const document = parse(`query O($v: String) { customers(search: $v) { totalCount } }
      query P($v: String) { ...G } fragment G on Query { customers(csmOwner: $v) { totalCount } customer(id: "c") { name @skip(if: true) } }`);
    const [o, p] = document.definitions as OperationDefinitionNode[];
    expect(reasonToInterpret(schema, document, o)).toBeNull();
    expect(reasonToInterpret(schema, document, p)).toBe('@skip or @include');
  });

  it('names the variables of input fields without a default, in nested inputs and fragments too', () => {
    const document = parse(`mutation ($id: ID!, $owner: String, $plan: String = "growth", $arr: SafeInt, $first: Int, $v: String) {
      upsertCustomer(input: { id: $id, csmOwner: $owner, plan: $plan, arrCents: $arr }) { id engagementEvents(first: $first) { totalCount } }
      ...F }
      fragment F on Mutation { submitNpsResponse(input: { customerId: $id, score: 5, comment: $v }) { id } }`);
    const [operation] = document.definitions as OperationDefinitionNode[];
    expect(variablesOfInputFields(document, operation).sort()).toEqual(['arr', 'id', 'owner', 'v']);
  });

  it('leaves to graphql-js a variable inside a scalar literal', () => {
    expect(
      holds('mutation ($v: String) { trackEngagement(input: { customerId: "c", eventType: "t", metadata: { a: [$v] } }) { id } }'),
    ).toBe(true);
    expect(holds('query ($v: Int) { previewScoringModel(config: { hysteresis: $v }) { __typename } }')).toBe(true);
    expect(holds('mutation ($v: String) { trackEngagement(input: { customerId: "c", eventType: "t", metadata: [$v] }) { id } }')).toBe(
      true,
    );
    expect(holds('mutation ($v: String) { trackEngagement(input: { customerId: "c", eventType: "t", metadata: [[$v]] }) { id } }')).toBe(
      true,
    );
  });
});

describe('a null for a variable with a default', () => {
  it("is refused only where the chosen operation needs a value, not where another operation's fragment does", async () => {
    const query = `query O($id: ID = "cust_jit_1") { engagementEvents(first: 1, customerId: $id) { totalCount } }
      query P($id: ID = "cust_jit_1") { ...G } fragment G on Query { customer(id: $id) { id } }`;
    for (let run = 0; run < 3; run++) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, operationName: 'O', variables: { id: null } }),
      });
      const body = (await response.json()) as GraphQLResponse<{ engagementEvents: { totalCount: number } }>;
      expect(body.errors).toBeUndefined();
      expect(body.data?.engagementEvents.totalCount).toBeGreaterThan(0);
    }
  });
});

describe('variables a client cannot make costly', () => {
  const BATCH = `mutation Batch($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }`;
  const post = async (variables: Record<string, unknown>) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: BATCH, variables }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<unknown> };
  };

  it('refuses a list longer than any argument takes before coercing it, compiled or not, naming the variable', async () => {
    await post({ events: [{}] });
    for (let run = 0; run < 2; run++) {
      const started = Date.now();
      const refused = await post({ events: Array.from({ length: 100_000 }, () => ({})) });
      expect(refused.body.errors).toHaveLength(1);
      expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'events' });
      expect(refused.body.errors?.[0].message).toBe('$events holds a list of more than 10,000 items');
      // Refused without an error per item: well under the seconds coercing them took.
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('answers more than 50 bad values as bad input, the error that ends the list included', async () => {
    const events = Array.from({ length: 60 }, () => ({ customerId: 'cust_jit_1', eventType: 'login', occurredAt: 'bad' }));
    for (let run = 0; run < 3; run++) {
      const refused = await post({ events });
      expect(refused.status).toBe(400);
      const codes = new Set(refused.body.errors?.map((error) => error.extensions?.code));
      expect(codes).toEqual(new Set(['BAD_USER_INPUT']));
    }
  });
});
