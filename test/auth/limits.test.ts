// Every limit, over HTTP and WebSocket: operation depth, aliases, tokens and cost (refused before any
// SQL runs, with OPERATION_LIMIT_EXCEEDED), the body size (413, not a reset), the per-key rate limit
// (429 with Retry-After; shared through Redis by every instance), failed authentications per address,
// and the WebSocket caps: connections in total and per key, operations per connection, idle sockets.
import http from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import net from 'node:net';
import { createKey, GraphQLSocket, post, socketErrorCodes, waitUntil } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

const LIMITS = {
  MAX_QUERY_DEPTH: '6',
  MAX_QUERY_ALIASES: '3',
  MAX_QUERY_TOKENS: '400',
  MAX_QUERY_COST: '2000',
  MAX_BODY_BYTES: String(64 * 1024),
};

/**
 * The statements the server's database connection ran for the operation while `work` ran (the key
 * registry's own reads of api_key and its lastUsedAt writes are not the operation's).
 */
async function statementsDuring(server: TestServer, work: () => Promise<unknown>): Promise<number> {
  const knex = (server.app.orm.em.getConnection() as unknown as { getKnex(): NodeJS.EventEmitter }).getKnex();
  let statements = 0;
  const count = (query: { sql: string }) => {
    if (!/\bapi_key\b/.test(query.sql)) statements++;
  };
  knex.on('query', count);
  try {
    await work();
  } finally {
    knex.off('query', count);
  }
  return statements;
}

