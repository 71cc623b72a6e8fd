// The server exposed to a network, attacked as an outside client would: raw TCP connections held
// open, a download never read, operations sent over WebSocket to get around the HTTP body budget,
// and request encodings at the edge. Each must be bounded or refused with a GraphQL error.
import net from 'node:net';
import { sql } from '../helpers/database';
import { statementsDuring } from '../helpers/statements';
import { GraphQLSocket, socketErrorCodes, waitUntil } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';
import { expectNoInternals } from './support';

const MAX_CONNECTIONS = 12;
const MAX_CONNECTIONS_PER_ADDRESS = 8;
const SEND_TIMEOUT_MS = 1500;
const MAX_BODY_BYTES = 64 * 1024;

let server: TestServer;
const origin = () => server.url.replace(/\/graphql$/, '');
const port = () => Number(new URL(server.url).port);

/** A TCP connection to the server that has sent nothing (or what the test writes), with what it received. */
function openConnection(host = '127.0.0.1', to = port()): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port: to, host });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('utf8'), closed }));
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  server = await startTestServer({
    label: 'network_exposure',
    env: {
      MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      MAX_CONNECTIONS_PER_ADDRESS: String(MAX_CONNECTIONS_PER_ADDRESS),
      SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      WS_MAX_MESSAGE_BYTES: String(MAX_BODY_BYTES),
      STATEMENTS_PER_KEY: '1',
      RESCORE_DEBOUNCE_MS: '0',
    },
  });
  // A customer list far larger than what a socket's buffers hold: a client that reads none of it
  // leaves most of it with the server. Names at their 500-character limit make it tens of megabytes.
  await sql(
    server.database,
    `insert into customer (id, name, csm_owner, arr_cents, tier, lifecycle_stage, health_score)
     select 'cust_net_' || lpad(i::text, 6, '0'), 'Customer ' || i || ' ' || repeat('n', 480), 'Kate', 1000, 'healthy', 'ACTIVE', 90
     from generate_series(1, 40000) as i`,
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('connections held open', () => {
  it('answers a connection past the per-address cap 503 with a GraphQL error, and serves again once they close', async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_ADDRESS }, () => openConnection()));
    // Slowloris: each sends the start of a request, a byte at a time, and never finishes it.
    for (const { socket } of held) socket.write('P');
    const refused = await fetch(`${origin()}/healthz`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    const body = (await refused.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.errors[0].message).toMatch(/connections/);
    for (const { socket } of held) socket.destroy();
    await waitUntil(async () => (await fetch(`${origin()}/healthz`)).status === 200, 5000, 'a connection admitted again');
  });

  it('caps the connections of the instance over every address', async () => {
    // A second instance on the same data whose cap for the instance is below the one per address.
    const small = await startTestServer({ database: server.database, env: { MAX_CONNECTIONS: '4', MAX_CONNECTIONS_PER_ADDRESS: '100' } });
    try {
      const smallPort = Number(new URL(small.url).port);
      const held = await Promise.all(Array.from({ length: 4 }, () => openConnection('127.0.0.1', smallPort)));
      const refused = await fetch(small.url.replace(/\/graphql$/, '/healthz'));
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
        'SERVICE_UNAVAILABLE',
      );
      for (const { socket } of held) socket.destroy();
      await waitUntil(async () => (await fetch(small.url.replace(/\/graphql$/, '/healthz'))).status === 200, 5000, 'a connection admitted');
    } finally {
      await small.stop();
    }
  });
});

describe('WebSockets waiting to authenticate', () => {
  it('counts the addresses of one IPv6 /64 as one address', async () => {
    // Behind a trusted proxy, so that the test can be clients of many IPv6 addresses.
    const proxied = await startTestServer({
      database: server.database,
      env: { TRUST_PROXY: '127.0.0.1', WS_MAX_PENDING_PER_ADDRESS: '2' },
    });
    const open: GraphQLSocket[] = [];
    try {
      for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2']) {
        open.push(await GraphQLSocket.open(proxied.wsUrl, { 'x-forwarded-for': address }));
      }
      await expect(GraphQLSocket.open(proxied.wsUrl, { 'x-forwarded-for': '2001:db8:1:2::3' })).rejects.toMatchObject({ status: 429 });
      // Another /64 is another client.
      open.push(await GraphQLSocket.open(proxied.wsUrl, { 'x-forwarded-for': '2001:db8:1:3::1' }));
    } finally {
      for (const socket of open) socket.close();
      await proxied.stop();
    }
  });
});

describe('the readiness probe', () => {
  it('checks the database at most once a second however many probes come: an unauthenticated flood takes no more of the pool', async () => {
    const probed = await startTestServer({ database: server.database });
    try {
      const readyz = probed.url.replace(/\/graphql$/, '/readyz');
      let answers: Array<{ status: string }> = [];
      const sent = await statementsDuring(probed.app.orm, async () => {
        answers = await Promise.all(Array.from({ length: 40 }, async () => (await fetch(readyz)).json() as Promise<{ status: string }>));
      });
      expect(answers.every((answer) => answer.status === 'ready')).toBe(true);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.length).toBeLessThanOrEqual(3);
    } finally {
      await probed.stop();
    }
  });
});

