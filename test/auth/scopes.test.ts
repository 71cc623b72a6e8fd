// The scope × operation matrix: every root field of the schema, run with a read, an ingest, a
// read+ingest and an admin key, over HTTP and over WebSocket. A key with the scope (or admin) runs it;
// any other gets FORBIDDEN and nothing in the database changes; a successful admin action adds its
// audit entry. The table must name every root field, so a new one cannot ship without a scope.
import { Client } from 'pg';
import { createKey, GraphQLSocket, post, socketErrorCodes } from '../helpers/auth';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

type Scope = 'read' | 'ingest' | 'admin';
type Kind = 'query' | 'mutation' | 'subscription';

interface Row {
  field: string;
  kind: Kind;
  scope: Scope;
  /** The operation (a function when each run needs something of its own, e.g. a key to revoke). */
  document: string | (() => Promise<string>);
  variables?: () => Record<string, unknown>;
  /** The audit action a successful run records. */
  audited?: string;
}

const CUSTOMER = 'cust_matrix';
const DAY_MS = 86_400_000;
const from = new Date(Date.now() - 15 * DAY_MS).toISOString();
const to = new Date(Date.now() - DAY_MS).toISOString();

let server: TestServer;
/** One connection for what the matrix reads before and after each operation (a digest, the last audit entry). */
let inspector: Client;
let admin: { key: string; id: string };
let activeConfig: unknown;

