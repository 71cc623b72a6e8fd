// Safe defaults that keep `npm install && npm start`: with no key the server listens on 127.0.0.1,
// treats clients on this machine as admin and says so; it refuses to listen elsewhere without a key.
// A request that only looks local (forwarded by a proxy, or addressed to another host name) is not
// local. Browsers: WebSocket upgrades and requests from foreign origins are refused, CORS_ORIGINS
// opens them to listed origins. The playground is served with its key field.
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import WebSocket from 'ws';
import { startApp } from '../../src/app';
import { createApiKey } from '../../src/auth/api-key.service';
import { readConfig } from '../../src/infra/config';
import { openDatabase } from '../../src/database';
import type { Db } from '../../src/infra/sql';
import { createKey, GraphQLSocket, post } from '../helpers/auth';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

/** A request with headers fetch() will not send (Host, Origin), over plain http. */
function rawRequest(
  url: string,
  headers: Record<string, string>,
  body?: string,
  method = 'POST',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opens. */
function upgradeStatus(wsUrl: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      // A refusal is an answer like any other: it carries a request id.
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

const QUERY = JSON.stringify({ query: '{ healthSummary { totalCustomers } }' });

describe('without any key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'open_mode' });
  });
  afterAll(() => server?.stop());

  it('listens on 127.0.0.1 by default', () => {
    expect(readConfig({}).host).toBe('127.0.0.1');
  });

  it('treats a client on this machine as admin, over HTTP and WebSocket', async () => {
    const result = await post(server.url, '{ apiKeys { totalCount } auditLog { totalCount } }');
    expect(result.body).toEqual({ data: { apiKeys: { totalCount: 0 }, auditLog: { totalCount: 0 } } });
    const socket = await GraphQLSocket.connect(server.wsUrl);
    expect(await socket.acknowledged()).toBe('ack');
    expect((await socket.run('1', '{ apiKeys { totalCount } }')).payload).toEqual({ data: { apiKeys: { totalCount: 0 } } });
    socket.close();
  });

  it('does not when a proxy forwarded the request, or the Host is not this machine (DNS rebinding)', async () => {
    const port = new URL(server.url).port;
    const notLocal: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
      { 'x-real-ip': '203.0.113.9' },
      // What other proxies announce themselves with: Via (which HTTP requires of every proxy), the
      // rest of the X-Forwarded family, and the client-address headers of CDNs and load balancers.
      { via: '1.1 proxy.example' },
      { 'x-forwarded-proto': 'https' },
      { 'x-forwarded-port': '443' },
      { 'x-client-ip': '203.0.113.9' },
      { 'true-client-ip': '203.0.113.9' },
      { 'cf-connecting-ip': '203.0.113.9' },
      { 'x-original-forwarded-for': '203.0.113.9' },
      { host: `attacker.example:${port}` },
      // A port no TCP connection has: no client of this server wrote it.
      { host: 'localhost:99999' },
      { host: '127.0.0.1:65536' },
      { host: '[::1]:99999' },
      // Names that only start like a loopback address: an attacker's page rebinds them, and its
      // Origin then matches its Host.
      ...['127.evil.example', '127.0.0.1.nip.io', '127.0.0.1evil.example', `127.0.0.1:${port}@evil.example`, '127.0.0.1 evil'].map(
        (name) => ({ host: `${name}:${port}`, origin: `http://${name}:${port}` }),
      ),
    ];
    for (const headers of notLocal) {
      const result = await rawRequest(server.url, headers, QUERY);
      // 401 (no key), or 403 where the Origin check refuses it first.
      expect({ headers, refused: [401, 403].includes(result.status) }).toEqual({ headers, refused: true });
    }
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `127.1.2.3:${port}`,
      `app.localhost:${port}`,
      `[::1]:${port}`,
      'localhost',
    ]) {
      expect({ host, status: (await rawRequest(server.url, { host }, QUERY)).status }).toEqual({ host, status: 200 });
    }
    // A request line in absolute form names another host than the Host header.
    const absolute = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: 'http://evil.example/graphql',
          headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json' },
        },
        (response) => resolve(response.statusCode ?? 0),
      );
      request.on('error', reject);
      request.end(QUERY);
    });
    expect(absolute).toBe(401);
    // Two Host headers: Node reads the first, a proxy in front may route by the other.
    const twoHosts = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\ncontent-type: application/json\r\n` +
            `content-length: ${Buffer.byteLength(QUERY)}\r\nconnection: close\r\n\r\n${QUERY}`,
        );
      });
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('end', () => resolve(answer.split('\r\n')[0]));
      socket.on('error', reject);
    });
    expect(twoHosts).toMatch(/^HTTP\/1\.1 (400|401) /);
  });

  it('serves the playground with its API key field', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    // It keeps a key in the browser: never framed by another page.
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('id="hg-api-key-input"');
    expect(html).toContain("'authorization', 'Bearer ' + key()");
  });
});

describe('a local import while the first key is created', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ label: 'open_import' });
  });
  afterAll(() => server?.stop());

  it('reads no further line once a key exists, as local WebSockets are closed', async () => {
    await post(server.url, 'mutation { upsertCustomer(input: { id: "cust_local", name: "Local" }) { id } }');
    const line = (kind: string, i: number) =>
      `${JSON.stringify({ customerId: 'cust_local', eventType: kind, idempotencyKey: `${kind}-${i}` })}\n`;
    const lines = (kind: string) => Array.from({ length: 10 }, (_, i) => line(kind, i)).join('');
    const request = http.request(server.url.replace(/\/graphql$/, '/ingest/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      request.on('error', reject);
    });
    request.write(lines('before'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await createKey(server, ['admin']);
    request.write(lines('after'));
    const { status, body } = await answer;
    request.destroy();
    expect([status, body.stoppedAfterLine, body.accepted]).toEqual([401, 10, 10]);
  });
});

describe('once every key is revoked', () => {
  let server: TestServer;
  afterAll(() => server?.stop());

  it('admits no key-less local client again: key-less mode ended with the first key, for good', async () => {
    server = await startTestServer({ label: 'all_revoked' });
    const admin = await createKey(server, ['admin']);
    expect((await post(server.url, '{ healthSummary { totalCustomers } }')).status).toBe(401);
    // The admin revokes its own key, the only one.
    const revoked = await post<{ revokeApiKey: { revokedAt: string | null } }>(
      server.url,
      `mutation { revokeApiKey(id: "${admin.id}") { revokedAt } }`,
      undefined,
      admin.key,
    );
    expect(revoked.body.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const keyless = await post(server.url, '{ apiKeys { totalCount } }');
    expect([keyless.status, keyless.body.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const socket = await GraphQLSocket.connect(server.wsUrl);
    expect(await socket.acknowledged()).toEqual({ code: 4401, reason: 'an API key is required' });
    // As does a second instance starting on the same database.
    const second = await startTestServer({ database: server.database });
    try {
      expect((await post(second.url, '{ apiKeys { totalCount } }')).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});

describe('starting up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('startup');
  });
  afterAll(() => database?.drop());

  function start(env: Record<string, string>, lines: string[] = []) {
    const config = readConfig({ PORT: '0', SCORING_INTERVAL_MS: '0', LOG_LEVEL: 'info', ...env });
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    return startApp({ ...config, databaseUrl: database.url }, pino({ level: 'info' }, sink));
  }

  it('says at start-up that local clients are admin while no key exists', async () => {
    const lines: string[] = [];
    const app = await start({ HOST: '127.0.0.1' }, lines);
    await app.stop();
    expect(lines.join('')).toContain('no API key exists: listening on 127.0.0.1 only, and clients on this machine are admin');
  });

  it('prints the address it is bound to, an IPv6 one within brackets, as its URL', async () => {
    const app = await start({ HOST: '::1' });
    try {
      expect(app.url).toMatch(/^http:\/\/\[::1\]:\d+\/graphql$/);
      expect((await post(app.url, '{ __typename }')).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('refuses to listen on another interface without a key, and says how to create one', async () => {
    await expect(start({ HOST: '0.0.0.0' })).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 without an API key.*npm run keys -- create --name admin --scope admin/,
    );
  });

  it('listens on any interface once a key exists, and then needs a key from everyone', async () => {
    const orm = await openDatabase(database.url, 1);
    const { key } = await createApiKey(orm.em.fork() as Db, { name: 'ops', scopes: ['read'] }, { actor: 'cli', clientAddress: null });
    await orm.close();
    const app = await start({ HOST: '0.0.0.0' });
    try {
      const url = app.url.replace('localhost', '127.0.0.1');
      expect((await post(url, '{ healthSummary { totalCustomers } }')).status).toBe(401);
      expect((await post(url, '{ healthSummary { totalCustomers } }', undefined, key)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('says at start-up when every key is revoked that nothing is admitted, and admits no key-less local client', async () => {
    const orm = await openDatabase(database.url, 1);
    await orm.em.getConnection().execute('update api_key set revoked_at = now() where revoked_at is null');
    await orm.close();
    const lines: string[] = [];
    const app = await start({ HOST: '127.0.0.1' }, lines);
    try {
      expect(lines.join('')).toContain('every API key is revoked: no request is admitted until a key is created');
      expect((await post(app.url.replace('localhost', '127.0.0.1'), '{ healthSummary { totalCustomers } }')).status).toBe(401);
    } finally {
      await app.stop();
    }
  });
});

describe('browser origins', () => {
  let server: TestServer;
  let listed: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ label: 'origins' });
    key = (await createKey(server, ['read'])).key;
    listed = await startTestServer({ database: server.database, env: { CORS_ORIGINS: 'https://dash.example.com' } });
  });
  afterAll(async () => {
    await listed?.stop();
    await server?.stop();
  });

  it('refuses a WebSocket upgrade from a foreign page, and accepts its own page and non-browser clients', async () => {
    const own = new URL(server.url);
    expect(await upgradeStatus(server.wsUrl, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(server.wsUrl, { origin: 'null' })).toBe(403);
    expect(await upgradeStatus(server.wsUrl, { origin: own.origin })).toBe(101);
    expect(await upgradeStatus(server.wsUrl, {})).toBe(101);
    // The listed origin is only accepted where it is listed.
    expect(await upgradeStatus(server.wsUrl, { origin: 'https://dash.example.com' })).toBe(403);
    expect(await upgradeStatus(listed.wsUrl, { origin: 'https://dash.example.com' })).toBe(101);
    expect(await upgradeStatus(listed.wsUrl, { origin: 'https://evil.example' })).toBe(403);
  });

  it('refuses HTTP requests from a foreign page before looking at the key', async () => {
    const refused = await rawRequest(server.url, { origin: 'https://evil.example', authorization: `Bearer ${key}` }, QUERY);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('FORBIDDEN');
    const own = await rawRequest(server.url, { origin: new URL(server.url).origin, authorization: `Bearer ${key}` }, QUERY);
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers CORS for the origins of CORS_ORIGINS', async () => {
    const preflight = await rawRequest(
      listed.url,
      {
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
      undefined,
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://dash.example.com',
      'access-control-allow-headers': expect.stringContaining('authorization'),
    });
    const result = await rawRequest(listed.url, { origin: 'https://dash.example.com', authorization: `Bearer ${key}` }, QUERY);
    expect(result.status).toBe(200);
    expect(result.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(result.headers.vary).toContain('Origin');
  });

  it("varies a static file on Origin as well as Accept-Encoding, so that a shared cache keeps no origin's copy for another", async () => {
    // One of the playground's own files (Ruru's script).
    const url = listed.url.replace(/\/graphql$/, '/graphql/ruru-static/ruru.js');
    const answer = await rawRequest(url, { origin: 'https://dash.example.com', 'accept-encoding': 'gzip' }, undefined, 'GET');
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(answer.headers.vary?.split(/,\s*/)).toEqual(expect.arrayContaining(['Origin', 'Accept-Encoding']));
  });

  it('varies a static file on Origin when the request has none, or is from its own page: a shared cache would hand that copy, without CORS headers, to a listed origin', async () => {
    const path = '/graphql/ruru-static/ruru.js';
    const url = listed.url.replace(/\/graphql$/, path);
    for (const headers of [{}, { origin: new URL(listed.url).origin }] as Record<string, string>[]) {
      const answer = await rawRequest(url, { 'accept-encoding': 'gzip', ...headers }, undefined, 'GET');
      expect(answer.status).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(answer.headers.vary?.split(/,\s*/)).toEqual(expect.arrayContaining(['Origin', 'Accept-Encoding']));
    }
    // With no origin listed, no answer has CORS headers, whatever the request's Origin: nothing to vary on.
    const unlisted = await rawRequest(server.url.replace(/\/graphql$/, path), { 'accept-encoding': 'gzip' }, undefined, 'GET');
    expect(unlisted.headers.vary).toBe('Accept-Encoding');
  });

  it('rejects a CORS_ORIGINS entry that is not an origin', () => {
    expect(() => readConfig({ CORS_ORIGINS: 'https://dash.example.com/' })).toThrow(/CORS_ORIGINS/);
    expect(() => readConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
  });
});
