// A key revoked stops working at once on the instance that revoked it, for what it has in flight too:
// requests waiting for their turn (OPERATIONS_PER_KEY) are refused 401 when it comes, nothing run; a
// CSV export under way stops reading pages and is cut; a WebSocket answers what it runs (the revoking
// or key-creating mutation included), refuses the rest, and then closes 4401.
// Slow statements are made by a lock a test session holds on a table, as in test/hardening/pool-limits.test.ts.
import http from 'node:http';
import { Client } from 'pg';
import { bearer, createKey, GraphQLSocket, post, waitUntil } from '../helpers/auth';
import { holdTableLock, sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let admin: { key: string; id: string };

beforeAll(async () => {
  server = await startTestServer({
    label: 'revoked_waiting',
    env: { OPERATIONS_PER_KEY: '1', OPERATIONS_WAITING_PER_KEY: '5', QUERY_STATEMENT_TIMEOUT_MS: '0' },
  });
  admin = await createKey(server, ['admin'], undefined, 'revoker');
});
afterAll(() => server?.stop());

/** Holds `table` locked from a session of the test's own, so every statement reading it waits until `release()`. */
async function lockTable(table: string): Promise<{ release(): Promise<void> }> {
  const holder = new Client({ connectionString: server.database.url });
  await holder.connect();
  return holdTableLock(holder, table);
}

/** A key of `scopes`, verified once by the server (so its requests are admitted at once). */
async function verifiedKey(scopes: string[], name: string): Promise<{ key: string; id: string }> {
  const created = await createKey(server, scopes, admin.key, name);
  expect((await post(server.url, '{ __typename }', undefined, created.key)).status).toBe(200);
  return created;
}

const revoke = (id: string) => post(server.url, `mutation { revokeApiKey(id: "${id}") { revokedAt } }`, undefined, admin.key);
const turns = (keyId: string) => server.app.services.operationsInFlight.heldBy(keyId);

describe('over HTTP', () => {
  it('refuses 401 the requests of a key revoked while they waited for their turn, a CSV export included; the one running answers', async () => {
    const victim = await verifiedKey(['admin'], 'queued');
    const lock = await lockTable('engagement_event');
    let running, queued, queuedExport;
    try {
      running = post(server.url, '{ engagementEvents(first: 1) { totalCount } }', undefined, victim.key);
      await waitUntil(() => turns(victim.id) === 1, 5000, 'the running request');
      queued = post(server.url, '{ apiKeys(first: 2) { totalCount } auditLog(first: 1) { totalCount } }', undefined, victim.key);
      await waitUntil(() => turns(victim.id) === 2, 5000, 'the queued request');
      queuedExport = fetch(new URL('/export/customers.csv', server.url), { headers: bearer(victim.key) });
      await waitUntil(() => turns(victim.id) === 3, 5000, 'the queued export');
      expect((await revoke(victim.id)).body.errors).toBeUndefined();
      // A new request of the key is refused at once, as before.
      expect((await post(server.url, '{ __typename }', undefined, victim.key)).status).toBe(401);
    } finally {
      await lock.release();
    }
    // Admitted and running before the revocation: answered.
    expect((await running).body).toEqual({ data: { engagementEvents: { totalCount: 0 } } });
    const refused = await queued;
    expect([refused.status, refused.headers.get('www-authenticate'), refused.body.data]).toEqual([401, 'Bearer', undefined]);
    expect(refused.body.errors?.[0]).toEqual({
      message: 'this API key was revoked while the request waited: nothing was run',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const download = await queuedExport;
    expect([download.status, download.headers.get('content-type')]).toEqual([401, 'application/json; charset=utf-8']);
    expect(((await download.json()) as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
      code: 'UNAUTHENTICATED',
    });
    await waitUntil(() => turns(victim.id) === 0, 5000, 'the turns given back');
  });

  it('cuts a CSV export under way when its key is revoked: no complete file, no further page read', async () => {
    // Pages of megabytes: the export waits for its client, who reads nothing, to take the first.
    await sql(
      server.database,
      `insert into customer (id, name) select 'cust_big_' || lpad(g::text, 4, '0'), repeat('n', 20000) from generate_series(1, 1200) g`,
    );
    const reader = await verifiedKey(['read'], 'exporting');
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      // Ordered by ARR: a page's cursor holds the sort value, and one holding a name this long is refused.
      const url = new URL('/export/customers.csv?orderBy=ARR_DESC', server.url);
      http.get(url, { headers: bearer(reader.key) }, resolve).on('error', reject);
    });
    response.pause();
    expect(response.statusCode).toBe(200);
    // Still under way (without the revocation it would wait for its client until SEND_TIMEOUT_MS).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(turns(reader.id)).toBe(1);
    await revoke(reader.id);
    let received = 0;
    const ended = new Promise<{ complete: boolean }>((resolve) => {
      response.on('data', (chunk: Buffer) => (received += chunk.length));
      response.on('error', () => undefined);
      response.on('close', () => resolve({ complete: response.complete }));
    });
    response.resume();
    // Cut: the client sees a transfer that did not complete, not a whole file.
    expect(await ended).toEqual({ complete: false });
    expect(received).toBeLessThan(1200 * 20000);
    // Ended, its turn given back: it reads no further page.
    await waitUntil(() => turns(reader.id) === 0, 5000, 'the export stopped');
  });
});

describe('over WebSocket', () => {
  it("answers the mutation revoking the socket's own key, then closes 4401", async () => {
    const doomed = await verifiedKey(['admin'], 'self-revoking');
    const socket = await GraphQLSocket.connect(server.wsUrl, doomed.key);
    expect(await socket.acknowledged()).toBe('ack');
    const answer = await socket.run('revoke', `mutation { revokeApiKey(id: "${doomed.id}") { id revokedAt } }`);
    expect(answer).toEqual({ type: 'next', payload: { data: { revokeApiKey: { id: doomed.id, revokedAt: expect.any(String) } } } });
    expect(await socket.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    expect(socket.messages.filter((message) => message.id === 'revoke').map((message) => message.type)).toEqual(['next', 'complete']);
  });

  it('answers the query running when its key is revoked elsewhere, refuses the one waiting for its turn and any sent after, then closes 4401', async () => {
    const victim = await verifiedKey(['read'], 'socket victim');
    const socket = await GraphQLSocket.connect(server.wsUrl, victim.key);
    expect(await socket.acknowledged()).toBe('ack');
    const lock = await lockTable('engagement_event');
    try {
      socket.subscribe('running', '{ engagementEvents(first: 1) { totalCount } }');
      await waitUntil(() => turns(victim.id) === 1, 5000, 'the running query');
      socket.subscribe('waiting', '{ __typename }');
      await waitUntil(() => turns(victim.id) === 2, 5000, 'the waiting query');
      await revoke(victim.id);
      socket.subscribe('after', '{ __typename }');
      const after = await socket.waitFor((message) => message.id === 'after');
      expect(after).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    } finally {
      await lock.release();
    }
    expect(await socket.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    const of = (id: string) => socket.messages.filter((message) => message.id === id);
    expect(of('running')).toEqual([
      { id: 'running', type: 'next', payload: { data: { engagementEvents: { totalCount: 0 } } } },
      { id: 'running', type: 'complete' },
    ]);
    expect(of('waiting')).toMatchObject([{ type: 'error', payload: [{ extensions: { code: 'UNAUTHENTICATED' } }] }]);
    await waitUntil(() => turns(victim.id) === 0, 5000, 'the turns given back');
  });
});

describe('the key-less local session', () => {
  let empty: TestServer;
  beforeAll(async () => {
    empty = await startTestServer({ label: 'first_key_ws' });
  });
  afterAll(() => empty?.stop());

  it('gets the answer of the createApiKey that creates the first key over WebSocket (its only sight of the secret), then closes 4401', async () => {
    const socket = await GraphQLSocket.connect(empty.wsUrl);
    expect(await socket.acknowledged()).toBe('ack');
    const answer = await socket.run('create', 'mutation { createApiKey(input: { name: "first", scopes: [ADMIN] }) { key apiKey { id } } }');
    expect(answer.type).toBe('next');
    const created = (answer.payload as { data: { createApiKey: { key: string; apiKey: { id: string } } } }).data.createApiKey;
    expect(created.key).toMatch(new RegExp(`^hg_${created.apiKey.id}_`));
    expect(await socket.closed).toEqual({ code: 4401, reason: 'an API key is now required' });
    expect(socket.messages.filter((message) => message.id === 'create').map((message) => message.type)).toEqual(['next', 'complete']);
    // The key shown is the one stored.
    expect((await post(empty.url, '{ viewer { keyName } }', undefined, created.key)).body.data).toEqual({ viewer: { keyName: 'first' } });
  });
});
