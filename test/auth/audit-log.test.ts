// The audit log: each admin action, with the key that did it (or `loopback`) and when, what it acted
// on and how; served newest first by `auditLog` (admin), paginated and filtered like every list.
import { createKey, GraphQLSocket, post } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

interface Entry {
  action: string;
  actor: string;
  target: string | null;
  details: Record<string, unknown> | null;
  at: string;
  clientAddress: string | null;
}
interface Page {
  auditLog: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Entry }> };
}

const AUDIT_LOG = `query($first: Int, $after: String, $action: String, $actor: String) {
  auditLog(first: $first, after: $after, action: $action, actor: $actor) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { action actor target details at clientAddress } }
  }
}`;

let server: TestServer;
let admin: { key: string; id: string };
let startedAt: number;

beforeAll(async () => {
  server = await startTestServer({ label: 'audit_log', env: { RESCORE_DEBOUNCE_MS: '0' } });
  startedAt = Date.now();
  // While no key exists, the local operator acts as `loopback`: creating the first key is recorded so.
  admin = await createKey(server, ['admin'], undefined, 'ops');
  const as = (query: string) => post(server.url, query, undefined, admin.key);
  await as('mutation { upsertCustomer(input: { id: "cust_audit", name: "Audited" }) { id } }');
  await as('mutation { setCommunicationOptOut(customerId: "cust_audit", optedOut: true) { id } }');
  await as('mutation { updateScoringModel(input: { tierPreset: "three_tier" }) { version } }');
  // Named as the admin typed it, padded: the log names the customer by its stored id.
  await as('mutation { refreshHealthScore(customerId: " cust_audit ") { score } }');
  await as('mutation { refreshAllHealthScores { id } }');
  // Refused for its input: it changed nothing, so nothing is recorded.
  await as('mutation { updateScoringModel(input: { tierPreset: "no_such_preset" }) { version } }');
  const socket = await GraphQLSocket.connect(server.wsUrl, admin.key);
  await socket.acknowledged();
  await socket.run('1', 'mutation { setCommunicationOptOut(customerId: "cust_audit", optedOut: false) { id } }');
  socket.close();
});
afterAll(() => server?.stop());

async function page(variables: Record<string, unknown>): Promise<Page['auditLog']> {
  const result = await post<Page>(server.url, AUDIT_LOG, variables, admin.key);
  expect(result.body.errors).toBeUndefined();
  return result.body.data!.auditLog;
}

it('records every admin action, newest first, with the acting key, the time, the target and the details', async () => {
  const log = await page({ first: 50 });
  const model = await post<{ scoringModel: { version: number } }>(server.url, '{ scoringModel { version } }', undefined, admin.key);
  const version = String(model.body.data!.scoringModel.version);
  expect(log.edges.map(({ node }) => [node.actor, node.action, node.target, node.details])).toEqual([
    [admin.id, 'customer.optOut', 'cust_audit', { optedOut: false }],
    [admin.id, 'scoring.fullRun', expect.any(String), { asOf: null, status: 'SUCCEEDED' }],
    [admin.id, 'healthScore.refresh', 'cust_audit', { asOf: null }],
    [admin.id, 'scoringModel.update', version, { tierPreset: 'three_tier' }],
    [admin.id, 'customer.optOut', 'cust_audit', { optedOut: true }],
    ['loopback', 'apiKey.create', admin.id, { name: 'ops', scopes: ['admin'] }],
  ]);
  for (const { node } of log.edges) {
    expect(Date.parse(node.at)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(Date.parse(node.at)).toBeLessThanOrEqual(Date.now());
    expect(node.clientAddress).toMatch(/127\.0\.0\.1/);
  }
});

it('pages with first/after like every list, with totalCount', async () => {
  const first = await page({ first: 4 });
  expect(first.totalCount).toBe(6);
  expect(first.edges).toHaveLength(4);
  expect(first.pageInfo.hasNextPage).toBe(true);
  const second = await page({ first: 4, after: first.pageInfo.endCursor });
  expect(second.edges.map(({ node }) => node.action)).toEqual(['customer.optOut', 'apiKey.create']);
  expect(second.pageInfo.hasNextPage).toBe(false);
});

it('filters by action and by actor', async () => {
  expect((await page({ action: 'customer.optOut' })).edges.map(({ node }) => node.details)).toEqual([
    { optedOut: false },
    { optedOut: true },
  ]);
  expect((await page({ actor: 'loopback' })).edges.map(({ node }) => node.action)).toEqual(['apiKey.create']);
});

it('refuses an action the log never records, as the typo it is, rather than answer an empty log', async () => {
  for (const action of ['customer.optout', 'apiKey.delete']) {
    const result = await post(server.url, AUDIT_LOG, { action }, admin.key);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'action' });
    expect(result.body.errors?.[0]?.message).toContain('customer.optOut');
  }
  // An action it records that did not happen yet is an empty page.
  expect((await page({ action: 'delivery.redeliver' })).totalCount).toBe(0);
});

it('is for admins only', async () => {
  const reader = await createKey(server, ['read', 'ingest'], admin.key);
  const result = await post(server.url, AUDIT_LOG, {}, reader.key);
  expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
});

