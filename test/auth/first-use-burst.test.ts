// An instance that has just started (or just joined the deployment) has verified no key yet. A
// client already busy elsewhere then sends it many requests at once with one valid key: they cost one
// scrypt and spend one of the address's failed-authentication attempts for that key (given back when
// it matches), not one each, which answered a valid key 429 "too many failed authentications".
import { KeyRegistry } from '../../src/auth/key-registry';
import type { Db } from '../../src/infra/sql';
import { createLogger } from '../../src/infra/logger';
import { createKey, post } from '../helpers/auth';
import { startTestServer, TestServer } from '../helpers/server';

let server: TestServer;
let restarted: TestServer | undefined;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ label: 'first_use_burst', redis: true, env: { AUTH_FAILURE_LIMIT: '3' } });
  admin = (await createKey(server, ['admin'])).key;
});
afterAll(async () => {
  await restarted?.stop();
  await server.stop();
});

it('spends one attempt for requests sent at once with a secret not verified yet, however long spending takes', async () => {
  const { key } = await createKey(server, ['read'], admin);
  const registry = new KeyRegistry(() => server.app.orm.em.fork({ clear: true }) as unknown as Db, 60_000, createLogger('silent'));
  await registry.start();
  try {
    let spent = 0;
    let givenBack = 0;
    // The attempt is counted in Redis: a round trip, during which the other requests arrive.
    const spend = async () => {
      spent++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return async () => void givenBack++;
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => registry.verify(key, spend)));
    expect(results.map((result) => result.principal !== null)).toEqual(results.map(() => true));
    expect({ spent, givenBack }).toEqual({ spent: 1, givenBack: 1 });
  } finally {
    registry.stop();
  }
});

it('answers a burst of requests with a valid key on an instance that has not verified it yet', async () => {
  const { key } = await createKey(server, ['read'], admin, 'burst');
  restarted = await startTestServer({ database: server.database, redis: true, env: { AUTH_FAILURE_LIMIT: '3' } });
  const results = await Promise.all(
    Array.from({ length: 100 }, () => post(restarted!.url, '{ customers(first: 1) { totalCount } }', undefined, key)),
  );
  expect(results.map((result) => result.status)).toEqual(results.map(() => 200));
});
