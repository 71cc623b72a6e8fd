// GraphQL responses are never cacheable (the graph declares no cache hints): they say so with
// `cache-control: no-store`, answers with errors included, now that Apollo's cache-control plugin
// (which used to set it) is off.
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ label: 'cache_control' });
});
afterAll(() => server.stop());

async function post(query: string): Promise<Response> {
  return fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
}

describe('GraphQL responses', () => {
  it('carry cache-control: no-store, with or without errors, and their length', async () => {
    const ok = await post('{ customers(first: 1) { edges { cursor } } }');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(Number(ok.headers.get('content-length'))).toBe(Buffer.byteLength(await ok.text()));
    const failed = await post('{ customer(id: "cust_missing") { id } }');
    const body = (await failed.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(failed.headers.get('cache-control')).toBe('no-store');
    const invalid = await post('{ nope }');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('cache-control')).toBe('no-store');
  });
});
