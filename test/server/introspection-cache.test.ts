// Introspection answered from memory: the same document and variables, whoever asks and over
// whichever transport, walk the schema once; the access checks still run on every request, and an
// operation that selects anything besides introspection runs as always.
import { __Schema, buildSchema, execute, getIntrospectionQuery, GraphQLFieldResolver, parse } from 'graphql';
import { IntrospectionCache } from '../../src/infra/introspection-cache';
import { createKey, GraphQLSocket, post } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

/** How many times graphql's introspection listed a schema's types: once per introspection that ran. */
let listings = 0;
const typesField = __Schema.getFields().types;
const listTypes = typesField.resolve as GraphQLFieldResolver<unknown, unknown>;

let server: TestServer;
let read: string;
let ingest: string;
beforeAll(async () => {
  typesField.resolve = (...args) => {
    listings++;
    return listTypes(...args);
  };
  server = await startTestServer({ label: 'introspection_cache' });
  const admin = (await createKey(server, ['admin'])).key;
  read = (await createKey(server, ['read'], admin)).key;
  ingest = (await createKey(server, ['ingest'], admin)).key;
});
afterAll(async () => {
  typesField.resolve = listTypes;
  await server?.stop();
});

const FULL = getIntrospectionQuery({ descriptions: true });

it('walks the schema once for the same introspection, over HTTP and WebSocket, by any key, and answers each the same', async () => {
  const before = listings;
  const first = await post(server.url, FULL, undefined, ingest);
  expect(first.status).toBe(200);
  expect(first.body.errors).toBeUndefined();
  expect((first.body.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(50);
  expect(listings).toBe(before + 1);
  for (let i = 0; i < 5; i++) expect((await post(server.url, FULL, undefined, i % 2 ? read : ingest)).body).toEqual(first.body);
  const socket = await GraphQLSocket.connect(server.wsUrl, read);
  expect(await socket.acknowledged()).toBe('ack');
  expect(await socket.run('introspection', FULL)).toEqual({ type: 'next', payload: first.body });
  socket.close();
  expect(listings).toBe(before + 1);
  // Another document is another answer: it runs once too.
  const bare = getIntrospectionQuery({ descriptions: false });
  const other = await post(server.url, bare, undefined, read);
  expect(other.body.errors).toBeUndefined();
  expect(other.body).not.toEqual(first.body);
  await post(server.url, bare, undefined, read);
  expect(listings).toBe(before + 2);
});

it('keeps an answer per value of the variables the operation declares', async () => {
  const query = 'query TypeOf($name: String!) { __type(name: $name) { name kind } }';
  const ofType = async (name: string, extra: Record<string, unknown> = {}) =>
    (await post(server.url, query, { name, ...extra }, read)).body.data;
  expect(await ofType('Customer')).toEqual({ __type: { name: 'Customer', kind: 'OBJECT' } });
  expect(await ofType('TierChange')).toEqual({ __type: { name: 'TierChange', kind: 'OBJECT' } });
  expect(await ofType('Customer', { unused: 'x' })).toEqual({ __type: { name: 'Customer', kind: 'OBJECT' } });
  expect(await ofType('Nothing')).toEqual({ __type: null });
  // A variable left out takes its default; sent as null it does not.
  const included = 'query Included($x: Boolean = true) { __schema @include(if: $x) { queryType { name } } }';
  expect((await post(server.url, included, {}, read)).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  expect((await post(server.url, included, { x: false }, read)).body).toEqual({ data: {} });
  expect((await post(server.url, included, { x: null }, read)).body.errors).toHaveLength(1);
});

it('still checks every request first: no key, too many __schema, and a field beside the introspection that the key may not read', async () => {
  await post(server.url, FULL, undefined, read);
  expect((await post(server.url, FULL)).status).toBe(401);
  const twice = await post(server.url, '{ __schema { queryType { name } } s: __schema { types { name } } }', undefined, read);
  expect(twice.body.errors?.[0].extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'introspection' });
  // Not introspection alone: run as any operation, and refused whole for a key without read.
  const mixed = '{ __schema { queryType { name } } healthSummary { totalCustomers } }';
  expect((await post(server.url, mixed, undefined, ingest)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await post(server.url, mixed, undefined, read)).body).toEqual({
    data: { __schema: { queryType: { name: 'Query' } }, healthSummary: { totalCustomers: 0 } },
  });
});

describe('IntrospectionCache', () => {
  const schema = buildSchema('type Query { hello: String }');
  const runs = () => {
    let count = 0;
    const run = (args: Parameters<typeof execute>[0]) => {
      count++;
      return execute(args);
    };
    return { run, count: () => count };
  };

  it('keeps the last 16 introspection answers, forgetting the least recently used', async () => {
    const cache = new IntrospectionCache();
    const counted = runs();
    const executing = cache.executing(counted.run);
    const ask = (n: number) => executing({ schema, document: parse(`query Q${n} { __typename }`) });
    for (let n = 0; n < 17; n++) await ask(n);
    expect(cache.size).toBe(16);
    expect(counted.count()).toBe(17);
    await ask(16);
    expect(counted.count()).toBe(17);
    // The first was forgotten to make room for the seventeenth.
    expect(await ask(0)).toEqual({ data: { __typename: 'Query' } });
    expect(counted.count()).toBe(18);
  });

  it('runs every time what is not introspection alone, a mutation, or an answer with errors', async () => {
    const cache = new IntrospectionCache();
    const counted = runs();
    const executing = cache.executing(counted.run);
    for (const text of ['{ hello }', '{ __typename hello }', 'mutation { __typename }', '{ __type(name: 1) { name } }']) {
      await executing({ schema, document: parse(text) });
      await executing({ schema, document: parse(text) });
    }
    expect(cache.size).toBe(0);
    expect(counted.count()).toBe(8);
  });
});