const ROWS: Row[] = [
  { field: 'customer', kind: 'query', scope: 'read', document: `{ customer(id: "${CUSTOMER}") { id } }` },
  { field: 'customers', kind: 'query', scope: 'read', document: '{ customers(first: 1) { totalCount } }' },
  { field: 'engagementEvents', kind: 'query', scope: 'read', document: '{ engagementEvents(first: 1) { totalCount } }' },
  { field: 'healthScore', kind: 'query', scope: 'read', document: `{ healthScore(customerId: "${CUSTOMER}") { score } }` },
  {
    field: 'healthScoreHistory',
    kind: 'query',
    scope: 'read',
    document: `{ healthScoreHistory(customerId: "${CUSTOMER}", first: 1) { totalCount } }`,
  },
  { field: 'healthScores', kind: 'query', scope: 'read', document: '{ healthScores(first: 1) { totalCount } }' },
  { field: 'healthSummary', kind: 'query', scope: 'read', document: '{ healthSummary { totalCustomers } }' },
  { field: 'npsResponses', kind: 'query', scope: 'read', document: '{ npsResponses(first: 1) { totalCount } }' },
  { field: 'npsSummary', kind: 'query', scope: 'read', document: '{ npsSummary { responses } }' },
  { field: 'outreachLog', kind: 'query', scope: 'read', document: '{ outreachLog(first: 1) { totalCount } }' },
  { field: 'scoringModel', kind: 'query', scope: 'read', document: '{ scoringModel { version } }' },
  { field: 'scoringModelPresets', kind: 'query', scope: 'read', document: '{ scoringModelPresets { name isDefault } }' },
  { field: 'changes', kind: 'query', scope: 'read', document: '{ changes(since: "2026-01-01T00:00:00Z") { totalCount } }' },
  { field: 'tierChanges', kind: 'query', scope: 'read', document: '{ tierChanges(first: 1) { totalCount } }' },
  { field: 'worklist', kind: 'query', scope: 'read', document: '{ worklist(first: 1) { totalCount } }' },
  { field: 'viewer', kind: 'query', scope: 'read', document: '{ viewer { scopes } }' },
  { field: 'apiKeys', kind: 'query', scope: 'admin', document: '{ apiKeys(first: 1) { totalCount } }' },
  { field: 'destinations', kind: 'query', scope: 'admin', document: '{ destinations(first: 1) { totalCount } }' },
  { field: 'csmContacts', kind: 'query', scope: 'admin', document: '{ csmContacts(first: 1) { totalCount } }' },
  { field: 'deliverySummary', kind: 'query', scope: 'read', document: '{ deliverySummary { total { count } } }' },
  { field: 'auditLog', kind: 'query', scope: 'admin', document: '{ auditLog(first: 1) { totalCount } }' },
  { field: 'scoringRuns', kind: 'query', scope: 'read', document: '{ scoringRuns(first: 1) { totalCount } }' },
  {
    field: 'backtest',
    kind: 'query',
    scope: 'admin',
    document: `{ backtest(input: { from: "${from}", to: "${to}" }) { instants } }`,
    audited: 'scoringModel.backtest',
  },
  {
    field: 'suggestScoringModel',
    kind: 'query',
    scope: 'admin',
    document: `{ suggestScoringModel(input: { from: "${from}", to: "${to}" }) { samples } }`,
    audited: 'scoringModel.suggest',
  },
  {
    field: 'previewScoringModel',
    kind: 'query',
    scope: 'admin',
    document: 'query($config: JSON!) { previewScoringModel(config: $config, first: 1) { changed } }',
    variables: () => ({ config: activeConfig }),
    audited: 'scoringModel.preview',
  },

  {
    field: 'upsertCustomer',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { upsertCustomer(input: { id: "${CUSTOMER}_2", name: "Matrix 2" }) { id } }`,
  },
  {
    field: 'trackEngagement',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "login" }) { id } }`,
  },
  {
    field: 'trackEngagementBatch',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { trackEngagementBatch(events: [{ customerId: "${CUSTOMER}", eventType: "login" }]) { accepted } }`,
  },
  {
    field: 'submitNpsResponse',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 9 }) { id } }`,
  },
  {
    field: 'recordPayment',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { recordPayment(input: { customerId: "${CUSTOMER}", amountCents: 100, currency: "usd", status: PAID }) { id } }`,
  },
  {
    field: 'recordSupportTicket',
    kind: 'mutation',
    scope: 'ingest',
    document: `mutation { recordSupportTicket(input: { customerId: "${CUSTOMER}", externalId: "T-${Math.random()}" }) { id } }`,
  },
  {
    field: 'deleteNpsResponse',
    kind: 'mutation',
    scope: 'admin',
    document: async () => `mutation { deleteNpsResponse(customerId: "${CUSTOMER}", externalId: "${await storedAnswer()}") { id } }`,
    audited: 'npsResponse.delete',
  },
  {
    field: 'setCommunicationOptOut',
    kind: 'mutation',
    scope: 'admin',
    document: `mutation { setCommunicationOptOut(customerId: "${CUSTOMER}", optedOut: true) { id } }`,
    audited: 'customer.optOut',
  },
  {
    field: 'updateScoringModel',
    kind: 'mutation',
    scope: 'admin',
    document: 'mutation { updateScoringModel(input: { tierPreset: "four_tier" }) { version } }',
    audited: 'scoringModel.update',
  },
  {
    field: 'refreshHealthScore',
    kind: 'mutation',
    scope: 'admin',
    document: `mutation { refreshHealthScore(customerId: "${CUSTOMER}") { score } }`,
    audited: 'healthScore.refresh',
  },
  {
    field: 'refreshAllHealthScores',
    kind: 'mutation',
    scope: 'admin',
    document: 'mutation { refreshAllHealthScores { status } }',
    audited: 'scoring.fullRun',
  },
  {
    field: 'createApiKey',
    kind: 'mutation',
    scope: 'admin',
    document: 'mutation { createApiKey(input: { name: "made in the matrix", scopes: [READ] }) { key } }',
    audited: 'apiKey.create',
  },
  {
    field: 'revokeApiKey',
    kind: 'mutation',
    scope: 'admin',
    document: async () => `mutation { revokeApiKey(id: "${(await createKey(server, ['read'], admin.key, 'to revoke')).id}") { id } }`,
    audited: 'apiKey.revoke',
  },
  {
    field: 'createDestination',
    kind: 'mutation',
    scope: 'admin',
    document:
      'mutation { createDestination(input: { kind: SLACK, name: "matrix", url: "https://hooks.example/matrix", paused: true }) { id } }',
    audited: 'destination.create',
  },
  {
    field: 'updateDestination',
    kind: 'mutation',
    scope: 'admin',
    document: async () => `mutation { updateDestination(id: "${await pausedDestination()}", input: { name: "renamed" }) { id } }`,
    audited: 'destination.update',
  },
  {
    field: 'deleteDestination',
    kind: 'mutation',
    scope: 'admin',
    document: async () => `mutation { deleteDestination(id: "${await pausedDestination()}") { id } }`,
    audited: 'destination.delete',
  },
  {
    field: 'setCsmContact',
    kind: 'mutation',
    scope: 'admin',
    document: 'mutation { setCsmContact(input: { owner: "matrix", email: "matrix@example.com" }) { owner } }',
    audited: 'csmContact.set',
  },
  {
    field: 'redeliver',
    kind: 'mutation',
    scope: 'admin',
    document: async () => `mutation { redeliver(deliveryId: "${await deadDelivery()}") { id } }`,
    audited: 'delivery.redeliver',
  },

  { field: 'healthTierChanged', kind: 'subscription', scope: 'read', document: 'subscription { healthTierChanged { customerId } }' },
  { field: 'outreachLogged', kind: 'subscription', scope: 'read', document: 'subscription { outreachLogged { id } }' },
  { field: 'healthScoreUpdated', kind: 'subscription', scope: 'read', document: 'subscription { healthScoreUpdated { score } }' },
];

/** A destination to change, written directly (not through the operation under test). */
async function pausedDestination(): Promise<string> {
  const [row] = await sql<{ id: string }>(
    server.database,
    `insert into destination (kind, name, url) values ('SLACK', 'matrix', 'http://127.0.0.1:9/hook') returning id::text`,
  );
  return row.id;
}

/** The externalId of an NPS answer to delete, written directly (not through the operation under test). */
async function storedAnswer(): Promise<string> {
  const [row] = await sql<{ externalId: string }>(
    server.database,
    `insert into nps_response (customer_id, external_id, score, responded_at) values ($1, 'resp_' || gen_random_uuid(), 3, now())
     returning external_id as "externalId"`,
    [CUSTOMER],
  );
  return row.externalId;
}

/** A DEAD delivery of a decided action to an active destination that nothing answers. */
async function deadDelivery(): Promise<string> {
  const destination = await pausedDestination();
  const [action] = await sql<{ id: string }>(
    server.database,
    `insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, status) values ($1, 'critical', 'csm_alert', 'TEAM', 'SLACK', 'CRITICAL', 'DECIDED') returning id::text`,
    [CUSTOMER],
  );
  const [row] = await sql<{ id: string }>(
    server.database,
    `insert into delivery (action_id, destination_id, customer_id, audience, status) values ($1, $2, $3, 'TEAM', 'DEAD') returning id::text`,
    [action.id, destination, CUSTOMER],
  );
  return row.id;
}

const KEY_SCOPES: Scope[][] = [['read'], ['ingest'], ['read', 'ingest'], ['admin']];
const keys = new Map<string, { key: string; id: string }>();

function allowed(held: Scope[], required: Scope): boolean {
  return held.includes('admin') || held.includes(required);
}

/** Every table but the migrations' and the keys', read once: the statement below digests them all. */
let digestStatement: string | undefined;

/**
 * A digest of every table (keys by id, name, scopes and revocation: their last use is not a write of
 * the operation), in one statement: the matrix takes one before and after each refused operation.
 */
async function databaseDigest(): Promise<Record<string, string>> {
  if (!digestStatement) {
    const tables = await sql<{ table_name: string }>(
      server.database,
      "select table_name from information_schema.tables where table_schema = 'public' and table_name not in ('mikro_orm_migrations', 'api_key') order by table_name",
    );
    digestStatement = [
      ...tables.map(
        ({ table_name: table }) =>
          `select '${table}' as name, md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from "${table}" t`,
      ),
      "select 'api_key', md5(coalesce(string_agg(concat_ws('|', id, name, scopes::text, revoked_at::text), ',' order by id), '')) from api_key",
    ].join(' union all ');
  }
  const { rows } = await inspector.query<{ name: string; digest: string }>(digestStatement);
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

async function lastAudit(): Promise<{ actor: string; action: string } | undefined> {
  const { rows } = await inspector.query<{ actor: string; action: string }>('select actor, action from audit_log order by id desc limit 1');
  return rows[0];
}

beforeAll(async () => {
  server = await startTestServer({
    label: 'scopes',
    env: { RESCORE_DEBOUNCE_MS: '0', RATE_LIMIT_REQUESTS: '0', DELIVERY_CONCURRENCY: '0' },
  });
  inspector = new Client({ connectionString: server.database.url });
  await inspector.connect();
  admin = await createKey(server, ['admin'], undefined, 'matrix admin');
  for (const scopes of KEY_SCOPES) keys.set(scopes.join('+'), await createKey(server, scopes, admin.key));
  const upserted = await post(
    server.url,
    `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix" }) { id } }`,
    undefined,
    admin.key,
  );
  expect(upserted.body.errors).toBeUndefined();
  const model = await post<{ scoringModel: { config: unknown } }>(server.url, '{ scoringModel { config } }', undefined, admin.key);
  activeConfig = model.body.data!.scoringModel.config;
});
afterAll(async () => {
  await inspector?.end();
  await server?.stop();
});

