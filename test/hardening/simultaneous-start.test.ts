// Several instances side by side on one database may be started at the same moment (a deployment
// rolling out its replicas together): each runs the migrations on start, and none may fail because
// another was applying them at that instant.
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('simultaneous_start');
});
afterAll(() => database.drop());

it('starts three instances at once on a fresh database, each migrating it, and all of them serve', async () => {
  const started = await Promise.allSettled([1, 2, 3].map(() => startTestServer({ database })));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    expect(
      started.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason)),
    ).toEqual([]);
    for (const server of servers) {
      expect(await server.request('{ customers(first: 1) { totalCount } }')).toEqual({ data: { customers: { totalCount: 0 } } });
    }
    const applied = await sql<{ name: string }>(database, 'select name from mikro_orm_migrations');
    expect(new Set(applied.map((row) => row.name)).size).toBe(applied.length);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
});