describe('operation limits', () => {
  let server: TestServer;
  let admin: string;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'op_limits', env: LIMITS });
    admin = (await createKey(server, ['admin'])).key;
    key = (await createKey(server, ['read'], admin)).key;
  });
  afterAll(() => server?.stop());

  const deep = '{ customers(first: 1) { edges { node { scoreHistory(first: 1) { edges { node { components { name } } } } } } } }';
  const aliased =
    '{ a: healthSummary { totalCustomers } b: healthSummary { totalCustomers } c: healthSummary { totalCustomers } d: healthSummary { totalCustomers } }';
  const long = `{ healthSummary { ${'totalCustomers '.repeat(401)} } }`;
  const costly = 'query($first: Int) { customers(first: $first) { edges { node { id name tier arrCents } } } }';
  // Each fragment spreads the next thirty times: 27,000 copies of the last one's field, in a few hundred tokens.
  const spreadsFanningOut = [1, 2, 3]
    .map((k) => `fragment F${k} on CustomerConnection { ${`...F${k + 1} `.repeat(30)}}`)
    .concat('fragment F4 on CustomerConnection { totalCount }')
    .join(' ');
  // Each fragment selects ten fields of distinct names, each with the next fragment: 111,110 fields,
  // none repeated at its place (so not refused as repeated fields), in a few hundred tokens. Refused
  // before validation, which would refuse these field names too.
  const fieldsFanningOut = [1, 2, 3, 4]
    .map((k) => `fragment G${k} on CustomerConnection { ${Array.from({ length: 10 }, (_, i) => `f${i} { ...G${k + 1} }`).join(' ')} }`)
    .concat(`fragment G5 on CustomerConnection { ${Array.from({ length: 10 }, (_, i) => `f${i}`).join(' ')} }`)
    .join(' ');
  // Sixteen fields deep, past the introspection's depth too: refused once, with the operation's limit.
  const deeper = `{ customers(first: 1) { edges { node { ${'scoreHistory(first: 1) { edges { node { customer { '.repeat(3)}id ${'} } } } '.repeat(3)}} } } }`;
  const cases: Array<[string, string, Record<string, unknown> | undefined, Record<string, unknown>]> = [
    ['depth', deep, undefined, { limit: 'depth', max: 6, found: '> 6' }],
    ['depth (of a plain query deeper than the introspection may nest)', deeper, undefined, { limit: 'depth', max: 6, found: '> 6' }],
    ['aliases', aliased, undefined, { limit: 'aliases', max: 3, found: '> 3' }],
    ['tokens', long, undefined, { limit: 'tokens', max: 400, found: '> 400' }],
    ['cost (variables count)', costly, { first: 500 }, { limit: 'cost', max: 2000, found: 1 + 500 * (1 + 1 + 4) }],
    ['aliases (of __typename too)', '{ a: __typename b: __typename c: __typename d: __typename }', undefined, { limit: 'aliases', max: 3 }],
    ['introspection', '{ __schema { queryType { name } } s: __schema { types { name } } }', undefined, { limit: 'introspection', max: 1 }],
    [
      'depth (under __schema, as deep as the standard introspection query)',
      `{ __schema { types { ${'ofType { '.repeat(30)}name${' }'.repeat(30)} } } }`,
      undefined,
      { limit: 'depth', max: 15, found: '> 15' },
    ],
    [
      'batches (one batch mutation per operation, aliased or spread from a fragment)',
      'mutation($e: [EngagementEventInput!]!) { a: trackEngagementBatch(events: $e) { accepted } ...B } fragment B on Mutation { b: trackEngagementBatch(events: $e) { accepted } }',
      { e: [] },
      { limit: 'batches', max: 1, found: 2 },
    ],
    [
      'repeated fields (fragments expanded: 27,000 copies of one field under a page)',
      `{ customers(first: 1) { ...F1 } } ${spreadsFanningOut}`,
      undefined,
      { limit: 'repeated fields', max: 20, found: '> 20' },
    ],
    [
      'fields (fragments expanded, no field repeated: 111,110 fields under a page)',
      `{ customers(first: 1) { ...G1 } } ${fieldsFanningOut}`,
      undefined,
      { limit: 'fields', max: 20_000, found: '> 20000' },
    ],
  ];

  it.each(cases)(
    'refuses an operation over the %s limit over HTTP with 400, before any SQL',
    async (_name, query, variables, extensions) => {
      let result: Awaited<ReturnType<typeof post>> | undefined;
      expect(await statementsDuring(server, async () => (result = await post(server.url, query, variables, key)))).toBe(0);
      expect(result!.status).toBe(400);
      expect(result!.body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', ...extensions }) }),
      ]);
    },
  );

  it.each(cases)('refuses an operation over the %s limit over WebSocket, before any SQL', async (_name, query, variables, extensions) => {
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    let result: { type: string; payload: unknown } | undefined;
    expect(await statementsDuring(server, async () => (result = await socket.run('op', query, variables)))).toBe(0);
    expect(result!.type).toBe('error');
    expect(result!.payload).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', ...extensions }) }),
    ]);
    socket.close();
  });

  it('counts the nesting of fields, not of fragments: a chain of spreads is as deep as the fields it selects', async () => {
    const chain = Array.from({ length: 6 }, (_, i) => `fragment F${i + 1} on HealthSummary { ...F${i} }`).join(' ');
    const spread = await post(
      server.url,
      `{ healthSummary { ...F6 } } ${chain} fragment F0 on HealthSummary { totalCustomers }`,
      undefined,
      key,
    );
    expect(spread.body.errors).toBeUndefined();
    const inline = await post(
      server.url,
      `{ healthSummary { ${'... on HealthSummary { '.repeat(8)}totalCustomers${' }'.repeat(8)} } }`,
      undefined,
      key,
    );
    expect(inline.body.errors).toBeUndefined();
    // Fields nested deeper than the limit are refused, whether or not fragments hold them.
    const hidden = await post(
      server.url,
      '{ customers(first: 1) { ...Page } } fragment Page on CustomerConnection { edges { node { scoreHistory(first: 1) { edges { node { components { name } } } } } } }',
      undefined,
      key,
    );
    expect(hidden.body.errors?.[0].extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth' });
  });

  it('admits what fits: the same page with a smaller `first`, the introspection query', async () => {
    expect((await post(server.url, costly, { first: 50 }, key)).body.errors).toBeUndefined();
    const introspection = await post(
      server.url,
      '{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }',
      undefined,
      key,
    );
    expect(introspection.body.errors).toBeUndefined();
    // graphql-js's full introspection query (the playground's and codegen's), deeper than MAX_QUERY_DEPTH.
    const full = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true, oneOf: true });
    expect((await post(server.url, full, undefined, key)).body.errors).toBeUndefined();
  });

  it('admits one batch per mutation: the same field twice under one key (merged, run once), and two operations of one batch each', async () => {
    const merged =
      'mutation($e: [EngagementEventInput!]!) { trackEngagementBatch(events: $e) { accepted } trackEngagementBatch(events: $e) { accepted } }';
    expect((await post(server.url, merged, { e: [] }, admin)).body).toEqual({ data: { trackEngagementBatch: { accepted: 0 } } });
    const two =
      'mutation A($e: [EngagementEventInput!]!) { trackEngagementBatch(events: $e) { accepted } } mutation B($e: [EngagementEventInput!]!) { trackEngagementBatch(events: $e) { accepted } }';
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: two, operationName: 'B', variables: { e: [] } }),
    });
    expect(await response.json()).toEqual({ data: { trackEngagementBatch: { accepted: 0 } } });
  });

  it('refuses a document repeating one field too often for graphql-js to check, before it validates, the same over HTTP and WebSocket (within the default limits)', async () => {
    const defaults = await startTestServer({ database: server.database });
    const ingest = (await createKey(defaults, ['ingest'], admin)).key;
    const socket = await GraphQLSocket.connect(defaults.wsUrl, ingest);
    let reader: GraphQLSocket | undefined;
    try {
      expect(await socket.acknowledged()).toBe('ack');
      // Under 5,000 tokens, 12 levels and 30 aliases: graphql-js's own check spent a second on each
      // before giving up; refused first, the way it is named over both transports.
      const documents = [
        `{ ${'customers { edges { node { currentScore { score } } } } '.repeat(300)} }`,
        `{ ${'healthSummary { totalCustomers } '.repeat(1200)} }`,
        `{ ${'__typename '.repeat(1000)} }`,
      ];
      for (const [i, document] of documents.entries()) {
        const overHttp = await post(defaults.url, document, undefined, ingest);
        const overSocket = await socket.run(`repeated ${i}`, document);
        expect(overHttp.status).toBe(400);
        expect(overSocket.type).toBe('error');
        const refusal = {
          message: expect.stringContaining('select each field once'),
          extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'repeated fields', max: 20, found: '> 20' },
        };
        expect(overHttp.body.errors).toEqual([refusal]);
        expect(overSocket.payload).toEqual([refusal]);
      }
      // A field repeated a few times, through fragments, runs on both.
      const composed = `query { healthSummary { totalCustomers ...Totals ...Counts ... on HealthSummary { totalCustomers } } }
        fragment Totals on HealthSummary { totalCustomers churnedCustomers }
        fragment Counts on HealthSummary { totalCustomers ...Totals }`;
      const answered = { healthSummary: { totalCustomers: expect.any(Number), churnedCustomers: expect.any(Number) } };
      expect((await post(defaults.url, composed, undefined, key)).body).toEqual({ data: answered });
      reader = await GraphQLSocket.connect(defaults.wsUrl, key);
      expect(await reader.acknowledged()).toBe('ack');
      expect(await reader.run('composed', composed)).toEqual({ type: 'next', payload: { data: answered } });
    } finally {
      socket.close();
      reader?.close();
      await defaults.stop();
    }
  });

  it('refuses the 5,000-alias document of the probe at once, with no SQL, and keeps serving', async () => {
    const attack = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: worklist(first: 500) { edges { node { id scoreHistory(first: 50) { edges { node { score } } } } } }`).join(' ')} }`;
    expect(attack.length).toBeGreaterThan(400_000);
    const big = await startTestServer({ database: server.database });
    try {
      let result: Awaited<ReturnType<typeof post>> | undefined;
      const startedAt = Date.now();
      expect(await statementsDuring(big, async () => (result = await post(big.url, attack, undefined, key)))).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(1000);
      expect(result!.status).toBe(400);
      expect(result!.body.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'tokens' });
      // Within the default token limit, the same shape is refused for its aliases, then its cost.
      const fewer = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: worklist(first: 500) { edges { node { id } } }`).join(' ')} }`;
      expect((await post(big.url, fewer, undefined, key)).body.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases' });
      const one = '{ worklist(first: 500) { edges { node { id scoreHistory(first: 50) { edges { node { score } } } } } } }';
      expect((await post(big.url, one, undefined, key)).body.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', max: 50_000 });
      expect((await post(big.url, '{ healthSummary { totalCustomers } }', undefined, key)).status).toBe(200);
    } finally {
      await big.stop();
    }
  });
});