it('names every root field of the schema', async () => {
  const result = await post<{ __schema: Record<string, { fields: Array<{ name: string }> }> }>(
    server.url,
    '{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }',
    undefined,
    admin.key,
  );
  const schema = result.body.data!.__schema;
  const inSchema = (['queryType', 'mutationType', 'subscriptionType'] as const)
    .flatMap((type) => schema[type].fields.map((field) => field.name))
    .sort();
  expect(ROWS.map((row) => row.field).sort()).toEqual(inSchema);
});

async function runOverHttp(
  document: string,
  variables: Record<string, unknown> | undefined,
  key: string,
): Promise<Array<string | undefined> | null> {
  const result = await post(server.url, document, variables, key);
  expect(result.status).toBe(200);
  return result.body.errors ? result.body.errors.map((error) => error.extensions?.code) : null;
}

async function runOverWebSocket(
  kind: Kind,
  document: string,
  variables: Record<string, unknown> | undefined,
  key: string,
): Promise<Array<string | undefined> | null> {
  const socket = await GraphQLSocket.connect(server.wsUrl, key);
  try {
    expect(await socket.acknowledged()).toBe('ack');
    if (kind !== 'subscription') {
      const result = await socket.run('op', document, variables);
      const codes = socketErrorCodes(result);
      return codes.length > 0 ? codes : null;
    }
    socket.subscribe('op', document);
    // A refused subscription answers at once; an admitted one waits for events, silently.
    const refused = await socket.waitFor((message) => message.id === 'op', 500).catch(() => undefined);
    return refused ? socketErrorCodes({ type: refused.type, payload: refused.payload }) : null;
  } finally {
    socket.close();
  }
}

