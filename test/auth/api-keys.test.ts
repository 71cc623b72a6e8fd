// API keys end to end: shown once and stored as an scrypt hash; `Authorization: Bearer` on HTTP and
// `authorization` in connection_init on WebSocket; 401 / close 4401 for a missing, wrong or revoked
// key; revocation closing an open socket on every instance within seconds; `npm run keys`.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { bearer, createKey, GraphQLSocket, post, waitUntil } from '../helpers/auth';
import { sql } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { KEY_REFUSED } from '../../src/auth/authenticate';

const REFRESH_MS = 300;
let server: TestServer;
/** A second instance on the same database, as behind a load balancer. */
let other: TestServer;
let admin: { key: string; id: string };

beforeAll(async () => {
  server = await startTestServer({ label: 'api_keys', env: { API_KEY_REFRESH_MS: String(REFRESH_MS) } });
  other = await startTestServer({ database: server.database, env: { API_KEY_REFRESH_MS: String(REFRESH_MS) } });
  admin = await createKey(server, ['admin'], undefined, 'first admin');
});
afterAll(async () => {
  await other?.stop();
  await server?.stop();
});

const LIST_KEYS = '{ apiKeys { totalCount edges { node { id prefix name scopes createdBy lastUsedAt revokedAt } } } }';