describe('request bodies', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'bodies', env: { ...LIMITS, BODY_TIMEOUT_MS: '400' } });
    key = (await createKey(server, ['ingest'])).key;
  });
  afterAll(() => server?.stop());

  function send(body: Buffer, chunked: boolean): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
      if (!chunked) headers['content-length'] = String(body.length);
      const request = http.request(server.url, { method: 'POST', headers }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      // Written in pieces, as a client streaming a large upload does.
      for (let at = 0; at < body.length; at += 16 * 1024) request.write(body.subarray(at, at + 16 * 1024));
      request.end();
    });
  }

  const oversized = Buffer.from(
    JSON.stringify({
      query: 'mutation($e: [EngagementEventInput!]!) { trackEngagementBatch(events: $e) { accepted } }',
      variables: { e: Array.from({ length: 3000 }, () => ({ customerId: 'c', eventType: 'login' })) },
    }),
  );

  it.each([
    ['declared by Content-Length', false],
    ['streamed without a length', true],
  ])('answers a body over MAX_BODY_BYTES %s with 413, not a reset', async (_how, chunked) => {
    expect(oversized.length).toBeGreaterThan(64 * 1024);
    const result = await send(oversized, chunked);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).errors[0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', max: 64 * 1024 });
    expect((await post(server.url, 'mutation { trackEngagementBatch(events: []) { accepted } }', undefined, key)).status).toBe(200);
  });

  it('answers 408 and closes the connection when a body does not arrive within BODY_TIMEOUT_MS', async () => {
    const started = Date.now();
    const answer = await new Promise<{ status: number; body: string; closed: boolean }>((resolve, reject) => {
      const request = http.request(
        server.url,
        { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-length': '100' } },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: text, closed: response.headers.connection === 'close' }),
          );
        },
      );
      request.on('error', reject);
      request.write('{"query":'); // and nothing more
    });
    expect(answer.status).toBe(408);
    expect(answer.closed).toBe(true);
    expect(JSON.parse(answer.body).errors[0].extensions).toEqual({ code: 'REQUEST_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  /**
   * Opens a raw connection, writes `head`, then writes `drip` every 50 ms for as long as the server
   * keeps the connection; resolves with what it answered and how long the connection lasted.
   */
  function trickle(head: string, drip: string): Promise<{ answer: string; openForMs: number }> {
    return new Promise((resolve) => {
      const started = Date.now();
      let answer = '';
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(head));
      const timer = setInterval(() => socket.writable && socket.write(drip), 50);
      const giveUp = setTimeout(() => socket.destroy(), 10_000);
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ answer, openForMs: Date.now() - started });
      });
    });
  }

  it('answers 408 and closes a connection whose headers keep trickling in past BODY_TIMEOUT_MS (slowloris)', async () => {
    const { answer, openForMs } = await trickle('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'x-padding: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).errors[0]).toMatchObject({
      message: 'request headers not received in time',
      extensions: { code: 'REQUEST_TIMEOUT' },
    });
    expect(openForMs).toBeLessThan(5000);
    // A header's value trickled a byte at a time, as the examiner's probe sent it.
    expect((await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ', 'b')).answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends nothing within BODY_TIMEOUT_MS', async () => {
    const { answer, openForMs } = await trickle('', '');
    expect(answer).toBe('');
    expect(openForMs).toBeLessThan(5000);
  });

  it('closes a connection still trickling the body of a request it has answered, within BODY_TIMEOUT_MS', async () => {
    // Refused (no key) before its body is read: the rest of the body would hold the connection for good.
    const head = 'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n';
    const { answer, openForMs } = await trickle(head, 'x');
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(openForMs).toBeLessThan(5000);
  });

  it('closes a WebSocket whose message is over the limit (1009)', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    socket.socket.send(oversized.toString());
    expect((await socket.closed).code).toBe(1009);
  });
});

describe('the request bodies of one key at once', () => {
  let server: TestServer;
  let key: string;
  let keyId: string;
  let otherKey: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'body_budget', env: LIMITS });
    const admin = (await createKey(server, ['admin'])).key;
    ({ key, id: keyId } = await createKey(server, ['read'], admin));
    otherKey = (await createKey(server, ['read'], admin)).key;
  });
  afterAll(() => server?.stop());

  /** A GraphQL body of exactly `size` bytes (an unused variable pads it). */
  function paddedBody(size: number): Buffer {
    const empty = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    return Buffer.from(JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size - empty.length) } }));
  }

  /** Starts a POST of `body` declaring its length, and sends its first `sent` bytes; `rest()` sends the others. */
  function startPost(body: Buffer, bearer: string, sent: number) {
    let request!: http.ClientRequest;
    const answer = new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
      request = http.request(
        server.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, 'content-length': String(body.length) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body: text }));
        },
      );
      request.on('error', reject);
      request.write(body.subarray(0, sent));
    });
    return { answer, rest: () => request.end(body.subarray(sent)) };
  }

  it("refuses (429) a key's body past twice MAX_BODY_BYTES held at once, before reading it, and takes it again once they are answered", async () => {
    const large = paddedBody(60_000);
    // Two large bodies of one key arriving slowly: both admitted, and held while they arrive.
    const held = [startPost(large, key, 1000), startPost(large, key, 1000)];
    await waitUntil(() => server.app.services.requestBodies.heldBy(keyId) === 2 * large.length, 5000, 'both bodies admitted');
    // A third of the same key is refused from its Content-Length, whole body sent or not.
    const third = startPost(large, key, large.length);
    const refused = await third.answer;
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.parse(refused.body).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    // Small requests of the key fit beside them, and another key's budget is its own.
    expect((await post(server.url, '{ __typename }', undefined, key)).status).toBe(200);
    expect((await startPost(large, otherKey, large.length).answer).status).toBe(200);
    for (const request of held) request.rest();
    expect((await Promise.all(held.map((request) => request.answer))).map((answer) => answer.status)).toEqual([200, 200]);
    await waitUntil(() => server.app.services.requestBodies.heldBy(keyId) === 0, 5000, 'the bodies given back');
    expect((await startPost(large, key, large.length).answer).status).toBe(200);
  });
});