it('records where a destination sends after each change (URL masked) and what a CSM contact became', async () => {
  const as = (query: string, variables?: Record<string, unknown>) => post(server.url, query, variables, admin.key);
  const created = await as('mutation($i: DestinationInput!) { createDestination(input: $i) { id } }', {
    i: { kind: 'SLACK', name: 'alerts', url: 'https://hooks.slack.com/services/T000/B000/secretpath' },
  });
  const id = (created.body.data as { createDestination: { id: string } }).createDestination.id;
  await as('mutation($id: ID!) { updateDestination(id: $id, input: { url: "https://attacker.example.net/collect" }) { id } }', { id });
  await as('mutation { setCsmContact(input: { owner: "kate", email: "kate@example.com" }) { owner } }');
  await as('mutation { setCsmContact(input: { owner: "kate", email: null }) { owner } }');
  const log = await page({ first: 10 });
  const entries = log.edges.map(({ node }) => [node.action, node.target, node.details]).slice(0, 4);
  expect(entries).toEqual([
    ['csmContact.set', 'kate', { removed: true }],
    ['csmContact.set', 'kate', { email: 'kate@example.com', slackTarget: null }],
    ['destination.update', id, expect.objectContaining({ changed: ['url'], name: 'alerts', url: 'https://attacker.example.net/…lect' })],
    [
      'destination.create',
      id,
      expect.objectContaining({ changed: ['kind', 'name', 'url'], kind: 'SLACK', url: 'https://hooks.slack.com/…path' }),
    ],
  ]);
  expect(JSON.stringify(log)).not.toContain('secretpath');
});

it('names what an action acted on as stored, not as the argument was typed', async () => {
  const as = (query: string, variables?: Record<string, unknown>) => post(server.url, query, variables, admin.key);
  await as('mutation { setCommunicationOptOut(customerId: "  cust_audit ", optedOut: true) { id } }');
  await as('mutation { upsertCustomer(input: { id: " cust_audit", name: "Audited", communicationOptOut: false }) { id } }');
  await as('mutation { setCsmContact(input: { owner: " lena ", email: "lena@example.com" }) { owner } }');
  await as('mutation { setCsmContact(input: { owner: " lena ", email: null }) { owner } }');
  const created = await as(
    'mutation { createDestination(input: { kind: SLACK, name: "typed", url: "https://hooks.slack.com/services/T/B/x" }) { id } }',
  );
  const id = (created.body.data as { createDestination: { id: string } }).createDestination.id;
  await as('mutation($id: ID!) { updateDestination(id: $id, input: { name: "typed again" }) { id } }', { id: `0${id}` });
  const log = await page({ first: 6 });
  expect(log.edges.map(({ node }) => [node.action, node.target])).toEqual([
    ['destination.update', id],
    ['destination.create', id],
    ['csmContact.set', 'lena'],
    ['csmContact.set', 'lena'],
    ['customer.optOut', 'cust_audit'],
    ['customer.optOut', 'cust_audit'],
  ]);
});

it('takes a destination id with white space around it, as it takes every other id, and records it as stored', async () => {
  const as = (query: string, variables?: Record<string, unknown>) => post(server.url, query, variables, admin.key);
  const created = await as(
    'mutation { createDestination(input: { kind: SLACK, name: "padded", url: "https://hooks.slack.com/services/T/B/y" }) { id } }',
  );
  const id = (created.body.data as { createDestination: { id: string } }).createDestination.id;
  const updated = await as('mutation($id: ID!) { updateDestination(id: $id, input: { name: "padded again" }) { id name } }', {
    id: ` ${id} `,
  });
  expect(updated.body.errors).toBeUndefined();
  expect(updated.body.data).toEqual({ updateDestination: { id, name: 'padded again' } });
  const deleted = await as('mutation($id: ID!) { deleteDestination(id: $id) { id } }', { id: `${id}\n` });
  expect(deleted.body.errors).toBeUndefined();
  const log = await page({ first: 2 });
  expect(log.edges.map(({ node }) => [node.action, node.target])).toEqual([
    ['destination.delete', id],
    ['destination.update', id],
  ]);
});

it('records a CSM contact removed only when there was one: a removal of an owner never set changed nothing and is not recorded', async () => {
  const as = (query: string) => post(server.url, query, undefined, admin.key);
  const before = (await page({ action: 'csmContact.set' })).totalCount;
  const never = await as('mutation { setCsmContact(input: { owner: "never-existed" }) { owner } }');
  expect(never.body).toEqual({ data: { setCsmContact: null } });
  const cleared = await as(
    'mutation { setCsmContact(input: { owner: "never-existed-either", email: null, slackTarget: null }) { owner } }',
  );
  expect(cleared.body).toEqual({ data: { setCsmContact: null } });
  expect((await page({ action: 'csmContact.set' })).totalCount).toBe(before);
  // One that was set, then removed: two entries, the second `removed: true`.
  await as('mutation { setCsmContact(input: { owner: "mona", slackTarget: "U0MONA" }) { owner } }');
  await as('mutation { setCsmContact(input: { owner: "mona", slackTarget: null }) { owner } }');
  const log = await page({ action: 'csmContact.set', first: 2 });
  expect(log.edges.map(({ node }) => [node.actor, node.target, node.details])).toEqual([
    [admin.id, 'mona', { removed: true }],
    [admin.id, 'mona', { email: null, slackTarget: 'U0MONA' }],
  ]);
});

it('records the name and scopes of a key revoked, as of a key created', async () => {
  const revoked = await createKey(server, ['read', 'ingest'], admin.key, 'pipeline');
  await post(server.url, `mutation { revokeApiKey(id: "${revoked.id}") { id } }`, undefined, admin.key);
  const log = await page({ action: 'apiKey.revoke', first: 1 });
  expect(log.edges.map(({ node }) => [node.actor, node.target, node.details])).toEqual([
    [admin.id, revoked.id, { name: 'pipeline', scopes: ['read', 'ingest'] }],
  ]);
});
