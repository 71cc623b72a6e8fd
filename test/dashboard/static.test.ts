// The dashboard's files as the service serves them: the page at / (the playground stays at
// /graphql), hashed assets cached for good with their content type, gzip and revalidation, no
// path out of the build folder, and a clear answer when the dashboard was never built.
import http from 'node:http';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DASHBOARD_BUILD_DIR, dashboardStartupLine, serveDashboard } from '../../src/dashboard/static';
import { startTestServer, TestServer } from '../helpers/server';
import { ensureDashboardBuilt } from './browser';

let server: TestServer;
let origin: string;

/** A request with the path sent exactly as written (fetch would normalise `..`). */
function rawRequest(
  port: number,
  method: string,
  requestPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path: requestPath, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  ensureDashboardBuilt();
  server = await startTestServer({ label: 'dashboard_static' });
  origin = new URL(server.url).origin;
}, 180_000);
afterAll(() => server?.stop());

it('serves the dashboard page at / and keeps the playground at /graphql', async () => {
  const page = await fetch(`${origin}/`, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('cache-control')).toBe('no-cache');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await page.text();
  expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
  // Everything the page loads is on this server.
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

  const playground = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
  expect(await playground.text()).toContain('ruru');
});

it("lets the page connect to its own origin only, over HTTP and WebSocket (no other host's ws:)", async () => {
  const page = await fetch(`${origin}/`, { headers: { accept: 'text/html' } });
  const policy = (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => directive.trim());
  expect(policy).toContain("connect-src 'self'");
});

it('lets no other page frame the dashboard (clickjacking): CSP frame-ancestors and X-Frame-Options', async () => {
  const page = await fetch(`${origin}/`, { headers: { accept: 'text/html' } });
  const policy = (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => directive.trim());
  expect(policy).toContain("frame-ancestors 'none'");
  expect(page.headers.get('x-frame-options')).toBe('DENY');
});

it('marks every answer nosniff: GraphQL, CSV exports, refusals and probes as well as the page', async () => {
  const answers = {
    graphql: await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    }),
    graphqlError: await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
    customersCsv: await fetch(`${origin}/export/customers.csv`),
    worklistCsv: await fetch(`${origin}/export/worklist.csv`),
    notFound: await fetch(`${origin}/nowhere`),
    healthz: await fetch(`${origin}/healthz`),
    page: await fetch(`${origin}/`, { headers: { accept: 'text/html' } }),
  };
  const headers = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => [name, [answer.status < 500, answer.headers.get('x-content-type-options')]]),
  );
  expect(headers).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, [true, 'nosniff']])));
  expect(answers.customersCsv.headers.get('content-type')).toMatch(/^text\/csv/);
});

it('serves hashed assets with their content type, cached for good, gzipped and revalidated', async () => {
  const assets = readdirSync(path.join(DASHBOARD_BUILD_DIR, 'assets'));
  const script = assets.find((name) => name.endsWith('.js'))!;
  const style = assets.find((name) => name.endsWith('.css'))!;
  const port = Number(new URL(origin).port);
  const js = await rawRequest(port, 'GET', `/assets/${script}`, { 'accept-encoding': 'gzip' });
  expect(js.status).toBe(200);
  expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(js.headers['content-encoding']).toBe('gzip');
  const css = await rawRequest(port, 'GET', `/assets/${style}`);
  expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  expect(css.headers['content-encoding']).toBeUndefined();
  const again = await rawRequest(port, 'GET', `/assets/${script}`, { 'if-none-match': String(js.headers.etag) });
  expect(again.status).toBe(304);
  const head = await rawRequest(port, 'HEAD', `/assets/${script}`);
  expect(head.status).toBe(200);
  expect(head.body.length).toBe(0);
  expect((await rawRequest(port, 'POST', '/')).status).toBe(405);
});

it('answers 404 for unknown assets and for any path that leaves the build folder', async () => {
  const port = Number(new URL(origin).port);
  for (const attempt of [
    '/assets/missing-abc123.js',
    '/assets/../../package.json',
    '/assets/..%2F..%2Fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/.hidden.js',
    '/assets/index.ts',
  ]) {
    const response = await rawRequest(port, 'GET', attempt);
    expect({ attempt, status: response.status }).toEqual({ attempt, status: 404 });
    expect(response.body.toString()).not.toContain('"name": "healthgraph"');
  }
});

it("refuses, in the dashboard's own check, names that climb out of the build folder (paths as sent, not normalised)", async () => {
  const bare = http.createServer((req, res) => {
    if (!serveDashboard(req.url ?? '/', req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const port = (bare.address() as { port: number }).port;
    // A compiled server file exists there after `npm run build`: reachable if names were not checked.
    for (const attempt of ['/assets/../../../dist/src/main.js', '/assets/..%2F..%2F..%2Fdist%2Fsrc%2Fmain.js', '/assets/.hidden.js']) {
      const response = await rawRequest(port, 'GET', attempt);
      expect({ attempt, status: response.status, body: JSON.parse(response.body.toString()) }).toEqual({
        attempt,
        status: 404,
        body: { errors: [{ message: 'not found', extensions: { code: 'NOT_FOUND' } }] },
      });
    }
  } finally {
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
  }
});

it('says how to build the dashboard when it was never built', async () => {
  const emptyBuild = mkdtempSync(path.join(os.tmpdir(), 'hg-dashboard-empty-'));
  const bare = http.createServer((req, res) => {
    if (!serveDashboard(new URL(req.url ?? '/', 'http://x').pathname, req, res, emptyBuild)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const port = (bare.address() as { port: number }).port;
    const page = await rawRequest(port, 'GET', '/');
    // Not an outage (no 503 and no Retry-After): nothing comes back until someone builds it.
    expect(page.status).toBe(404);
    expect(page.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(page.body.toString())).toEqual({
      errors: [{ message: expect.stringContaining('run `npm run dashboard:build`'), extensions: { code: 'NOT_FOUND' } }],
    });
    expect((await rawRequest(port, 'GET', '/assets/index-abc.js')).status).toBe(404);
    expect((await rawRequest(port, 'GET', '/other')).status).toBe(418);
  } finally {
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
    rmSync(emptyBuild, { recursive: true, force: true });
  }
});

it('says at start-up where the dashboard is, or that it is not built and the command that builds it', () => {
  const emptyBuild = mkdtempSync(path.join(os.tmpdir(), 'hg-dashboard-line-'));
  try {
    expect(dashboardStartupLine('http://127.0.0.1:4000/graphql', emptyBuild)).toBe(
      'dashboard not built: run `npm run dashboard:build`, then open http://127.0.0.1:4000/',
    );
    writeFileSync(path.join(emptyBuild, 'index.html'), '<!doctype html>');
    expect(dashboardStartupLine('http://127.0.0.1:4000/graphql', emptyBuild)).toBe('dashboard at http://127.0.0.1:4000/');
  } finally {
    rmSync(emptyBuild, { recursive: true, force: true });
  }
});