describe.each(['HTTP', 'WebSocket'] as const)('over %s', (transport) => {
  const rows = transport === 'HTTP' ? ROWS.filter((row) => row.kind !== 'subscription') : ROWS;
  describe.each(KEY_SCOPES.map((scopes) => [scopes.join('+'), scopes] as const))('with a %s key', (name, held) => {
    it.each(rows.map((row) => [`${row.kind} ${row.field} (${row.scope})`, row] as const))('%s', async (_title, row) => {
      const key = keys.get(name)!;
      const document = typeof row.document === 'string' ? row.document : await row.document();
      const denied = !allowed(held, row.scope);
      const before = denied ? await databaseDigest() : undefined;
      const auditBefore = await lastAudit();
      const variables = row.variables?.();
      const codes =
        transport === 'HTTP'
          ? await runOverHttp(document, variables, key.key)
          : await runOverWebSocket(row.kind, document, variables, key.key);
      if (denied) {
        expect(codes).toEqual(['FORBIDDEN']);
        expect(await databaseDigest()).toEqual(before);
        return;
      }
      // suggestScoringModel has nothing to fit on a single unlabelled customer: refused for its input, but admitted.
      if (row.field === 'suggestScoringModel' && codes) expect(codes).toEqual(['BAD_USER_INPUT']);
      else expect(codes).toBeNull();
      if (row.audited && !codes) expect(await lastAudit()).toEqual({ actor: key.id, action: row.audited });
      else expect(await lastAudit()).toEqual(auditBefore);
    });
  });
});