describe('WebSockets before they authenticate', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'ws_pending', env: { WS_MAX_MESSAGE_BYTES: String(4096), WS_MAX_PENDING_PER_ADDRESS: '3' } });
    key = (await createKey(server, ['read'])).key;
  });
  afterAll(() => server?.stop());

  /** The status of an upgrade: 101 once open (the socket is kept), else the refusal's. */
  async function open(sockets: GraphQLSocket[]): Promise<number> {
    try {
      sockets.push(await GraphQLSocket.open(server.wsUrl));
      return 101;
    } catch (error) {
      return (error as { status: number }).status;
    }
  }

  it('closes a socket whose first message is over WS_MAX_MESSAGE_BYTES (1009), before reading a key', async () => {
    const sockets: GraphQLSocket[] = [];
    expect(await open(sockets)).toBe(101);
    sockets[0].send({ type: 'connection_init', payload: { authorization: `Bearer ${key}`, padding: 'x'.repeat(8192) } });
    expect((await sockets[0].closed).code).toBe(1009);
  });

  it('refuses an address more sockets waiting to authenticate than WS_MAX_PENDING_PER_ADDRESS (429), and takes more once they have', async () => {
    const sockets: GraphQLSocket[] = [];
    try {
      for (let i = 0; i < 3; i++) expect(await open(sockets)).toBe(101);
      expect(await open(sockets)).toBe(429);
      // One of them authenticates: its place is free again.
      sockets[0].send({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } });
      expect(await sockets[0].acknowledged()).toBe('ack');
      expect(await open(sockets)).toBe(101);
    } finally {
      for (const socket of sockets) socket.socket.close();
    }
  });
});