describe('a download its client never reads', () => {
  it('is abandoned, its connection closed, once nothing of it has been taken for SEND_TIMEOUT_MS', async () => {
    const { socket, received, closed } = await openConnection();
    socket.write(`GET /export/customers.csv HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    // The client takes the first bytes, then stops reading: the server's writes back up.
    await waitUntil(() => received().length > 0, 10_000, 'the start of the download');
    socket.pause();
    // Long enough for the server to fill the socket's buffers (a busy machine pages the export slowly), then time out.
    await new Promise((resolve) => setTimeout(resolve, SEND_TIMEOUT_MS * 5));
    socket.resume();
    // Still open, the connection would now deliver the whole export and its last chunk.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    expect(socket.destroyed).toBe(true);
    const answer = received();
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
    // Chunked, a complete answer ends with its last (empty) chunk.
    expect(answer.endsWith('\r\n0\r\n\r\n')).toBe(false);
  }, 60_000);
});

describe('GraphQL over WebSocket', () => {
  it("holds a key's operations to the same body budget as its HTTP bodies", async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl);
    expect(await socket.acknowledged()).toBe('ack');
    // Each just under the largest body; two such bodies are what one key may hold at once.
    const padding = 'x'.repeat(MAX_BODY_BYTES - 1024);
    const ids = Array.from({ length: 12 }, (_, i) => `op${i}`);
    for (const id of ids) {
      socket.send({ id, type: 'subscribe', payload: { query: '{ customers(first: 1) { totalCount } }', extensions: { padding } } });
    }
    const results = await Promise.all(
      ids.map((id) => socket.waitFor((m) => m.id === id && (m.type === 'next' || m.type === 'error'), 30_000)),
    );
    const codes = results.flatMap((result) => socketErrorCodes({ type: result.type, payload: result.payload }));
    expect(codes).toContain('RATE_LIMITED');
    const refusal = results
      .flatMap((result) => (result.type === 'error' ? (result.payload as Array<{ extensions: Record<string, unknown> }>) : []))
      .find((error) => error.extensions.code === 'RATE_LIMITED');
    expect(refusal?.extensions.maxBytesInFlight).toBe(2 * MAX_BODY_BYTES);
    // The ones admitted ran; once answered, nothing of them is held.
    expect(results.some((result) => result.type === 'next')).toBe(true);
    await waitUntil(() => server.app.services.requestBodies.heldBy('loopback') === 0, 5000, 'the budget given back');
    socket.close();
  }, 60_000);
});

describe('JSON nested deeper than a request needs', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  /** A body for `{ __typename }` whose unused variable `zz` nests so that the whole body is `depth` deep. */
  const bodyOfDepth = (depth: number) => `{"query":"{ __typename }","variables":{"zz":${nested(depth - 2)}}}`;
  const postBody = async (body: string) => {
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return {
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions: Record<string, unknown> }> },
    };
  };

  it('refuses a body nested past 128 levels (400 BAD_USER_INPUT) before parsing it, and answers one at 128', async () => {
    let refused: Awaited<ReturnType<typeof postBody>> | undefined;
    expect(await statementsDuring(server.app.orm, async () => (refused = await postBody(bodyOfDepth(5000))))).toEqual([]);
    expect(refused?.status).toBe(400);
    expect(refused?.body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', maxDepth: 128 });
    expect(await postBody(bodyOfDepth(129))).toMatchObject({ status: 400 });
    expect(await postBody(bodyOfDepth(128))).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    // Brackets in a string are no nesting, escaped quotes included.
    const text = `\\"${'['.repeat(1000)}\\"`;
    expect(await postBody(`{"query":"{ __typename }","variables":{"zz":"${text}"}}`)).toEqual({
      status: 200,
      body: { data: { __typename: 'Query' } },
    });
  });

  it('refuses a GET whose variables or extensions nest past 128 levels', async () => {
    for (const parameter of ['variables', 'extensions']) {
      const url = `${server.url}?query=${encodeURIComponent('{ __typename }')}&${parameter}=${encodeURIComponent(`{"zz":${nested(1000)}}`)}`;
      const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
        code: 'BAD_USER_INPUT',
        maxDepth: 128,
      });
    }
  });

  it('closes a WebSocket (4400) whose subscribe message nests thousands of levels deep, before parsing it, where it was a 4500', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl);
    expect(await socket.acknowledged()).toBe('ack');
    socket.socket.send(`{"type":"subscribe","id":"deep","payload":{"query":"{ __typename }","variables":{"zz":${nested(5000)}}}}`);
    expect(await socket.closed).toEqual({ code: 4400, reason: 'request JSON nested deeper than 128 levels' });
    // Another socket, with a message of ordinary nesting, is served.
    const other = await GraphQLSocket.connect(server.wsUrl);
    expect(await other.acknowledged()).toBe('ack');
    expect(await other.run('flat', '{ __typename }', { zz: JSON.parse(nested(100)) as unknown })).toEqual({
      type: 'next',
      payload: { data: { __typename: 'Query' } },
    });
    other.close();
  });

  it('closes a socket whose first message nests past 128 levels, before it is acknowledged', async () => {
    const socket = await GraphQLSocket.open(server.wsUrl);
    socket.socket.send(`{"type":"connection_init","payload":{"zz":${nested(1000)}}}`);
    expect(await socket.closed).toEqual({ code: 4400, reason: 'request JSON nested deeper than 128 levels' });
  });
});

describe('a body announced with Expect: 100-continue', () => {
  const post = (length: number) =>
    `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\nexpect: 100-continue\r\n\r\n`;

  it('is refused before the client sends it when its headers already say no (413), without a 100 Continue', async () => {
    const { socket, received } = await openConnection();
    socket.write(post(MAX_BODY_BYTES + 1));
    await waitUntil(() => received().includes('\r\n\r\n'), 5000, 'an answer');
    expect(received()).toMatch(/^HTTP\/1\.1 413/);
    socket.destroy();
  });

  it('is asked for (100 Continue) once the request is admitted, and answered', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const { socket, received } = await openConnection();
    socket.write(post(Buffer.byteLength(body)));
    await waitUntil(() => received().startsWith('HTTP/1.1 100'), 5000, '100 Continue');
    socket.write(body);
    await waitUntil(() => received().includes('{"data":{"__typename":"Query"}}'), 5000, 'the answer');
    socket.destroy();
  });

  it('is asked for by a bulk import too (curl sends Expect for large uploads)', async () => {
    const line = '{}\n';
    const { socket, received } = await openConnection();
    socket.write(
      `POST /ingest/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-ndjson\r\ncontent-length: ${line.length}\r\nexpect: 100-continue\r\n\r\n`,
    );
    await waitUntil(() => received().startsWith('HTTP/1.1 100'), 5000, '100 Continue');
    socket.write(line);
    await waitUntil(() => received().includes('"lines":1'), 10_000, 'the import answer');
    socket.destroy();
  });
});

describe('request encodings', () => {
  it('accepts a JSON body that starts with a byte order mark', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ query: '{ __typename }' }))]),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it.each([
    ['the query', `query=%FF`],
    [
      'a variable',
      `query=${encodeURIComponent('query ($s: String) { customers(first: 1, search: $s) { totalCount } }')}&variables=${encodeURIComponent('{"s":"')}%C3%28${encodeURIComponent('"}')}`,
    ],
    ['the operation name', `query=${encodeURIComponent('query A { __typename }')}&operationName=A%FF`],
  ])('refuses a GET whose %s is not UTF-8 once percent-decoded: 400 BAD_REQUEST', async (_what, search) => {
    const response = await fetch(`${server.url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
    const text = await response.text();
    expect(response.status).toBe(400);
    const body = JSON.parse(text) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/UTF-8/);
    expectNoInternals(text);
  });
});

/** Sends `request` as written on a new connection and reads the answer until the server closes it. */
async function exchange(request: string): Promise<{ status: number; headers: string; body: string }> {
  const { socket, received, closed } = await openConnection();
  socket.write(request);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
  clearTimeout(timer);
  socket.destroy();
  const text = received();
  const split = text.indexOf('\r\n\r\n');
  const headers = text.slice(0, split).toLowerCase();
  let body = text.slice(split + 4);
  if (/transfer-encoding: chunked/.test(headers)) {
    let decoded = '';
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.slice(at, lineEnd), 16);
      if (!(size > 0)) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    body = decoded;
  }
  return { status: Number(text.slice(9, 12)), headers, body };
}