describe('what an ingest-only key sees', () => {
  const EDGES = [
    'currentScore',
    'engagementEvents',
    'lastOutreachAction',
    'latestNpsResponse',
    'npsResponses',
    'outreach',
    'payments',
    'planChanges',
    'scoreHistory',
    'supportTickets',
    'tierChanges',
  ];

  it('covers every edge of Customer to another record', async () => {
    const result = await post<{ __type: { fields: Array<{ name: string; type: { kind: string; ofType: { kind: string } | null } }> } }>(
      server.url,
      '{ __type(name: "Customer") { fields { name type { kind ofType { kind } } } } }',
      undefined,
      admin.key,
    );
    const objects = result.body
      .data!.__type.fields.filter((field) => [field.type.kind, field.type.ofType?.kind].includes('OBJECT'))
      .map((field) => field.name);
    expect(objects.sort()).toEqual(EDGES);
  });

  it.each(EDGES)('cannot read Customer.%s through the customer an upsert returns', async (edge) => {
    const selection = [
      'engagementEvents',
      'npsResponses',
      'outreach',
      'payments',
      'planChanges',
      'scoreHistory',
      'supportTickets',
      'tierChanges',
    ].includes(edge)
      ? `${edge} { totalCount }`
      : `${edge} { __typename }`;
    const result = await post(
      server.url,
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix" }) { id ${selection} } }`,
      undefined,
      keys.get('ingest')!.key,
    );
    expect(result.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')])).toEqual([
      ['FORBIDDEN', `upsertCustomer.${edge}`],
    ]);
  });

  it('gets the id of the customer it wrote, not its score, tier or stored plan, and writes nothing asking', async () => {
    const before = await databaseDigest();
    for (const field of ['healthScore', 'tier', 'trend', 'lifecycleStage', 'arrCents', 'plan', 'churnedAt', 'lastActivityAt']) {
      const result = await post(
        server.url,
        `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix" }) { id ${field} } }`,
        undefined,
        keys.get('ingest')!.key,
      );
      expect({
        field,
        data: result.body.data ?? null,
        errors: result.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')]),
      }).toEqual({
        field,
        data: null,
        errors: [['FORBIDDEN', `upsertCustomer.${field}`]],
      });
    }
    expect(await databaseDigest()).toEqual(before);
    const ids = await post(
      server.url,
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix" }) { id } }`,
      undefined,
      keys.get('ingest')!.key,
    );
    expect(ids.body).toEqual({ data: { upsertCustomer: { id: CUSTOMER } } });
  });

  it('cannot read the customer back through what it recorded (the back-edge needs read), and writes nothing asking', async () => {
    const before = await databaseDigest();
    const result = await post(
      server.url,
      `mutation { recordPayment(input: { customerId: "${CUSTOMER}", externalId: "in_back_edge", amountCents: 1, currency: "usd", status: PAID }) { id customer { name } } }`,
      undefined,
      keys.get('ingest')!.key,
    );
    expect(result.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')])).toEqual([
      ['FORBIDDEN', 'recordPayment.customer'],
    ]);
    // The same through a fragment, and an NPS answer (no idempotency key): a retry after FORBIDDEN must not write twice.
    const nps = await post(
      server.url,
      `mutation { submitNpsResponse(input: { customerId: "${CUSTOMER}", score: 4 }) { ...Answer } } fragment Answer on NpsResponse { id customer { name } }`,
      undefined,
      keys.get('ingest')!.key,
    );
    expect(nps.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')])).toEqual([
      ['FORBIDDEN', 'submitNpsResponse.customer'],
    ]);
    expect(await databaseDigest()).toEqual(before);
  });

  it('cannot change an opt-out through upsertCustomer, which an admin can (audited)', async () => {
    const optOut = `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix", communicationOptOut: false }) { communicationOptOut } }`;
    const before = await databaseDigest();
    const refused = await post(server.url, optOut, undefined, keys.get('read+ingest')!.key);
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await databaseDigest()).toEqual(before);
    const done = await post(server.url, optOut, undefined, admin.key);
    expect(done.body).toEqual({ data: { upsertCustomer: { communicationOptOut: false } } });
    const [entry] = await sql<{ actor: string; action: string; target: string; details: unknown }>(
      server.database,
      'select actor, action, target, details from audit_log order by id desc limit 1',
    );
    expect(entry).toEqual({ actor: admin.id, action: 'customer.optOut', target: CUSTOMER, details: { optedOut: false } });
  });

  it("sets a customer's contact address only with the read scope too: the messages sent there show what an ingest-only key may not read", async () => {
    const setAddress = (address: string | null) =>
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", contactEmail: ${address === null ? 'null' : `"${address}"`} }) { id } }`;
    const before = await databaseDigest();
    for (const document of [setAddress('attacker@evil.example'), setAddress('ops@matrix.example')]) {
      const refused = await post(server.url, document, undefined, keys.get('ingest')!.key);
      expect(refused.body.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([
        ['FORBIDDEN', 'customer.contactEmail needs the read scope'],
      ]);
    }
    // Through a variable too, before anything runs.
    const byVariable = await post(
      server.url,
      'mutation ($input: CustomerInput!) { upsertCustomer(input: $input) { id } }',
      { input: { id: CUSTOMER, contactEmail: 'attacker@evil.example' } },
      keys.get('ingest')!.key,
    );
    expect(byVariable.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(await databaseDigest()).toEqual(before);
    // A key that reads anyway sets it; without the address, an ingest key updates the rest as before.
    const set = await post(server.url, setAddress('ops@matrix.example'), undefined, keys.get('read+ingest')!.key);
    expect(set.body.errors).toBeUndefined();
    const other = await post(
      server.url,
      `mutation { upsertCustomer(input: { id: "${CUSTOMER}", plan: "pro" }) { id } }`,
      undefined,
      keys.get('ingest')!.key,
    );
    expect(other.body.errors).toBeUndefined();
  });

  it('refuses an opt-out change before the operation runs, so a write before it in the document is not made either', async () => {
    const ingest = keys.get('ingest')!.key;
    const track = `a: trackEngagement(input: { customerId: "${CUSTOMER}", eventType: "before_opt_out" }) { id }`;
    const documents: Array<[string, Record<string, unknown> | undefined]> = [
      [
        `mutation { ${track} b: upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix", communicationOptOut: true }) { id } }`,
        undefined,
      ],
      [
        `mutation ($out: Boolean) { ${track} b: upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix", communicationOptOut: $out }) { id } }`,
        { out: true },
      ],
      [
        `mutation ($input: CustomerInput!) { ${track} b: upsertCustomer(input: $input) { id } }`,
        { input: { id: CUSTOMER, name: 'Matrix', communicationOptOut: true } },
      ],
      [
        `mutation ($out: Boolean = true) { ${track} b: upsertCustomer(input: { id: "${CUSTOMER}", name: "Matrix", communicationOptOut: $out }) { id } }`,
        {},
      ],
    ];
    const before = await databaseDigest();
    for (const [document, variables] of documents) {
      // Twice: a document's second run is compiled, and must be refused as the first.
      for (let run = 0; run < 2; run++) {
        const refused = await post(server.url, document, variables, ingest);
        expect(refused.body.data).toBeUndefined();
        expect(refused.body.errors?.map((error) => [error.extensions?.code, error.path?.join('.')])).toEqual([['FORBIDDEN', 'b']]);
      }
    }
    expect(await databaseDigest()).toEqual(before);
    // Sent without the opt-out, the same document runs.
    const allowed = await post(server.url, documents[1][0], {}, ingest);
    expect(allowed.body.errors).toBeUndefined();
  });
});