describe('under the default limits', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'ws_unacknowledged' });
    key = (await createKey(server, ['read'])).key;
  });
  afterAll(() => server?.stop());

  it("counts a score's signals, penalties and components by their expected length (32, 32 and 8), over HTTP and WebSocket", async () => {
    const explained = (first: number) =>
      `{ healthScores(first: ${first}) { edges { node { signals { name value } penalties { name applied } components { name } } } } }`;
    // 1 + first × (edges 1 + node (1 + signals (1 + 32 × 2) + penalties (1 + 32 × 2) + components (1 + 8 × 1)))
    const refused = await post(server.url, explained(500), undefined, key);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'cost', found: 1 + 500 * 141 });
    expect((await post(server.url, explained(300), undefined, key)).body).toEqual({ data: { healthScores: { edges: [] } } });
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    const overSocket = await socket.run('explained', explained(500));
    expect(overSocket.type).toBe('error');
    expect((overSocket.payload as Array<{ extensions: unknown }>)[0].extensions).toMatchObject({ limit: 'cost', found: 1 + 500 * 141 });
    // One score, outside any page, is not estimated: nothing in it multiplies but its lists.
    expect((await post(server.url, '{ healthScore(customerId: "nobody") { signals { name } } }', undefined, key)).status).toBe(200);
    socket.close();
  });

  it('weighs a text field by its longest answer: a page of 500 NPS comments is refused for its cost, one of 100 runs', async () => {
    const comments = (first: number) => `{ npsResponses(first: ${first}) { edges { node { comment } } } }`;
    const refused = await post(server.url, comments(500), undefined, key);
    expect(refused.status).toBe(400);
    // 1 + 500 × (edges 1 + node (1 + comment 400: 10,000 characters of up to 4 bytes, a unit per 100 bytes))
    expect(refused.body.errors?.[0].extensions).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'cost',
      max: 50_000,
      found: 1 + 500 * 402,
    });
    expect((await post(server.url, comments(100), undefined, key)).body).toEqual({ data: { npsResponses: { edges: [] } } });
  });

  it('refuses what a subscription would hold for its life past 16 KiB (its id, document and variables), and an operation id past 256 characters', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    const subscription = 'subscription { healthTierChanged { customerId } }';
    const codeOf = async (id: string, payload: Record<string, unknown>) => {
      socket.send({ id, type: 'subscribe', payload });
      const answer = await socket.waitFor((message) => message.id === id && message.type === 'error');
      return (answer.payload as Array<{ extensions: Record<string, unknown> }>)[0].extensions;
    };
    expect(await codeOf('padded', { query: subscription, variables: { padding: 'x'.repeat(100_000) } })).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'subscription size',
      max: 16 * 1024,
    });
    expect(await codeOf('i'.repeat(100_000), { query: '{ __typename }' })).toMatchObject({ code: 'BAD_REQUEST' });
    socket.close();
  });

  it('refuses a subscription whose parsed document would be large, within 16 KiB of text: more than 500 syntax nodes', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    const fields = (n: number) => Array.from({ length: n }, (_, i) => ['customerId', 'fromTier', 'toTier', 'direction'][i % 4]).join(' ');
    const answer = async (id: string, query: string) => {
      socket.send({ id, type: 'subscribe', payload: { query } });
      return socket.waitFor((message) => message.id === id && (message.type === 'error' || message.type === 'next'));
    };
    // 1,500 repeated fields within 16 KiB: most of a megabyte parsed, held as long as the subscription lasts.
    const repeated = await answer('fields', `subscription { healthTierChanged { ${fields(1_500)} } }`);
    expect(repeated.type).toBe('error');
    expect((repeated.payload as Array<{ extensions: Record<string, unknown> }>)[0].extensions).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'subscription nodes',
      max: 500,
    });
    // A list of values in an argument counts as well.
    const tiers = Array.from({ length: 600 }, () => '"x"').join(', ');
    const listed = await answer('values', `subscription { healthTierChanged(tiers: [${tiers}]) { customerId } }`);
    expect((listed.payload as Array<{ extensions: Record<string, unknown> }>)[0].extensions).toMatchObject({ limit: 'subscription nodes' });
    // A query past the subscriptions' node budget is answered: it holds nothing once answered.
    // Fifteen fields, none repeated past the twenty times one place may repeat one.
    const customerFields = ['id', 'name', 'plan', 'tier', 'seats', 'nps', 'healthScore', 'engagementScore', 'csmOwner', 'contactEmail'];
    customerFields.push('lastActivityAt', 'scoredAt', 'signedUpAt', 'createdAt', 'updatedAt');
    const everyField = Array.from({ length: 260 }, (_, i) => customerFields[i % customerFields.length]).join(' ');
    const query = await answer('query', `{ customers(first: 1) { edges { node { ${everyField} } } } }`);
    expect(query.type).toBe('next');
    // A subscription of a few dozen fields, as clients send, is taken (no error before its first event).
    socket.send({ id: 'ordinary', type: 'subscribe', payload: { query: `subscription { healthTierChanged { ${fields(40)} } }` } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.messages.filter((message) => message.id === 'ordinary')).toEqual([]);
    socket.close();
  });

  it('refuses a value nested thousands of levels deep in the document as one nested 65 levels deep, over HTTP and WebSocket', async () => {
    // Under the token limit, and deep enough to exhaust the stack of a recursive parse.
    const metadata = (value: string) =>
      `mutation { trackEngagement(input: { customerId: "c", eventType: "x", metadata: ${value} }) { id } }`;
    const lists = (levels: number) => metadata(`{ a: ${'['.repeat(levels)}${']'.repeat(levels)} }`);
    const objects = (levels: number) => metadata(`${'{a:'.repeat(levels)}1${'}'.repeat(levels)}`);
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    const answers = async (id: string, query: string) => {
      const overHttp = await post(server.url, query, undefined, key);
      const overSocket = await socket.run(id, query);
      return { http: [overHttp.status, overHttp.body.errors], socket: [overSocket.type, overSocket.payload] };
    };
    const refused = { message: 'JSON value nested deeper than 64 levels', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    const expected = { http: [400, [refused]], socket: ['error', [refused]] };
    expect(await answers('65', lists(64))).toEqual(expected);
    expect(await answers('2400', lists(2_400))).toEqual(expected);
    expect(await answers('1600', objects(1_600))).toEqual(expected);
    // In a variable's default, after another variable's directive, whose arguments open parentheses within the definitions.
    const deepDefault = (before: string) => `query (${before}$x: JSON = ${'['.repeat(2_400)}${']'.repeat(2_400)}) { __typename }`;
    expect(await answers('default', deepDefault(''))).toEqual(expected);
    expect(await answers('after a directive', deepDefault('$a: Int @skip(if: true), '))).toEqual(expected);
    // Within the limit the JSON argument is read: the key may not track engagement.
    const within = await answers('64', lists(63));
    expect(within.http[1]).toMatchObject([{ extensions: { code: 'FORBIDDEN' } }]);
    // Brackets in strings, block strings and comments are no nesting.
    const search = (value: string) => `{ customers(first: 1, search: ${value}) { totalCount } }`;
    const quoted = `"${'['.repeat(190)}"`;
    for (const [id, query] of [
      ['string', search(quoted)],
      ['block string', search(`"""${'['.repeat(190)}"""`)],
      ['comment', search(`${quoted} # ${'['.repeat(3_000)}\n`)],
    ]) {
      expect(await answers(id, query)).toEqual({
        http: [200, undefined],
        socket: ['next', { data: { customers: { totalCount: 0 } } }],
      });
    }
    socket.close();
  });

  it('refuses a request holding an object of more than 10,000 members before parsing it, over HTTP (400) and WebSocket (4400)', async () => {
    const members = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
    const wide = await post(server.url, '{ __typename }', { x: members(10_001) }, key);
    expect(wide.status).toBe(400);
    expect(wide.body.errors).toEqual([
      { message: 'request JSON holds an object of more than 10000 members', extensions: { code: 'BAD_USER_INPUT', maxMembers: 10_000 } },
    ]);
    // Members of nested objects count per object, and lists are no objects.
    const within = { x: members(10_000), y: { z: members(10_000) }, list: Array.from({ length: 10_000 }, (_, i) => i) };
    expect(await post(server.url, '{ __typename }', within, key)).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    socket.send({ id: 'wide', type: 'subscribe', payload: { query: '{ __typename }', variables: { x: members(10_001) } } });
    expect(await socket.closed).toMatchObject({ code: 4400, reason: 'request JSON holds an object of more than 10000 members' });
  });

  it("answers a client's ping with a pong that does not echo its payload", async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await socket.acknowledged()).toBe('ack');
    socket.send({ type: 'ping', payload: { pad: 'x'.repeat(512 * 1024) } });
    expect(await socket.waitFor((message) => message.type === 'pong')).toEqual({ type: 'pong' });
    socket.close();
  });

  it('closes a socket that sends more than 16 KiB before it is acknowledged (1009), unparsed; once acknowledged, the full limit applies', async () => {
    const unauthenticated = await GraphQLSocket.open(server.wsUrl);
    unauthenticated.socket.send(`{"type":"connection_init","payload":{"x":[${'[],'.repeat(10_000)}[]]}}`);
    expect((await unauthenticated.closed).code).toBe(1009);
    const authenticated = await GraphQLSocket.connect(server.wsUrl, key);
    expect(await authenticated.acknowledged()).toBe('ack');
    const answer = await authenticated.run('big', 'query($pad: String!) { __type(name: $pad) { name } }', { pad: 'x'.repeat(64 * 1024) });
    expect(answer).toEqual({ type: 'next', payload: { data: { __type: null } } });
    authenticated.close();
  });

  it('runs at most four statements of one request at once, however many lists it counts in parallel', async () => {
    const knex = (server.app.orm.em.getConnection() as unknown as { getKnex(): NodeJS.EventEmitter }).getKnex();
    const inFlight = new Set<string>();
    let most = 0;
    const started = (query: { sql: string; __knexQueryUid: string }) => {
      if (!/engagement_event/.test(query.sql)) return;
      inFlight.add(query.__knexQueryUid);
      most = Math.max(most, inFlight.size);
    };
    const ended = (_response: unknown, query: { __knexQueryUid: string }) => inFlight.delete(query.__knexQueryUid);
    knex.on('query', started).on('query-response', ended).on('query-error', ended);
    try {
      const lists = Array.from(
        { length: 30 },
        (_, i) => `a${i}: engagementEvents(first: 1, from: "2026-01-${String(i + 1).padStart(2, '0')}T00:00:00Z") { totalCount }`,
      );
      const answer = await post(server.url, `{ ${lists.join(' ')} }`, undefined, key);
      expect(answer.body.errors).toBeUndefined();
      expect(Object.keys(answer.body.data ?? {})).toHaveLength(30);
    } finally {
      knex.off('query', started).off('query-response', ended).off('query-error', ended);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('answers a GraphQL body of more than a million JSON values 413 before parsing it, and a large batch of ordinary size 200', async () => {
    const nested = `{"query":"{ __typename }","variables":{"x":[${'[],'.repeat(1_100_000)}[]]}}`;
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: nested,
    });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      maxValues: 1_000_000,
    });
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      customerId: 'cust_nobody',
      eventType: 'feature_used',
      feature: `f${i % 7}`,
      userId: `u${i % 5}`,
    }));
    const batch = await post(
      server.url,
      'mutation($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted } }',
      { events },
      key,
    );
    // Parsed whole and judged on its merits: the key may only read, so the write is refused, not the body.
    expect([batch.status, batch.body.errors?.[0].extensions?.code]).toEqual([200, 'FORBIDDEN']);
  });
});