const UPGRADE = 'connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-protocol: graphql-transport-ws\r\n';
const KEY = 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

describe('refusals at the edge', () => {
  it.each([
    [
      'an Expect the server does not meet',
      417,
      'POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nexpect: 200-ok\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}',
    ],
    [
      'a WebSocket upgrade without a valid key',
      400,
      `GET /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n${UPGRADE}sec-websocket-version: 13\r\nsec-websocket-key: x\r\n\r\n`,
    ],
    [
      'a WebSocket upgrade of an unknown version',
      400,
      `GET /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n${UPGRADE}sec-websocket-version: 7\r\n${KEY}\r\n`,
    ],
    [
      'a WebSocket upgrade by POST',
      405,
      `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n${UPGRADE}sec-websocket-version: 13\r\n${KEY}content-length: 0\r\n\r\n`,
    ],
    ['an upgrade to another protocol', 400, 'GET /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n'],
    ['a CONNECT (this is no proxy)', 405, 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n'],
    [
      'a dashboard file that does not exist',
      404,
      'GET /assets/..%2f..%2fpackage.json HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n',
    ],
    ['a dashboard page asked with POST', 405, 'POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'],
  ])('answers %s with a GraphQL error: %i and extensions.code', async (_what, status, request) => {
    const answer = await exchange(request);
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatch(/content-type: application\/json/);
    const body = JSON.parse(answer.body) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0].message.length).toBeGreaterThan(0);
    expect(body.errors[0].extensions.code).toMatch(/^[A-Z_]+$/);
    expectNoInternals(answer.body);
  });
});