describe('a key', () => {
  it('is shown once as hg_<id>_<secret> and stored only as an scrypt hash with its own salt', async () => {
    const created = await createKey(server, ['read', 'ingest'], admin.key, 'dashboard');
    expect(created.key).toMatch(new RegExp(`^hg_${created.id}_[A-Za-z0-9_-]{43}$`));
    const rows = await sql<{ secret_hash: string; scopes: string[]; created_by: string }>(
      server.database,
      'select secret_hash, scopes, created_by from api_key where id = $1',
      [created.id],
    );
    expect(rows[0].scopes).toEqual(['read', 'ingest']);
    expect(rows[0].created_by).toBe(admin.id);
    expect(rows[0].secret_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    // The secret is base64url, so it may hold underscores itself: everything after `hg_<id>_`.
    const secret = created.key.slice(`hg_${created.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(rows[0].secret_hash).not.toContain(secret);
    const listed = await post<{ apiKeys: { edges: Array<{ node: Record<string, unknown> }> } }>(
      server.url,
      LIST_KEYS,
      undefined,
      admin.key,
    );
    const node = listed.body.data!.apiKeys.edges.find((edge) => edge.node.id === created.id)!.node;
    expect(node).toMatchObject({
      prefix: `hg_${created.id}`,
      name: 'dashboard',
      scopes: ['READ', 'INGEST'],
      createdBy: admin.id,
      revokedAt: null,
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.key);
  });

  it('records when it was last used', async () => {
    const created = await createKey(server, ['read'], admin.key);
    await post(server.url, '{ healthSummary { totalCustomers } }', undefined, created.key);
    await waitUntil(
      async () =>
        (await sql(server.database, 'select 1 from api_key where id = $1 and last_used_at is not null', [created.id])).length === 1,
      5000,
      'lastUsedAt',
    );
  });

  it('is refused unless it has a valid scope', async () => {
    const result = await post(server.url, 'mutation { createApiKey(input: { name: "x", scopes: [] }) { key } }', undefined, admin.key);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const nul = await post(
      server.url,
      'mutation($n: String!) { createApiKey(input: { name: $n, scopes: [READ] }) { key } }',
      { n: 'a\u0000b' },
      admin.key,
    );
    expect(nul.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // A name is printed in a terminal by `npm run keys -- list`: no escape sequence, no forged line.
    for (const name of ['\u001b[31mred\u001b[0m', 'ci\nhg_forged  admin', 'tab\there', 'c1\u009bcontrol', 'admin\u202Eiloc']) {
      const control = await post(
        server.url,
        'mutation($n: String!) { createApiKey(input: { name: $n, scopes: [READ] }) { key } }',
        { n: name },
        admin.key,
      );
      expect([name, control.body.errors?.[0]?.extensions?.code, control.body.errors?.[0]?.extensions?.argument]).toEqual([
        name,
        'BAD_USER_INPUT',
        'name',
      ]);
    }
  });
});

describe('over HTTP', () => {
  it('answers 401 before running anything without a key, with a wrong one, a malformed one or an unknown id', async () => {
    const before = await sql(server.database, 'select count(*)::int as n from customer');
    const mutation = 'mutation { upsertCustomer(input: { id: "cust_unauth", name: "Nope" }) { id } }';
    const forged = admin.key.slice(0, -4) + (admin.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const key of [undefined, forged, 'not-a-key', 'hg_zzzzzzzzzz_' + 'A'.repeat(43)]) {
      const result = await post(server.url, mutation, undefined, key);
      expect(result.status).toBe(401);
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      // A key sent is not said to be revoked: it may be one just created, not yet known to this instance.
      if (key !== undefined) expect(result.body.errors?.[0]?.message).toBe(KEY_REFUSED);
    }
    expect(KEY_REFUSED).toMatch(/not yet known .*API_KEY_REFRESH_MS/);
    expect(await sql(server.database, 'select count(*)::int as n from customer')).toEqual(before);
  });

  it('takes the key alone as well as after `Bearer ` (any case), as README says; another scheme is no key', async () => {
    for (const authorization of [`Bearer ${admin.key}`, `bearer  ${admin.key}`, admin.key, ` ${admin.key} `]) {
      const result = await post(server.url, '{ viewer { keyName } }', undefined, undefined, { authorization });
      expect([authorization, result.status, result.body.data]).toEqual([authorization, 200, { viewer: { keyName: 'first admin' } }]);
    }
    for (const scheme of ['Basic', 'Token']) {
      const other = await post(server.url, '{ viewer { keyName } }', undefined, undefined, { authorization: `${scheme} ${admin.key}` });
      expect([scheme, other.status, other.body.errors?.[0]?.extensions?.code, other.body.errors?.[0]?.message]).toEqual([
        scheme,
        401,
        'UNAUTHENTICATED',
        KEY_REFUSED,
      ]);
    }
    // `Bearer` with nothing after it sends no key (not the key "Bearer"): answered as a request without one.
    for (const authorization of ['Bearer ', 'bearer', '  Bearer  ']) {
      const empty = await post(server.url, '{ viewer { keyName } }', undefined, undefined, { authorization });
      expect([authorization, empty.status, empty.body.errors?.[0]?.message]).toEqual([
        authorization,
        401,
        expect.stringMatching(/^an API key is required/),
      ]);
    }
  });

  it('no longer treats local clients as admin once a key exists, and says how to create a key in a command that runs as written', async () => {
    const result = await post(server.url, '{ healthSummary { totalCustomers } }');
    expect(result.status).toBe(401);
    // The first key an admin one (a read key first would lock its creator out of key management), in both spellings.
    expect(result.body.errors?.[0]?.message).toContain('the first key must be an admin key');
    expect(result.body.errors?.[0]?.message).toContain(
      'npm run keys -- create --name admin --scope admin; in the Docker image: keys create --name admin --scope admin',
    );
    // The scope a pipeline sending signals needs, too.
    expect(result.body.errors?.[0]?.message).toContain('`--scope ingest` to send signals');
  });
});

describe('over WebSocket', () => {
  /** What the server answers a connection_init carrying `payload`: 'ack', or the close code and reason. */
  const sent = async (payload: Record<string, unknown>) => {
    const socket = await GraphQLSocket.open(server.wsUrl);
    socket.send({ type: 'connection_init', payload });
    const answer = await socket.acknowledged();
    socket.close();
    return answer;
  };

  it('acknowledges a valid key in connection_init, or one sent as the upgrade Authorization header', async () => {
    const inPayload = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await inPayload.acknowledged()).toBe('ack');
    inPayload.close();
    // The key alone, without `Bearer `, as over HTTP.
    expect(await sent({ authorization: admin.key })).toBe('ack');
    const inHeader = await GraphQLSocket.connect(server.wsUrl, undefined, { authorization: `Bearer ${admin.key}` });
    expect(await inHeader.acknowledged()).toBe('ack');
    inHeader.close();
  });

  it('acknowledges a key in connection_init as an HTTP header would be, in `headers` (as Apollo examples send it)', async () => {
    const wrong = admin.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await sent({ headers: { authorization: `Bearer ${admin.key}` } })).toBe('ack');
    expect(await sent({ headers: { Authorization: `Bearer ${admin.key}` } })).toBe('ack');
    expect(await sent({ headers: { 'content-type': 'application/json', AUTHORIZATION: admin.key } })).toBe('ack');
    expect(await sent({ headers: { authorization: `Bearer ${wrong}` } })).toEqual({ code: 4401, reason: KEY_REFUSED });
    expect(await sent({ headers: 'authorization' })).toEqual({ code: 4401, reason: 'an API key is required' });
  });

  it('closes with 4401 a connection_init carrying two different keys, in whatever order or place, and takes one sent twice', async () => {
    const other = admin.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const ambiguous = { code: 4401, reason: 'two different API keys in connection_init: send one' };
    // Whichever of the two is the valid one, and whichever comes first.
    for (const [first, second] of [
      [other, admin.key],
      [admin.key, other],
    ]) {
      expect(await sent({ Authorization: `Bearer ${first}`, authorization: `Bearer ${second}` })).toEqual(ambiguous);
      expect(await sent({ authorization: `Bearer ${first}`, headers: { Authorization: `Bearer ${second}` } })).toEqual(ambiguous);
      expect(await sent({ headers: { AUTHORIZATION: first, authorization: `Bearer ${second}` } })).toEqual(ambiguous);
    }
    // The same key twice (with and without "Bearer"), or beside an empty value, is no ambiguity.
    expect(await sent({ Authorization: `Bearer ${admin.key}`, authorization: admin.key })).toBe('ack');
    expect(await sent({ authorization: `Bearer ${admin.key}`, headers: { Authorization: `Bearer ${admin.key}` } })).toBe('ack');
    expect(await sent({ Authorization: '', authorization: `Bearer ${admin.key}`, headers: { authorization: ' ' } })).toBe('ack');
  });

  it('closes with 4401 without a key or with a wrong one', async () => {
    for (const key of [undefined, admin.key.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const socket = await GraphQLSocket.connect(server.wsUrl, key);
      expect(await socket.acknowledged()).toEqual({ code: 4401, reason: key ? KEY_REFUSED : 'an API key is required' });
    }
  });
});

describe('revocation', () => {
  it('refuses the key at once on the revoking instance and within seconds on the others, and closes its open sockets there with 4401', async () => {
    const reader = await createKey(server, ['read'], admin.key, 'to revoke');
    // Both instances have accepted the key (and remembered the verification).
    await waitUntil(
      async () => (await post(other.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status === 200,
      5000,
      'the other instance to know the key',
    );
    const onOther = await GraphQLSocket.connect(other.wsUrl, reader.key);
    expect(await onOther.acknowledged()).toBe('ack');
    onOther.subscribe('tiers', 'subscription { healthTierChanged { customerId } }');
    const onThis = await GraphQLSocket.connect(server.wsUrl, reader.key);
    expect(await onThis.acknowledged()).toBe('ack');

    const revokedAt = Date.now();
    const revoked = await post<{ revokeApiKey: { revokedAt: string } }>(
      server.url,
      `mutation { revokeApiKey(id: "${reader.id}") { revokedAt } }`,
      undefined,
      admin.key,
    );
    expect(revoked.body.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status).toBe(401);
    expect(await onThis.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    expect(await onOther.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(REFRESH_MS * 10);
    expect((await post(other.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status).toBe(401);
    const again = await GraphQLSocket.connect(other.wsUrl, reader.key);
    expect((await again.acknowledged()) as unknown).toMatchObject({ code: 4401 });
  });

  it('is idempotent, and NOT_FOUND for an unknown key', async () => {
    const key = await createKey(server, ['read'], admin.key);
    await post(server.url, `mutation { revokeApiKey(id: "${key.id}") { id } }`, undefined, admin.key);
    const twice = await post<{ revokeApiKey: { id: string } }>(
      server.url,
      `mutation { revokeApiKey(id: "hg_${key.id}") { id } }`,
      undefined,
      admin.key,
    );
    expect(twice.body.data?.revokeApiKey.id).toBe(key.id);
    const unknown = await post(server.url, 'mutation { revokeApiKey(id: "nosuchkey0") { id } }', undefined, admin.key);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.body.errors?.[0]?.message).toBe('API key nosuchkey0 does not exist');
    // A secret pasted alone (no underscore, so all of it read as the id) is not repeated.
    const pasted = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AbCdEf';
    const secret = await post(server.url, `mutation { revokeApiKey(id: "${pasted}") { id } }`, undefined, admin.key);
    expect(secret.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', argument: 'id' });
    expect(JSON.stringify(secret.body)).not.toContain(pasted.slice(0, 10));
    // A prefix with no id after it names no key: the input is wrong, not the key missing.
    for (const id of ['hg_', 'hg__', '_']) {
      const empty = await post(server.url, `mutation { revokeApiKey(id: "${id}") { id } }`, undefined, admin.key);
      expect([id, empty.body.errors?.[0]?.extensions?.code, empty.body.errors?.[0]?.extensions?.argument]).toEqual([
        id,
        'BAD_USER_INPUT',
        'id',
      ]);
    }
  });

  it('is revoked by the whole key too (what an operator holding a leaked key has), which no answer repeats', async () => {
    const leaked = await createKey(server, ['read'], admin.key, 'leaked');
    const secret = leaked.key.slice(`hg_${leaked.id}_`.length);
    const revoked = await post<{ revokeApiKey: { id: string; revokedAt: string } }>(
      server.url,
      'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }',
      { id: leaked.key },
      admin.key,
    );
    expect(revoked.body.data?.revokeApiKey).toEqual({ id: leaked.id, revokedAt: expect.any(String) });
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, leaked.key)).status).toBe(401);
    // A key that is not one (its secret cut short, another id) is not found, and its secret not repeated.
    const unknown = await post(
      server.url,
      'mutation($id: ID!) { revokeApiKey(id: $id) { id } }',
      { id: `hg_nosuchkey0_${secret.slice(0, 20)}` },
      admin.key,
    );
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(unknown.body)).not.toContain(secret.slice(0, 20));
    const audit = await sql<{ target: string; details: unknown }>(
      server.database,
      "select target, details from audit_log where action = 'apiKey.revoke' and target = $1",
      [leaked.id],
    );
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('changes nothing more once revoked, even later in the operation that revoked it', async () => {
    const doomed = await createKey(server, ['admin'], admin.key, 'doomed');
    const result = await post(
      server.url,
      `mutation {
        revoke: revokeApiKey(id: "${doomed.id}") { revokedAt }
        contact: setCsmContact(input: { owner: "doomed-owner", email: "doomed@example.com" }) { owner }
        spawn: createApiKey(input: { name: "successor", scopes: [ADMIN] }) { key }
      }`,
      undefined,
      doomed.key,
    );
    expect(result.body.errors?.map((error) => [error.path?.[0], error.extensions?.code])).toEqual([
      ['contact', 'UNAUTHENTICATED'],
      ['spawn', 'UNAUTHENTICATED'],
    ]);
    const revoked = await sql<{ revoked_at: Date | null }>(server.database, 'select revoked_at from api_key where id = $1', [doomed.id]);
    expect(revoked[0].revoked_at).not.toBeNull();
    expect(await sql(server.database, "select id from api_key where name = 'successor'")).toHaveLength(0);
    expect(await sql(server.database, "select owner from csm_contact where owner = 'doomed-owner'")).toHaveLength(0);
  });

  it('stops a bulk import streaming with the key: what it sent after the revocation is not stored', async () => {
    const pipeline = await createKey(server, ['ingest'], admin.key, 'leaked pipeline');
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_leak", name: "Leak" }) { id } }', undefined, admin.key);
    // Verified once (scrypt), so the import below is admitted at once, before the revocation.
    expect((await post(server.url, '{ __typename }', undefined, pipeline.key)).status).toBe(200);
    const line = (kind: string, i: number) =>
      `${JSON.stringify({ customerId: 'cust_leak', eventType: kind, idempotencyKey: `${kind}-${i}` })}\n`;
    const lines = (kind: string) => Array.from({ length: 20 }, (_, i) => line(kind, i)).join('');
    const request = http.request(server.url.replace(/\/graphql$/, '/ingest/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...bearer(pipeline.key) },
    });
    const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) }));
      });
      request.on('error', reject);
    });
    request.write(lines('before'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await post(server.url, `mutation { revokeApiKey(id: "${pipeline.id}") { revokedAt } }`, undefined, admin.key);
    // The upload goes on, as a leaked key's would; it never ends.
    request.write(lines('after'));
    const { status, headers, body } = await answer;
    request.destroy();
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe('Bearer');
    expect(body).toMatchObject({ accepted: 20, stoppedAfterLine: 20 });
    expect(body.message).toContain('lines after 20 were not read');
    const stored = await sql<{ event_type: string; count: number }>(
      server.database,
      `select event_type, count(*)::int as count from engagement_event where customer_id = 'cust_leak' group by 1`,
    );
    expect(stored).toEqual([{ event_type: 'before', count: 20 }]);
  });
});

/** Runs `npm run keys -- …`'s script against the test database, as an operator would. */
function keysCommand(args: string[]): Promise<{ code: number | null; output: string }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/keys.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: server.database.url, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('npm run keys', () => {
  it('creates a key the running servers accept within seconds, lists it, and revokes it (closing its sockets)', async () => {
    const created = await keysCommand(['create', '--name', 'ci', '--scope', 'ingest,read']);
    expect(created.code).toBe(0);
    const key = /\s(hg_[a-z2-9]{10}_[A-Za-z0-9_-]{43})\s/.exec(created.output)?.[1];
    expect(key).toBeDefined();
    const id = key!.split('_')[1];
    await waitUntil(
      async () => (await post(other.url, '{ healthSummary { totalCustomers } }', undefined, key)).status === 200,
      5000,
      'the servers to accept the new key',
    );

    const listed = await keysCommand(['list']);
    expect(listed.code).toBe(0);
    expect(listed.output).toMatch(new RegExp(`${id}\\s+ci\\s+read,ingest`));
    expect(listed.output).not.toContain(key);

    const socket = await GraphQLSocket.connect(other.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    socket.subscribe('s', 'subscription { healthScoreUpdated { score } }');
    const revoked = await keysCommand(['revoke', id]);
    expect(revoked.code).toBe(0);
    expect(await socket.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    const audit = await sql<{ actor: string; action: string; target: string }>(
      server.database,
      "select actor, action, target from audit_log where actor = 'cli' order by id",
    );
    expect(audit).toEqual([
      { actor: 'cli', action: 'apiKey.create', target: id },
      { actor: 'cli', action: 'apiKey.revoke', target: id },
    ]);
  }, 60_000);

  it('refuses an unknown scope, and an unknown command in one line (exit code 2) that points to --help', async () => {
    expect((await keysCommand(['create', '--name', 'x', '--scope', 'root'])).output).toMatch(/unknown scope "root"/);
    const usage = await keysCommand(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.output).toMatch(/unknown command "frobnicate": the commands are create, list and revoke \(npm run keys -- --help/);
    expect((await keysCommand(['--help'])).output).toMatch(/Usage: npm run keys/);
  }, 60_000);
});