describe('the GraphQL body limit by default (MAX_BODY_BYTES)', () => {
  let server: TestServer;
  let ingest: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'default_body_limit' });
    const admin = (await createKey(server, ['admin'])).key;
    ingest = (await createKey(server, ['ingest'], admin)).key;
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_batch", name: "Batch" }) { id } }', undefined, admin);
  });
  afterAll(() => server?.stop());

  const BATCH =
    'mutation TrackBatch($events: [EngagementEventInput!]!) { trackEngagementBatch(events: $events) { accepted errors { index } } }';

  it('takes a batch of 10,000 events with the fields and metadata of a real product, of about 6 MiB', async () => {
    const id = (prefix: string, i: number) =>
      `${prefix}_${i.toString(16).padStart(8, '0')}-4f1c-9a2e-${(i * 7919).toString(16).padStart(12, '0')}`;
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      customerId: 'cust_batch',
      eventType: 'feature_used',
      userId: id('user', i % 40),
      feature: 'reports.export.csv',
      occurredAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      idempotencyKey: id('evt', i),
      metadata: {
        plan: 'enterprise',
        browser: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
        path: '/reports/weekly/export',
        durationMs: 1234,
        rows: 5000,
        workspaceId: id('ws', i % 3),
        sessionId: id('session', i % 500),
      },
    }));
    const body = JSON.stringify({ query: BATCH, variables: { events } });
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const answer = await post<{ trackEngagementBatch: { accepted: number; errors: unknown[] } }>(server.url, BATCH, { events }, ingest);
    expect(answer.status).toBe(200);
    expect(answer.body.data?.trackEngagementBatch).toEqual({ accepted: 10_000, errors: [] });
  });

  it('answers a body past 8 MiB 413 from its Content-Length, before reading any of it, saying where large loads go', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        server.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}`, 'content-length': String(8 * 1024 * 1024 + 1) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            request.destroy();
            resolve({ status: response.statusCode ?? 0, body: text });
          });
        },
      );
      request.on('error', reject);
      // The body's first bytes only: the answer comes without the rest.
      request.write('{"query":"query($s: String) { __typename }","variables":{"s":"xxxx');
    });
    expect(answer.status).toBe(413);
    const [error] = JSON.parse(answer.body).errors;
    expect(error.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', max: 8 * 1024 * 1024 });
    expect(error.message).toContain('/ingest/events');
    // Streamed without a length, it is refused at the chunk that crosses the limit.
    const streamed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` },
      body: new Blob([`{"query":"query($s: String) { __typename }","variables":{"s":"${'x'.repeat(9 * 1024 * 1024)}"}}`]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});

describe('the subscriptions of one key over all its sockets, under the default limits', () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'subscriptions_per_key' });
    admin = (await createKey(server, ['admin'])).key;
  });
  afterAll(() => server?.stop());

  /** Connected and acknowledged sockets of `key`. */
  const sockets = (key: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const socket = await GraphQLSocket.connect(server.wsUrl, key);
        expect(await socket.acknowledged()).toBe('ack');
        return socket;
      }),
    );
  /**
   * Waits until each socket has handled what was sent on it before: a subscription taken answers
   * nothing until an event, but a query sent after it is answered after it was taken or refused.
   */
  let barriers = 0;
  const settled = async (open: GraphQLSocket[]) => {
    for (const socket of open) {
      const id = `barrier-${barriers++}`;
      socket.subscribe(id, '{ __typename }');
      // Validating hundreds of large documents takes a loaded machine seconds.
      expect(await socket.waitFor((message) => message.id === id, 60_000)).toMatchObject({ type: 'next' });
    }
  };
  const refusals = (open: GraphQLSocket[]) =>
    open
      .flatMap((socket) => socket.messages.filter((message) => message.type === 'error'))
      .map((message) => (message.payload as Array<{ extensions: Record<string, unknown> }>)[0].extensions);
  const closeAll = async (open: GraphQLSocket[]) => {
    for (const socket of open) socket.close();
    await Promise.all(open.map((socket) => socket.closed));
  };
  // As the probe sent them: a distinct name each, so that none shares another's parsed document; 480 nodes each
  // (235 fields, each of the score's twelve repeated at most twenty times, the most one place may repeat one).
  const scoreFields = ['asOf', 'backfill', 'computedAt', 'coverage', 'customerId', 'id', 'modelVersion', 'previousScore', 'score'];
  const fields = [...scoreFields, 'scoringVersion', 'tier', 'trend'];
  const large = () =>
    `subscription S_${Math.random().toString(36).slice(2)} { healthScoreUpdated(customerId: "nope") { ${Array.from({ length: 235 }, (_, i) => fields[i % fields.length]).join(' ')} } }`;
  const DASHBOARD = [
    'subscription LiveScoreUpdated { healthScoreUpdated { customerId score } }',
    'subscription LiveTierChanged { healthTierChanged { id customerId fromTier toTier fromScore toScore direction changedAt customer { name } } }',
  ];

  it("refuses a key's subscription past 50,000 syntax nodes held over its sockets, while another key's dashboard subscribes", async () => {
    const { key } = await createKey(server, ['read'], admin, 'prober');
    const open = await sockets(key, 2);
    for (let i = 0; i < 110; i++) open[i % 2].subscribe(`large-${i}`, large());
    await settled(open);
    // 104 × 480 nodes fit in 50,000; the other six do not.
    const refused = refusals(open);
    expect(refused).toHaveLength(6);
    for (const extensions of refused)
      expect(extensions).toMatchObject({ code: 'SUBSCRIPTION_LIMIT_EXCEEDED', limit: 'subscription nodes per key', max: 50_000 });
    // A small one still fits in what is left.
    open[0].subscribe('small', DASHBOARD[0]);
    // Another key is not held back by this one's: a dashboard tab's two subscriptions, and a large one.
    const { key: other } = await createKey(server, ['read'], admin, 'dashboard');
    const [tab] = await sockets(other, 1);
    DASHBOARD.forEach((query, i) => tab.subscribe(`live-${i}`, query));
    tab.subscribe('large', large());
    await settled([...open, tab]);
    expect(refusals(open)).toHaveLength(6);
    expect(refusals([tab])).toEqual([]);
    // Ended (the sockets closed), they give their nodes back.
    await closeAll(open);
    const [again] = await sockets(key, 1);
    again.subscribe('again', large());
    await settled([again]);
    expect(refusals([again])).toEqual([]);
    await closeAll([again, tab]);
  });

  it("refuses a key's 1,001st subscription over its sockets, and takes one again once another is completed", async () => {
    const { key } = await createKey(server, ['read'], admin, 'many');
    const open = await sockets(key, 21);
    // Refused after taking their places (an unknown field is found by validation), these give them back.
    for (let i = 0; i < 5; i++) open[20].subscribe(`invalid-${i}`, 'subscription { healthScoreUpdated { nope } }');
    await settled(open.slice(20));
    expect(refusals(open).map((extensions) => extensions.code)).toEqual(Array(5).fill('GRAPHQL_VALIDATION_FAILED'));
    open[20].messages.length = 0;
    for (let i = 0; i < 1_000; i++) open[i % 20].subscribe(`sub-${i}`, DASHBOARD[i % 2]);
    await settled(open.slice(0, 20));
    expect(refusals(open)).toEqual([]);
    const over = await open[20].run('over', DASHBOARD[0]);
    expect(over.type).toBe('error');
    expect(over.payload).toEqual([
      expect.objectContaining({ extensions: { code: 'SUBSCRIPTION_LIMIT_EXCEEDED', limit: 'subscriptions per key', max: 1000 } }),
    ]);
    expect((over.payload as Array<{ message: string }>)[0].message).toContain('WS_MAX_SUBSCRIPTIONS_PER_KEY');
    open[0].send({ id: 'sub-0', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    open[20].subscribe('in-its-place', DASHBOARD[0]);
    await settled(open.slice(20));
    expect(open[20].messages.filter((message) => message.id === 'in-its-place')).toEqual([]);
    await closeAll(open);
  });
});