it('answers a refusal before execution 403 to a client that takes application/graphql-response+json, 200 to an application/json one', async () => {
  const read = keys.get('read')!.key;
  const query = `mutation { upsertCustomer(input: { id: "${CUSTOMER}", name: "Renamed" }) { id } }`;
  const statuses: Array<[string, number, string | null, unknown]> = [];
  for (const accept of [
    'application/graphql-response+json',
    'application/json',
    'application/graphql-response+json, application/json;q=0.9',
    '*/*',
  ]) {
    const answer = await post(server.url, query, undefined, read, { accept });
    statuses.push([accept, answer.status, answer.headers.get('content-type'), answer.body.errors?.[0].extensions?.code]);
    expect(answer.body.data).toBeUndefined();
  }
  expect(statuses).toEqual([
    ['application/graphql-response+json', 403, 'application/graphql-response+json; charset=utf-8', 'FORBIDDEN'],
    ['application/json', 200, 'application/json; charset=utf-8', 'FORBIDDEN'],
    ['application/graphql-response+json, application/json;q=0.9', 403, 'application/graphql-response+json; charset=utf-8', 'FORBIDDEN'],
    ['*/*', 200, 'application/json; charset=utf-8', 'FORBIDDEN'],
  ]);
  const [row] = (await inspector.query<{ name: string }>('select name from customer where id = $1', [CUSTOMER])).rows;
  expect(row.name).toBe('Matrix');
});

