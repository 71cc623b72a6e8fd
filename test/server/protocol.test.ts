// GraphQL over HTTP and graphql-ws as clients use them: what a request gets back when the client
// errs (a code for every error, never a masked internal one), and the protocol details clients
// depend on (GET queries with a key, CORS on every answer, the idle timeout).
import WebSocket from 'ws';
import { createKey, GraphQLSocket, post, socketErrorCodes } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

const DASHBOARD = 'https://dash.example.com';
let server: TestServer;
let read: { key: string; id: string };
let admin: { key: string; id: string };

beforeAll(async () => {
  server = await startTestServer({ label: 'protocol', env: { CORS_ORIGINS: DASHBOARD, WS_IDLE_TIMEOUT_MS: '1500' } });
  admin = await createKey(server, ['admin']);
  read = await createKey(server, ['read'], admin.key);
});
afterAll(() => server?.stop());

async function socket(): Promise<GraphQLSocket> {
  const connected = await GraphQLSocket.connect(server.wsUrl, read.key);
  expect(await connected.acknowledged()).toBe('ack');
  return connected;
}

describe('over HTTP', () => {
  it('answers a GET query carrying a key: a browser preflights it, so it is no cross-site forgery', async () => {
    const url = `${server.url}?query=${encodeURIComponent('{ customers(first: 1) { totalCount } }')}`;
    const withKey = await fetch(url, { headers: { authorization: `Bearer ${read.key}` } });
    expect(withKey.status).toBe(200);
    expect(await withKey.json()).toEqual({ data: { customers: { totalCount: 0 } } });
    // Without a key, nothing is answered (and a key-less local admin's GET needs Apollo's preflight header).
    expect((await fetch(url)).status).toBe(401);
  });

  it('refuses a subscription sent over HTTP, naming the WebSocket it belongs on', async () => {
    const result = await post(server.url, 'subscription { healthTierChanged { customerId } }', undefined, read.key);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    expect(result.body.errors?.[0].message).toMatch(/WebSocket/);
    // With @skip/@include on its root field too, which graphql-js 16 throws on in validation.
    const conditional = await post(
      server.url,
      'subscription ($on: Boolean!) { healthTierChanged @include(if: $on) { customerId } }',
      { on: true },
      read.key,
    );
    expect([conditional.status, conditional.body.errors?.[0].extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    const skipped = await post(server.url, 'subscription { healthTierChanged @skip(if: true) { customerId } }', undefined, read.key);
    expect([skipped.status, skipped.body.errors?.[0].extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    // Over GET too.
    const url = `${server.url}?query=${encodeURIComponent('subscription { healthTierChanged { customerId } }')}`;
    const got = await fetch(url, { headers: { authorization: `Bearer ${read.key}`, 'apollo-require-preflight': 'true' } });
    expect([got.status, ((await got.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code]).toEqual([
      400,
      'BAD_REQUEST',
    ]);
  });

  it('answers a persisted-query mistake as the client’s: BAD_REQUEST, not an internal error', async () => {
    for (const persistedQuery of [
      { version: 1, sha256Hash: 'deadbeef' },
      { version: 2, sha256Hash: 'deadbeef' },
    ]) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${read.key}` },
        body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }', extensions: { persistedQuery } }),
      });
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(response.status).toBe(400);
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });

  it.each([
    // Once parsed, by the JSON scalar.
    [100, /^.*JSON value nested deeper than 64 levels/],
    // Before the body is parsed, the body as a whole (written out by hand: serialising it would exhaust this process's own stack).
    [5000, /^request JSON nested deeper than 128 levels$/],
  ])('refuses a JSON argument nested %i levels deep, deeper than any model, as bad input', async (depth, message) => {
    const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.key}` },
      body: `{"query":"query ($j: JSON!) { previewScoringModel(config: $j) { changed } }","variables":{"j":${deep}}}`,
    });
    const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(message);
  });

  it('gives an allowed origin its CORS headers on refusals too, and lets it read the headers it needs', async () => {
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: DASHBOARD },
      body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(refused.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    const csv = await fetch(`${new URL(server.url).origin}/export/worklist.csv`, {
      headers: { origin: DASHBOARD, authorization: `Bearer ${read.key}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
  });

  it('answers its own refusals in the media type the client asked for, as Apollo answers the others', async () => {
    const refusals: Array<[string, RequestInit]> = [
      ['no key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }],
      ['a text body', { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${read.key}` }, body: '{}' }],
      [
        'a subscription',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${read.key}` },
          body: JSON.stringify({ query: 'subscription { outreachLogged { customerId } }' }),
        },
      ],
      [
        'too many tokens',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${read.key}` },
          body: JSON.stringify({ query: `{ ${'__typename '.repeat(6000)}}` }),
        },
      ],
      ['a PUT', { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${read.key}` }, body: '{}' }],
    ];
    for (const [what, init] of refusals) {
      for (const [accept, type] of [
        ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
        ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json; charset=utf-8'],
        ['application/json', 'application/json; charset=utf-8'],
      ]) {
        const response = await fetch(server.url, { ...init, headers: { ...(init.headers as Record<string, string>), accept } });
        expect([what, accept, response.headers.get('content-type')]).toEqual([what, accept, type]);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBeDefined();
      }
    }
  });

  it('refuses an Accept that takes no JSON with 406 before anything runs: the mutation writes nothing', async () => {
    const contacts = async (): Promise<number> => {
      const result = await post<{ csmContacts: { totalCount: number }; auditLog: { totalCount: number } }>(
        server.url,
        '{ csmContacts { totalCount } auditLog(action: "csmContact.set") { totalCount } }',
        undefined,
        admin.key,
      );
      expect(result.body.data?.auditLog.totalCount).toBe(result.body.data?.csmContacts.totalCount);
      return result.body.data!.csmContacts.totalCount;
    };
    const before = await contacts();
    for (const accept of ['text/plain', 'text/*', 'application/json; charset=latin1', 'application/json; q=0', 'text/html']) {
      const refused = await post(
        server.url,
        `mutation { setCsmContact(input: { owner: "probe406", email: "p406@example.com" }) { owner } }`,
        undefined,
        admin.key,
        { accept },
      );
      expect([accept, refused.status, refused.headers.get('content-type'), refused.body.errors?.[0].extensions?.code]).toEqual([
        accept,
        406,
        'application/json; charset=utf-8',
        'BAD_REQUEST',
      ]);
    }
    expect(await contacts()).toBe(before);
    // Over GET too, before the query runs.
    const url = `${server.url}?query=${encodeURIComponent('{ customers(first: 1) { totalCount } }')}`;
    expect((await fetch(url, { headers: { authorization: `Bearer ${read.key}`, accept: 'text/plain' } })).status).toBe(406);
  });

  it('reads every name of UTF-8 in an Accept charset, as in a Content-Type', async () => {
    for (const [accept, type] of [
      ['application/json; charset=utf8', 'application/json; charset=utf-8'],
      ['application/json; charset="UTF8"', 'application/json; charset=utf-8'],
      ['application/graphql-response+json; charset=utf8', 'application/graphql-response+json; charset=utf-8'],
    ]) {
      const answered = await post(server.url, '{ customers(first: 1) { totalCount } }', undefined, read.key, { accept });
      expect([accept, answered.status, answered.headers.get('content-type'), answered.body.data]).toEqual([
        accept,
        200,
        type,
        { customers: { totalCount: 0 } },
      ]);
    }
  });

  it('gives an allowed origin its CORS headers on every answer, and refuses another origin on the routes that take a key only', async () => {
    const origin = new URL(server.url).origin;
    for (const path of ['/healthz', '/readyz', '/nope', '/graphql/ruru-static/nope.js']) {
      const allowed = await fetch(`${origin}${path}`, { headers: { origin: DASHBOARD } });
      expect([path, allowed.headers.get('access-control-allow-origin'), allowed.headers.get('vary')]).toEqual([path, DASHBOARD, 'Origin']);
      // No key guards them, and without CORS headers another site's page cannot read what they answer.
      const foreign = await fetch(`${origin}${path}`, { headers: { origin: 'https://evil.example' } });
      expect([path, foreign.status === 403, foreign.headers.get('access-control-allow-origin')]).toEqual([path, false, null]);
    }
    for (const [path, method] of [
      ['/graphql', 'POST'],
      ['/export/worklist.csv', 'GET'],
      ['/ingest/events', 'POST'],
    ]) {
      const foreign = await fetch(`${origin}${path}`, {
        method,
        headers: { origin: 'https://evil.example', authorization: `Bearer ${admin.key}` },
      });
      expect([path, foreign.status]).toEqual([path, 403]);
    }
  });

  it('lets an allowed origin send the headers its client adds (client names, tracing), with the methods each path answers', async () => {
    const origin = new URL(server.url).origin;
    const preflight = (path: string, method: string, headers: string) =>
      fetch(`${origin}${path}`, {
        method: 'OPTIONS',
        headers: { origin: DASHBOARD, 'access-control-request-method': method, 'access-control-request-headers': headers },
      });
    // Apollo Client names itself; Sentry and OpenTelemetry add trace headers to every fetch.
    const graphql = await preflight(
      '/graphql',
      'POST',
      'content-type,apollographql-client-name,apollographql-client-version,sentry-trace,baggage,traceparent',
    );
    expect(graphql.status).toBe(204);
    const allowedHeaders = (graphql.headers.get('access-control-allow-headers') ?? '').split(/\s*,\s*/);
    expect(allowedHeaders).toEqual(
      expect.arrayContaining([
        'authorization',
        'content-type',
        'apollographql-client-name',
        'apollographql-client-version',
        'sentry-trace',
        'baggage',
        'traceparent',
      ]),
    );
    expect(graphql.headers.get('vary')).toMatch(/access-control-request-headers/i);
    expect(graphql.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    const csv = await preflight('/export/worklist.csv', 'GET', 'authorization');
    expect([csv.headers.get('access-control-allow-methods'), csv.headers.get('allow')]).toEqual([
      'GET, HEAD, OPTIONS',
      'GET, HEAD, OPTIONS',
    ]);
    const ingest = await preflight('/ingest/events', 'POST', 'authorization,content-type,content-encoding');
    expect([ingest.headers.get('access-control-allow-methods'), ingest.headers.get('allow')]).toEqual(['POST, OPTIONS', 'POST, OPTIONS']);
    // A request header list that is not one (no header can be named so) is not echoed back.
    const odd = await preflight('/graphql', 'POST', 'content-type, x bad');
    expect(odd.headers.get('access-control-allow-headers')).not.toMatch(/x bad/);
  });
});

/** A refused upgrade's status, content type and body, or 101 with the subprotocol chosen when the socket opens. */
function upgrade(
  path: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.wsUrl.replace(/\/graphql$/, '')}${path}`, protocols, { headers });
    socket.once('open', () => {
      resolve({ status: 101, body: socket.protocol });
      socket.close();
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    });
    socket.once('error', reject);
  });
}

describe('a WebSocket upgrade', () => {
  it('is refused before the handshake when the client speaks only a subprotocol this server does not (subscriptions-transport-ws)', async () => {
    const legacy = await upgrade('/graphql', ['graphql-ws']);
    expect(legacy.status).toBe(400);
    expect(legacy.type).toMatch(/^application\/json/);
    const refusal = JSON.parse(legacy.body) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(refusal.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(refusal.errors[0].message).toMatch(/graphql-transport-ws/);
    expect((await upgrade('/graphql', ['foo', 'bar'])).status).toBe(400);
    // A client offering both gets the one spoken here.
    expect(await upgrade('/graphql', ['graphql-ws', 'graphql-transport-ws'])).toEqual({ status: 101, body: 'graphql-transport-ws' });
  });

  it('is refused with a GraphQL error and its code, like any HTTP refusal', async () => {
    const elsewhere = await upgrade('/nope', ['graphql-transport-ws']);
    expect([elsewhere.status, elsewhere.type]).toEqual([404, 'application/json; charset=utf-8']);
    expect((JSON.parse(elsewhere.body) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('NOT_FOUND');
    const foreign = await upgrade('/graphql', ['graphql-transport-ws'], { origin: 'https://evil.example' });
    expect([foreign.status, foreign.type]).toEqual([403, 'application/json; charset=utf-8']);
    expect((JSON.parse(foreign.body) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('over WebSocket', () => {
  it('gives every refused operation a code: a syntax error, a validation error, no operation to run', async () => {
    const ws = await socket();
    expect(socketErrorCodes(await ws.run('1', 'subscription {'))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(socketErrorCodes(await ws.run('2', 'subscription { nope }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(socketErrorCodes(await ws.run('3', 'query A { viewer { keyName } } query B { viewer { keyName } }'))).toEqual([
      'OPERATION_RESOLUTION_FAILURE',
    ]);
    ws.close();
  });

  it('answers a variable of the wrong type as bad input, as over HTTP', async () => {
    const ws = await socket();
    const query = await ws.run('1', 'query ($f: Int) { customers(first: $f) { totalCount } }', { f: 'abc' });
    expect(socketErrorCodes(query)).toEqual(['BAD_USER_INPUT']);
    const subscription = await ws.run('2', 'subscription ($d: TierDirection) { healthTierChanged(direction: $d) { customerId } }', {
      d: 'SIDEWAYS',
    });
    expect(socketErrorCodes(subscription)).toEqual(['BAD_USER_INPUT']);
    ws.close();
  });

  it('refuses an ID variable sent as a number past 2^53, as over HTTP, and writes nothing', async () => {
    const ws = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await ws.acknowledged()).toBe('ack');
    const upsert = await ws.run('1', 'mutation ($i: CustomerInput!) { upsertCustomer(input: $i) { id } }', {
      i: { id: 2 ** 64, name: 'Big Co' },
    });
    expect(socketErrorCodes(upsert)).toEqual(['BAD_USER_INPUT']);
    const found = await ws.run('2', 'query { customers { totalCount } }');
    expect(found.payload).toEqual({ data: { customers: { totalCount: 0 } } });
    const subscription = await ws.run('3', 'subscription ($c: ID) { healthScoreUpdated(customerId: $c) { score } }', { c: 2 ** 60 });
    expect(socketErrorCodes(subscription)).toEqual(['BAD_USER_INPUT']);
    ws.close();
  });

  it('refuses a defaulted variable sent as null where a value is required, as over HTTP', async () => {
    const ws = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await ws.acknowledged()).toBe('ack');
    const query = await ws.run('1', 'query ($id: ID = "cust_any") { customer(id: $id) { id } }', { id: null });
    expect(socketErrorCodes(query)).toEqual(['BAD_USER_INPUT']);
    const subscription = await ws.run('2', 'subscription ($t: String = "critical") { healthTierChanged(tiers: [$t]) { customerId } }', {
      t: null,
    });
    expect(socketErrorCodes(subscription)).toEqual(['BAD_USER_INPUT']);
    ws.close();
  });

  it('refuses a subscription to more than 100 tiers, repeated ones counted', async () => {
    const ws = await socket();
    const result = await ws.run('1', 'subscription ($t: [String!]) { healthTierChanged(tiers: $t) { customerId } }', {
      t: Array.from({ length: 101 }, () => 'critical'),
    });
    expect(socketErrorCodes(result)).toEqual(['BAD_USER_INPUT']);
    ws.close();
  });

  it("refuses @skip and @include on a subscription's root field at validation, and the socket's other operations go on", async () => {
    const ws = await socket();
    ws.subscribe('open', 'subscription { healthTierChanged { customerId } }');
    const refused = [
      ['subscription { healthTierChanged @skip(if: true) { customerId } }', undefined],
      ['subscription ($on: Boolean!) { healthTierChanged @include(if: $on) { customerId } }', { on: true }],
      ['subscription { ...Root } fragment Root on Subscription { healthScoreUpdated @skip(if: false) { score } }', undefined],
      ['subscription { ... @include(if: true) { outreachLogged { id } } }', undefined],
    ] as const;
    for (const [index, [query, variables]] of refused.entries()) {
      const result = await ws.run(`r${index}`, query, variables);
      expect({ query, codes: socketErrorCodes(result), message: (result.payload as Array<{ message: string }>)[0].message }).toEqual({
        query,
        codes: ['GRAPHQL_VALIDATION_FAILED'],
        message: expect.stringMatching(/must not use @skip or @include/),
      });
    }
    // GraphQL's own rule still holds beside this one: a subscription has one root field.
    const twoRoots = await ws.run('two', 'subscription { healthTierChanged { customerId } outreachLogged { id } }');
    expect({ codes: socketErrorCodes(twoRoots), message: (twoRoots.payload as Array<{ message: string }>)[0].message }).toEqual({
      codes: ['GRAPHQL_VALIDATION_FAILED'],
      message: expect.stringMatching(/must select only one top level field/),
    });
    // The connection and the subscription opened first are still there: a query on it is answered.
    const answered = await ws.run('query', '{ customers(first: 1) { totalCount } }');
    expect(answered.type).toBe('next');
    expect(ws.messages.some((message) => message.id === 'open')).toBe(false);
    ws.close();
  });

  it.each([
    ['next', { id: 'x', type: 'next', payload: {} }],
    ['connection_ack', { type: 'connection_ack' }],
    ['error', { id: 'x', type: 'error', payload: [] }],
  ])('closes 4400 on a message only a server sends (%s): the client broke the protocol, not the server', async (_type, message) => {
    const ws = await socket();
    ws.send(message);
    expect(await ws.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it('counts the idle time from when the last operation ended', async () => {
    const ws = await socket();
    ws.subscribe('1', 'subscription { healthTierChanged { customerId } }');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    ws.send({ id: '1', type: 'complete' });
    const completedAt = Date.now();
    const closed = await ws.closed;
    expect(closed).toEqual({ code: 1000, reason: 'idle: no operation' });
    expect(Date.now() - completedAt).toBeGreaterThanOrEqual(1400);
  });
});

describe('a POST body', () => {
  const send = (headers: Record<string, string>) =>
    fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${read.key}`, ...headers },
      body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }),
    });

  it('is JSON in UTF-8, uncompressed: another media type, charset or encoding is 415', async () => {
    expect((await send({ 'content-type': 'application/json' })).status).toBe(200);
    expect((await send({ 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    // Every name the Encoding standard gives UTF-8 (`utf8` is what several HTTP libraries write).
    expect((await send({ 'content-type': 'application/json; charset=utf8' })).status).toBe(200);
    expect((await send({ 'content-type': 'application/json; charset="UTF8"' })).status).toBe(200);
    expect((await send({ 'content-type': 'application/json; charset=unicode-1-1-utf-8' })).status).toBe(200);
    const refusedHeaders: Array<Record<string, string>> = [
      { 'content-type': 'application/xml' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/graphql' },
      { 'content-type': 'application/json; charset=latin1' },
      { 'content-type': 'application/json; charset=utf-16' },
      { 'content-type': 'application/json; charset=no-such-charset' },
      { 'content-type': 'application/json', 'content-encoding': 'zstd' },
    ];
    for (const headers of refusedHeaders) {
      const refused = await send(headers);
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
        'UNSUPPORTED_MEDIA_TYPE',
      );
    }
  });
});