describe('the rate limit of a key', () => {
  let server: TestServer;
  let admin: { key: string; id: string } | undefined;
  /** The installation's admin key, created by the first test that needs one (once a key exists, keys need one). */
  const adminKey = async () => (admin ??= await createKey(server, ['admin']));
  beforeAll(async () => {
    server = await startTestServer({ label: 'rate_limit', env: { RATE_LIMIT_REQUESTS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterAll(() => server?.stop());

  it('does not apply to the loopback admin of a key-less installation', async () => {
    for (let i = 0; i < 8; i++) expect((await post(server.url, '{ healthSummary { totalCustomers } }')).status).toBe(200);
  });

  it('answers 429 with Retry-After and RATE_LIMITED once a key has spent its budget, over HTTP and WebSocket', async () => {
    const admin = await adminKey();
    const reader = await createKey(server, ['read'], admin.key);
    for (let i = 0; i < 5; i++)
      expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status).toBe(200);
    const refused = await post(server.url, '{ healthSummary { totalCustomers } }', undefined, reader.key);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: retryAfter });

    const socket = await GraphQLSocket.connect(server.wsUrl, reader.key);
    expect(await socket.acknowledged()).toBe('ack');
    const result = await socket.run('1', '{ healthSummary { totalCustomers } }');
    expect(socketErrorCodes(result)).toEqual(['RATE_LIMITED']);
    socket.close();
    // Another key has its own budget.
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status).toBe(200);
  });

  it('counts every WebSocket message, pings included, and closes the socket (4429) on a large one past the budget, unread', async () => {
    const admin = await adminKey();
    const reader = await createKey(server, ['read'], admin.key);
    const socket = await GraphQLSocket.connect(server.wsUrl, reader.key);
    expect(await socket.acknowledged()).toBe('ack');
    // Every message is parsed, however large; pings were free, so a key could send them without end.
    for (let i = 0; i < 5; i++) {
      socket.send({ type: 'ping' });
      await socket.waitFor((message) => message.type === 'pong' && socket.messages.filter((m) => m.type === 'pong').length === i + 1);
    }
    expect(socketErrorCodes(await socket.run('1', '{ healthSummary { totalCustomers } }'))).toEqual(['RATE_LIMITED']);
    socket.send({ type: 'ping', payload: { padding: Array.from({ length: 20_000 }, () => []) } });
    expect(await socket.closed).toEqual({ code: 4429, reason: 'rate limit of this API key' });
  });
});

describe('with Redis, the budget of a key', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    const env = { RATE_LIMIT_REQUESTS: '6', RATE_LIMIT_WINDOW_SECONDS: '60', API_KEY_REFRESH_MS: '200' };
    first = await startTestServer({ label: 'rate_limit_redis', redis: true, env });
    second = await startTestServer({ database: first.database, redis: true, env });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('is shared by every instance', async () => {
    const admin = await createKey(first, ['admin']);
    // Until the second instance knows the key it answers 401, which spends nothing; then one request.
    await waitUntil(
      async () => (await post(second.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status === 200,
      5000,
      'the second instance to know the key',
    );
    for (let i = 0; i < 3; i++)
      expect((await post(first.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await post(second.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status).toBe(200);
    expect((await post(second.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status).toBe(429);
    expect((await post(first.url, '{ healthSummary { totalCustomers } }', undefined, admin.key)).status).toBe(429);
  });
});

describe('failed authentications', () => {
  let server: TestServer;
  let admin: { key: string; id: string };
  beforeAll(async () => {
    server = await startTestServer({ label: 'auth_failures', env: { AUTH_FAILURE_LIMIT: '3' } });
    admin = await createKey(server, ['admin']);
  });
  afterAll(() => server?.stop());

  it('get 429 once an address has sent too many wrong secrets for a key, while a key it already used keeps working', async () => {
    const reader = await createKey(server, ['read'], admin.key);
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status).toBe(200);
    const wrong = `hg_${admin.id}_${'A'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, wrong)).status).toBe(401);
    const refused = await post(server.url, '{ healthSummary { totalCustomers } }', undefined, wrong);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const socket = await GraphQLSocket.connect(server.wsUrl, wrong);
    expect(await socket.acknowledged()).toEqual({ code: 4429, reason: 'too many failed authentications' });
    // Unknown and malformed keys cost nothing to refuse: still 401.
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, 'nonsense')).status).toBe(401);
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, reader.key)).status).toBe(200);
  });

  it('are counted per key id: another key from the same address (one proxy, one NAT) is not locked out', async () => {
    const target = await createKey(server, ['read'], admin.key);
    const bystander = await createKey(server, ['read'], admin.key);
    const wrong = `hg_${target.id}_${'B'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, wrong)).status).toBe(401);
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, target.key)).status).toBe(429);
    // Never used from here before (so its secret is checked afresh), and not locked out.
    expect((await post(server.url, '{ healthSummary { totalCustomers } }', undefined, bystander.key)).status).toBe(200);
    // Without TRUST_PROXY, a client naming another address in X-Forwarded-For is still itself.
    const spoofed = await post(server.url, '{ healthSummary { totalCustomers } }', undefined, target.key, {
      'x-forwarded-for': '203.0.113.9',
    });
    expect(spoofed.status).toBe(429);
  });

  it('are counted before the secret is hashed: wrong secrets sent at once are 429 past the limit, not an scrypt each', async () => {
    const target = await createKey(server, ['read'], admin.key);
    // Different secrets, so that none shares another's hash; all sent before any has been refused.
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(server.url, '{ healthSummary { totalCustomers } }', undefined, `hg_${target.id}_${String(i).padStart(43, 'D')}`).then(
          (answer) => answer.status,
        ),
      ),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(17);
    // A right secret sent many times at once, before it was ever verified, is hashed once and spends nothing.
    const fresh = await createKey(server, ['read'], admin.key);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(server.url, '{ healthSummary { totalCustomers } }', undefined, fresh.key)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  let server: TestServer;
  let admin: { key: string; id: string };
  const from = (address: string) => ({ 'x-forwarded-for': address });
  beforeAll(async () => {
    server = await startTestServer({ label: 'trust_proxy', env: { AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: '127.0.0.1,::1' } });
    admin = await createKey(server, ['admin']);
  });
  afterAll(() => server?.stop());

  it("counts failed authentications per client the proxy forwarded, not per proxy, and ignores what the client wrote before the proxy's entry", async () => {
    const wrong = `hg_${admin.id}_${'C'.repeat(43)}`;
    const summary = '{ healthSummary { totalCustomers } }';
    for (let i = 0; i < 2; i++) expect((await post(server.url, summary, undefined, wrong, from('203.0.113.5'))).status).toBe(401);
    expect((await post(server.url, summary, undefined, wrong, from('203.0.113.5'))).status).toBe(429);
    // Another client behind the same proxy is not locked out.
    expect((await post(server.url, summary, undefined, wrong, from('203.0.113.6'))).status).toBe(401);
    // The proxy appends the address it received from: a client prepending another one gains nothing.
    expect((await post(server.url, summary, undefined, wrong, from('198.51.100.1, 203.0.113.5'))).status).toBe(429);
  });

  it('records the client the proxy forwarded in the audit log', async () => {
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_proxied", name: "P" }) { id } }', undefined, admin.key);
    await post(
      server.url,
      'mutation { setCommunicationOptOut(customerId: "cust_proxied", optedOut: true) { id } }',
      undefined,
      admin.key,
      from('198.51.100.23'),
    );
    const log = await post<{ auditLog: { edges: Array<{ node: { action: string; clientAddress: string } }> } }>(
      server.url,
      '{ auditLog(first: 1, action: "customer.optOut") { edges { node { action clientAddress } } } }',
      undefined,
      admin.key,
    );
    expect(log.body.data?.auditLog.edges).toEqual([{ node: { action: 'customer.optOut', clientAddress: '198.51.100.23' } }]);
  });
});

describe('WebSocket caps', () => {
  let server: TestServer;
  let admin: { key: string; id: string };
  beforeAll(async () => {
    server = await startTestServer({
      label: 'ws_caps',
      env: {
        WS_MAX_CONNECTIONS: '4',
        WS_MAX_CONNECTIONS_PER_KEY: '2',
        WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        // Long enough that the sockets the first test opens, which open no operation, outlive a
        // loaded machine's handshakes; a timeout of 600 ms closed them before its cap was reached.
        WS_IDLE_TIMEOUT_MS: '3000',
      },
    });
    admin = await createKey(server, ['admin']);
  });
  afterAll(() => server?.stop());

  it("closes a key's connection beyond its cap with 1013, and refuses upgrades beyond the total with 503", async () => {
    const other = await createKey(server, ['read'], admin.key);
    const sockets = [await GraphQLSocket.connect(server.wsUrl, admin.key), await GraphQLSocket.connect(server.wsUrl, admin.key)];
    for (const socket of sockets) expect(await socket.acknowledged()).toBe('ack');
    const third = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await third.acknowledged()).toEqual({ code: 1013, reason: 'too many connections for this API key' });
    sockets.push(await GraphQLSocket.connect(server.wsUrl, other.key), await GraphQLSocket.connect(server.wsUrl, other.key));
    for (const socket of sockets.slice(2)) expect(await socket.acknowledged()).toBe('ack');
    await expect(GraphQLSocket.open(server.wsUrl)).rejects.toMatchObject({ status: 503 });
    for (const socket of sockets) socket.close();
    await Promise.all(sockets.map((socket) => socket.closed));
    const again = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await again.acknowledged()).toBe('ack');
    again.close();
    await again.closed;
  });

  it('refuses an operation beyond the open operations of a connection, and admits it once one completes', async () => {
    const socket = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await socket.acknowledged()).toBe('ack');
    socket.subscribe('1', 'subscription { healthTierChanged { customerId } }');
    socket.subscribe('2', 'subscription { healthScoreUpdated { score } }');
    const third = await socket.run('3', 'subscription { outreachLogged { id } }');
    expect(third.type).toBe('error');
    expect(third.payload).toEqual([expect.objectContaining({ extensions: { code: 'SUBSCRIPTION_LIMIT_EXCEEDED', max: 2 } })]);
    socket.send({ id: '1', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socketErrorCodes(await socket.run('4', '{ healthSummary { totalCustomers } }'))).toEqual([]);
    socket.close();
    await socket.closed;
  });

  it('closes a connection that opens no operation within the idle timeout, and keeps one that subscribed', async () => {
    const idle = await GraphQLSocket.connect(server.wsUrl, admin.key);
    const busy = await GraphQLSocket.connect(server.wsUrl, admin.key);
    expect(await idle.acknowledged()).toBe('ack');
    expect(await busy.acknowledged()).toBe('ack');
    busy.subscribe('1', 'subscription { healthTierChanged { customerId } }');
    const openedAt = Date.now();
    expect(await idle.closed).toEqual({ code: 1000, reason: 'idle: no operation' });
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(2900);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(busy.socket.readyState).toBe(busy.socket.OPEN);
    busy.close();
    await busy.closed;
  });
});