/** `{ F1 }` where each Fk spreads F(k+1) `width` times, and the last selects `fields` on `type`: width^(depth−1) copies. */
function nestedFragments(type: string, fields: string, depth: number, width: number): string {
  const fragments = Array.from({ length: depth }, (_, k) =>
    k === depth - 1
      ? `fragment F${k + 1} on ${type} { ${fields} }`
      : `fragment F${k + 1} on ${type} { ${Array.from({ length: width }, () => `...F${k + 2}`).join(' ')} }`,
  );
  return fragments.join('\n');
}

it('refuses unchecked an operation whose fragments expand past 20,000 fields, rather than run what it did not check', async () => {
  const read = keys.get('read')!.key;
  const secrets = await post(
    server.url,
    `{ deliverySummary { byDestination { destination { ...F1 } } } }\n${nestedFragments('Destination', 'name url signingSecret', 4, 30)}`,
    undefined,
    read,
  );
  expect(secrets.status).toBe(400);
  expect(secrets.body.errors?.[0].extensions?.code).toBe('OPERATION_LIMIT_EXCEEDED');
  expect(JSON.stringify(secrets.body)).not.toContain('whsec_');
  const ingest = keys.get('ingest')!.key;
  const paymentsBefore = (await inspector.query('select count(*)::int as n from payment')).rows[0].n;
  const write = await post(
    server.url,
    `mutation { recordPayment(input: { customerId: "${CUSTOMER}", amountCents: 100, currency: "USD", status: PAID, externalId: "frag_bypass" }) { ...F1 } }\n` +
      nestedFragments('Payment', 'id customer { name }', 4, 30),
    undefined,
    ingest,
  );
  expect(write.body.errors?.[0].extensions?.code).toBe('OPERATION_LIMIT_EXCEEDED');
  expect(write.body.data).toBeUndefined();
  expect((await inspector.query('select count(*)::int as n from payment')).rows[0].n).toBe(paymentsBefore);
});

