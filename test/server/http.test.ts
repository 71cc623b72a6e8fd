// The HTTP surface besides GraphQL POST: health probes, the offline playground, GET queries.
import net from 'node:net';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
const origin = () => new URL(server.url).origin;

beforeAll(async () => {
  server = await startTestServer({ label: 'http', redis: true });
});
afterAll(() => server.stop());

it('answers liveness on /healthz', async () => {
  const response = await fetch(`${origin()}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

it('reports database and Redis readiness on /readyz', async () => {
  // Ready once the Redis connections are up, a moment after start.
  let response = await fetch(`${origin()}/readyz`);
  for (let i = 0; i < 50 && response.status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    response = await fetch(`${origin()}/readyz`);
  }
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ready', checks: { database: true, redis: true, deliveries: true } });
});

it('answers the probes only GET and HEAD: another method is 405 with Allow, as on the other routes that only read', async () => {
  for (const path of ['/healthz', '/readyz']) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await fetch(`${origin()}${path}`, { method });
      expect([path, method, response.status, response.headers.get('allow')]).toEqual([path, method, 405, 'GET, HEAD']);
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
        'METHOD_NOT_ALLOWED',
      );
    }
    const head = await fetch(`${origin()}${path}`, { method: 'HEAD' });
    expect([path, head.status, head.headers.get('content-type')]).toEqual([path, 200, expect.stringContaining('application/json')]);
  }
});

it('serves the offline playground to a browser, with every asset from this server', async () => {
  const response = await fetch(server.url, { headers: { accept: 'text/html,application/xhtml+xml' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/html/);
  const html = await response.text();
  const assetUrls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  expect(assetUrls.length).toBeGreaterThan(0);
  // `data:` is no request at all (the page's empty icon, so that no /favicon.ico is asked for).
  for (const url of assetUrls)
    expect([url, url.startsWith('/') || url.startsWith(origin()) || url.startsWith('data:')]).toEqual([url, true]);
  expect(assetUrls).toContain('data:,');
  expect(html).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[a-z0-9.-]+\.(com|net|org|io|dev)\//i);
  const script = assetUrls.find((url) => url.endsWith('.js'));
  expect(script).toBeDefined();
  const asset = await fetch(new URL(script!, origin()));
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toMatch(/javascript/);
});

it("serves a browser the offline playground for a GraphQL link too (?query=), never Apollo's landing page", async () => {
  const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  for (const url of [server.url, `${server.url}?query=${encodeURIComponent('{ __typename }')}`]) {
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(url, { method, headers: { accept: browser } });
      expect([url, method, response.status, response.headers.get('content-type')]).toEqual([url, method, 200, 'text/html; charset=utf-8']);
      // The page that keeps an API key cannot be framed by another site's.
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      if (method === 'HEAD') continue;
      const html = await response.text();
      expect(html).toContain('/graphql/ruru-static/');
      expect(html).not.toMatch(/apollographql|fonts\.googleapis|unpkg/);
    }
  }
  // A wildcard is no browser asking for a page: it gets a GraphQL answer (JSON), here a 406, its Accept taking no JSON.
  const wildcard = await fetch(server.url, { headers: { accept: 'text/*' } });
  expect([wildcard.status, wildcard.headers.get('content-type')]).toEqual([406, 'application/json; charset=utf-8']);
  expect(((await wildcard.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('BAD_REQUEST');
  // Without a query, a client that accepts JSON gets GraphQL's answer (the document is missing), not a page.
  const bare = await fetch(server.url, { headers: { accept: '*/*', 'apollo-require-preflight': 'true' } });
  expect([bare.status, bare.headers.get('content-type')]).toEqual([400, 'application/json; charset=utf-8']);
});

it('refuses paths outside the playground assets', async () => {
  const response = await fetch(`${origin()}/graphql/ruru-static/..%2F..%2Fpackage.json`);
  expect(response.status).toBe(404);
});

it('answers GraphQL over GET for non-browser clients', async () => {
  const response = await fetch(`${server.url}?query=${encodeURIComponent('{ customers(first: 1) { totalCount } }')}`, {
    headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ data: { customers: { totalCount: 0 } } });
});

it('rejects a body that is not JSON with 400', async () => {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  expect(response.status).toBe(400);
});

describe('with Redis unreachable', () => {
  let degraded: TestServer;
  beforeAll(async () => {
    degraded = await startTestServer({ database: server.database, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => degraded.stop());

  it('stays ready (live events degraded, reported in the body) and keeps answering queries', async () => {
    const ready = await fetch(`${new URL(degraded.url).origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { database: true, redis: false } });
    const result = await degraded.request('{ customers(first: 1) { totalCount } }');
    expect(result.data).toEqual({ customers: { totalCount: 0 } });
  });
});

it('answers another method than GET or POST on /graphql 405 with Allow, whatever its headers (not as a forgery)', async () => {
  const query = `?query=${encodeURIComponent('{ __typename }')}`;
  for (const [method, headers] of [
    ['DELETE', {}],
    ['PUT', { 'content-type': 'application/json' }],
    ['PATCH', {}],
    ['HEAD', { accept: 'application/json' }],
  ] as const) {
    const response = await fetch(`${server.url}${query}`, { method, headers });
    expect([method, response.status, response.headers.get('allow')]).toEqual([method, 405, 'GET, POST, OPTIONS']);
    if (method !== 'HEAD')
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe(
        'METHOD_NOT_ALLOWED',
      );
  }
});

/** One raw HTTP/1.1 exchange: what the server wrote before it closed the connection. */
function rawExchange(request: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

it('answers a request the HTTP parser refuses (a URL too long, a malformed request) with a GraphQL error, not a bare status', async () => {
  const cases = [
    [`GET /graphql?query=${'%7B__typename%7D'.repeat(2000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 431, 'BAD_REQUEST'],
    ['NOT-HTTP\r\n\r\n', 400, 'BAD_REQUEST'],
  ] as const;
  for (const [request, status, code] of cases) {
    const answer = await rawExchange(request);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/content-type: application\/json/i);
    expect(head).toMatch(/x-request-id: /i);
    expect(head).toMatch(/x-content-type-options: nosniff/i);
    const parsed = JSON.parse(body) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(parsed.errors[0].extensions.code).toBe(code);
  }
  // The server goes on answering.
  expect((await fetch(`${origin()}/healthz`)).status).toBe(200);
});
