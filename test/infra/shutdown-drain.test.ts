// At the end of a shutdown's drain the instance ends its own sessions still at work, so late requests
// roll back and answer 503; background work that marked its transaction (a scoring batch, a
// delivery's outcome) is left to finish, and so is every other instance's session.
import { Client } from 'pg';
import { endBusySessions, MARK_BACKGROUND_WORK } from '../../src/infra/shutdown-drain';
import { createTestDatabase, TestDatabase } from '../helpers/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('shutdown_drain');
});
afterAll(() => database.drop());

/**
 * A session named `name` waiting on a statement: in a transaction (marked as background work first,
 * or not), or alone with the mark in the statement itself (as a delivery's outcome is recorded).
 */
async function busySession(
  name: string,
  kind: 'request' | 'background' | 'background statement',
): Promise<{ client: Client; outcome: Promise<string> }> {
  const client = new Client({ connectionString: database.url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  const statement =
    kind === 'background statement' ? `select 1 from (select ${MARK_BACKGROUND_WORK}) as background, pg_sleep(3)` : 'select pg_sleep(3)';
  if (kind !== 'background statement') await client.query('begin');
  if (kind === 'background') await client.query(`select ${MARK_BACKGROUND_WORK}`);
  const outcome = client.query(statement).then(
    () => 'finished',
    (error: { code?: string }) => `ended (${error.code})`,
  );
  return { client, outcome };
}

it("ends this instance's busy sessions, not its background work's, not another instance's, not its idle ones", async () => {
  const request = await busySession('healthgraph aaaa1111', 'request');
  const background = await busySession('healthgraph aaaa1111', 'background');
  const backgroundStatement = await busySession('healthgraph aaaa1111', 'background statement');
  const otherInstance = await busySession('healthgraph bbbb2222', 'request');
  const idle = new Client({ connectionString: database.url, application_name: 'healthgraph aaaa1111' });
  await idle.connect();
  // Let the statements start.
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(await endBusySessions(database.url, 'healthgraph aaaa1111')).toBe(1);
  expect(await request.outcome).toBe('ended (57P01)');
  expect(await background.outcome).toBe('finished');
  expect(await backgroundStatement.outcome).toBe('finished');
  expect((await backgroundStatement.client.query('show application_name')).rows).toEqual([{ application_name: 'healthgraph aaaa1111' }]);
  expect(await otherInstance.outcome).toBe('finished');
  expect((await idle.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  // The mark lasts the transaction only: the session is named as before once it commits.
  await background.client.query('commit');
  expect((await background.client.query('show application_name')).rows).toEqual([{ application_name: 'healthgraph aaaa1111' }]);
  for (const client of [background.client, backgroundStatement.client, otherInstance.client, idle]) await client.end();
  await request.client.end().catch(() => undefined);
}, 20_000);