describe('what a read key sees of a destination', () => {
  it('its name, kind and state through the delivery summary and log, not its configuration', async () => {
    const read = keys.get('read')!.key;
    const named = await post(server.url, '{ deliverySummary { byDestination { destination { id name kind paused } } } }', undefined, read);
    expect(named.body.errors).toBeUndefined();
    for (const field of ['url', 'signingSecret', 'emailTo', 'emailFrom', 'emailTextTemplate', 'filter { tiers }', 'digestSeconds']) {
      for (const query of [
        `{ deliverySummary { byDestination { destination { name ${field} } } } }`,
        `{ outreachLog(first: 1) { edges { node { deliveries { destination { ${field} } } } } } }`,
      ]) {
        const refused = await post(server.url, query, undefined, read);
        expect({ query, code: refused.body.errors?.[0].extensions?.code }).toEqual({ query, code: 'FORBIDDEN' });
      }
    }
    const admin = await post(
      server.url,
      '{ deliverySummary { byDestination { destination { url filter { tiers } } } } }',
      undefined,
      keys.get('admin')!.key,
    );
    expect(admin.body.errors).toBeUndefined();
  });
  it("a failed delivery's error without the hosts, addresses and receiver's answer in it; an admin sees it whole", async () => {
    const created = await post<{ createDestination: { id: string } }>(
      server.url,
      'mutation { createDestination(input: { kind: WEBHOOK, name: "crm", url: "https://hooks.example.com/in", signingSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }) { id } }',
      undefined,
      keys.get('admin')!.key,
    );
    expect(created.body.errors).toBeUndefined();
    const errors = [
      'HTTP 401: token tok_live_123 is not valid for hooks.example.com',
      'getaddrinfo ENOTFOUND hooks.example.com',
      'getaddrinfo EAI_AGAIN crm-prod-db01',
      'crm-prod-db01 resolves to 10.0.0.9, which is a loopback, private or reserved address',
      'hooks.internal.corp resolves to 10.0.0.5, which is a loopback, private or reserved address',
      'connect ECONNREFUSED [fd00::12]:443',
      "Can't send mail - all recipients were rejected: 550 5.1.1 <bob@acme.io>: Recipient address rejected",
      "SMTP 451: Can't send mail - all recipients were rejected: 451 4.7.1 Greylisted by mx.acme.io, try again later",
      'no answer within 10000 ms',
    ];
    for (const error of errors) {
      await inspector.query(
        `with action as (insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, status)
           values ($1, 'p', 'a', 'TEAM', 'webhook', 'tier', 'DECIDED') returning id)
         insert into delivery (action_id, destination_id, customer_id, audience, status, attempts, last_error)
         select id, $2, $1, 'TEAM', 'RETRYING', 1, $3 from action`,
        [CUSTOMER, created.body.data!.createDestination.id, error],
      );
    }
    const query = `{ outreachLog(customerId: "${CUSTOMER}", first: 50) { edges { node { deliveries { lastError } } } } }`;
    const lastErrors = async (key: string) => {
      const answer = await post<{ outreachLog: { edges: Array<{ node: { deliveries: Array<{ lastError: string }> } }> } }>(
        server.url,
        query,
        undefined,
        key,
      );
      expect(answer.body.errors).toBeUndefined();
      return answer.body
        .data!.outreachLog.edges.flatMap((edge) => edge.node.deliveries.map((d) => d.lastError))
        .filter(Boolean)
        .sort();
    };
    expect(await lastErrors(keys.get('admin')!.key)).toEqual([...errors].sort());
    expect(await lastErrors(keys.get('read')!.key)).toEqual(
      [
        'HTTP 401',
        'getaddrinfo ENOTFOUND <host>',
        'getaddrinfo EAI_AGAIN <host>',
        '<host> resolves to <address>, which is a loopback, private or reserved address',
        '<host> resolves to <address>, which is a loopback, private or reserved address',
        'connect ECONNREFUSED <address>',
        "Can't send mail - all recipients were rejected: 550 5.1.1 <<address>>: Recipient address rejected",
        'SMTP 451',
        'no answer within 10000 ms',
      ].sort(),
    );
  });
  it('the same in a live event, when an admin key subscribed to the same operation first: each key gets its own answer', async () => {
    const admin = keys.get('admin')!.key;
    const created = await post<{ createDestination: { id: string } }>(
      server.url,
      'mutation { createDestination(input: { kind: WEBHOOK, name: "crm-live", url: "https://hooks.example.com/live", signingSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }) { id } }',
      undefined,
      admin,
    );
    expect(created.body.errors).toBeUndefined();
    await inspector.query(
      `with action as (insert into outreach_action (customer_id, playbook, action, audience, channel, trigger, status)
         values ($1, 'p', 'a', 'TEAM', 'webhook', 'tier', 'DECIDED') returning id)
       insert into delivery (action_id, destination_id, customer_id, audience, status, attempts, last_error)
       select id, $2, $1, 'TEAM', 'RETRYING', 1, 'getaddrinfo ENOTFOUND crm-live.example.com' from action`,
      [CUSTOMER, created.body.data!.createDestination.id],
    );
    const subscription = `subscription { healthScoreUpdated(customerId: "${CUSTOMER}") {
      customer { outreach(first: 10) { edges { node { deliveries { lastError } } } } } } }`;
    const adminSocket = await GraphQLSocket.connect(server.wsUrl, admin);
    const readSocket = await GraphQLSocket.connect(server.wsUrl, keys.get('read')!.key);
    try {
      expect(await adminSocket.acknowledged()).toBe('ack');
      expect(await readSocket.acknowledged()).toBe('ack');
      // The admin's subscription first, so that the event reaches it first.
      adminSocket.subscribe('live', subscription);
      await new Promise((resolve) => setTimeout(resolve, 300));
      readSocket.subscribe('live', subscription);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const scored = await post(server.url, `mutation { refreshHealthScore(customerId: "${CUSTOMER}") { score } }`, undefined, admin);
      expect(scored.body.errors).toBeUndefined();
      const lastErrors = async (socket: GraphQLSocket): Promise<string[]> => {
        const message = await socket.waitFor((m) => m.id === 'live' && m.type === 'next');
        const { data } = message.payload as {
          data: {
            healthScoreUpdated: { customer: { outreach: { edges: Array<{ node: { deliveries: Array<{ lastError: string | null }> } }> } } };
          };
        };
        return data.healthScoreUpdated.customer.outreach.edges.flatMap((edge) => edge.node.deliveries.map((d) => d.lastError ?? ''));
      };
      expect(await lastErrors(adminSocket)).toContain('getaddrinfo ENOTFOUND crm-live.example.com');
      const seenByRead = await lastErrors(readSocket);
      expect(seenByRead).toContain('getaddrinfo ENOTFOUND <host>');
      expect(seenByRead.join('\n')).not.toMatch(/example\.com/);
    } finally {
      adminSocket.close();
      readSocket.close();
    }
  });
});
