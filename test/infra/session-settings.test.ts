// The database's own DateStyle and time zone change nothing the API answers: every session the
// service opens starts with ISO dates and UTC (src/infra/postgres-session.ts), so instants read back
// as text parse the same, and cursors embedding them are the same, whatever the database's defaults.
import { Client } from 'pg';
import {
  EngagementEventsDocument,
  GetCustomerDocument,
  ListCustomersDocument,
  RefreshHealthScoreDocument,
  TrackEngagementDocument,
  UpsertCustomerDocument,
} from '../__generated__/graphql';
import { sessionOptions, sessionUrl } from '../../src/infra/postgres-session';
import { createTestDatabase, sql, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const base = (server: TestServer): string => server.url.replace(/\/graphql$/, '');

/** The same account history on each server, and what the API answers about it. */
async function observe(server: TestServer): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_march', name: 'March', signedUpAt: '2023-03-01T08:00:00.000Z' } });
  await server.gql(UpsertCustomerDocument, { input: { id: 'cust_1970', name: 'Seventies', signedUpAt: '1970-06-01T00:00:00.000Z' } });
  // A day up to the 12th reads as a month in DMY; Monrovia's offset was −00:44:30 until 1972.
  for (const occurredAt of ['2023-03-10T09:15:30.000Z', '2023-03-25T23:41:00.000Z']) {
    await server.gql(TrackEngagementDocument, { input: { customerId: 'cust_march', eventType: 'login', occurredAt } });
  }
  const input = { customerId: 'cust_1970', eventType: 'login', occurredAt: '1971-06-01T09:15:30.000Z' };
  answers.tracked1971 = await server.gql(TrackEngagementDocument, { input });
  // The bulk import (COPY on connections of its own) of a 1971 event.
  const imported = await fetch(`${base(server)}/ingest/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({ ...input, eventType: 'export', occurredAt: '1971-06-02T10:00:00.000Z' })}\n`,
  });
  answers.imported1971 = [imported.status, ((await imported.json()) as { accepted: number }).accepted];
  answers.events1971 = await server.gql(EngagementEventsDocument, { customerId: 'cust_1970' });
  answers.score1971 = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_1970', asOf: '1971-07-01T00:00:00.000Z' });
  answers.score2023 = await server.gql(RefreshHealthScoreDocument, { customerId: 'cust_march', asOf: '2023-03-26T12:00:00.000Z' });
  answers.customer = await server.gql(GetCustomerDocument, { id: 'cust_march' });
  answers.customer1970 = await server.gql(GetCustomerDocument, { id: 'cust_1970' });

  // A window of events, paged one at a time: the second page starts from the first's cursor.
  const window = { customerId: 'cust_march', from: '2023-03-01T00:00:00.000Z', to: '2023-04-01T00:00:00.000Z', first: 1 };
  const firstPage = await server.gql(EngagementEventsDocument, window);
  const secondPage = await server.gql(EngagementEventsDocument, { ...window, after: firstPage.engagementEvents.pageInfo.endCursor });
  answers.eventWindow = [firstPage, secondPage];
  answers.customers = await server.gql(ListCustomersDocument, { first: 1 });
  answers.changes = await server.gql(
    `{ changes(since: "1970-01-01T00:00:00Z", first: 5) { edges { cursor node { kind at customerId } } } }`,
  );

  const csv = await fetch(`${base(server)}/export/customers.csv`);
  answers.csv = [csv.status, await csv.text()];
  return answers;
}

/** A server on a new database whose defaults are `settings` (ALTER DATABASE … SET). */
async function serverOn(settings: string[]): Promise<TestServer> {
  const database = await createTestDatabase('session_settings');
  for (const setting of settings) await sql(database, `alter database "${database.name}" set ${setting}`);
  return startTestServer({ database });
}

async function observeOn(settings: string[]): Promise<Record<string, unknown>> {
  const server = await serverOn(settings);
  try {
    return await observe(server);
  } finally {
    await server.stop();
    await server.database.drop();
  }
}

it('answers dates, windows, 1971 events and scores, cursors and the CSV export alike whatever the database DateStyle and zone', async () => {
  // One after the other: an instance's import slots are counted per process.
  const utc = await observeOn(["timezone to 'UTC'"]);
  const monrovia = await observeOn(["datestyle to 'SQL, DMY'", "timezone to 'Africa/Monrovia'"]);
  const stJohns = await observeOn(["timezone to 'America/St_Johns'"]);
  expect(utc.customer).toMatchObject({ customer: { signedUpAt: '2023-03-01T08:00:00.000Z', lastActivityAt: '2023-03-25T23:41:00.000Z' } });
  expect(utc.tracked1971).toMatchObject({ trackEngagement: { occurredAt: '1971-06-01T09:15:30.000Z' } });
  expect(utc.score1971).toMatchObject({ refreshHealthScore: { asOf: '1971-07-01T00:00:00.000Z' } });
  expect(utc.imported1971).toEqual([200, 1]);
  expect(utc.csv).toEqual([200, expect.stringContaining('2023-03-25T23:41:00.000Z')]);
  expect(monrovia).toEqual(utc);
  expect(stJohns).toEqual(utc);
}, 120_000);

describe('the session settings', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('session_options');
    await sql(database, `alter database "${database.name}" set datestyle to 'SQL, DMY'`);
    await sql(database, `alter database "${database.name}" set jit to on`);
  });
  afterAll(() => database.drop());

  async function show(url: string, setting: string): Promise<string> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ value: string }>('select current_setting($1) as value', [setting])).rows[0].value;
    } finally {
      await client.end();
    }
  }

  it("hold from a connection's start, over the database's defaults", async () => {
    expect(await show(database.url, 'datestyle')).toBe('SQL, DMY');
    expect(await show(sessionUrl(database.url), 'datestyle')).toBe('ISO, MDY');
    expect(await show(sessionUrl(database.url), 'timezone')).toBe('UTC');
  });

  it('start with JIT compilation off, unless the URL turns it on', async () => {
    expect(await show(database.url, 'jit')).toBe('on');
    expect(await show(sessionUrl(database.url), 'jit')).toBe('off');
    const url = new URL(database.url);
    url.searchParams.set('options', '-c jit=on');
    expect(await show(sessionUrl(url.toString()), 'jit')).toBe('on');
    expect(sessionUrl(sessionUrl(url.toString()))).toBe(sessionUrl(url.toString()));
  });

  it("keep a URL's own options, and win over the same settings given there", async () => {
    const url = new URL(database.url);
    url.searchParams.set('options', '-c TimeZone=Asia/Tokyo -c statement_timeout=1234');
    expect(await show(sessionUrl(url.toString()), 'timezone')).toBe('UTC');
    expect(await show(sessionUrl(url.toString()), 'statement_timeout')).toBe('1234ms');
    expect(sessionUrl(sessionUrl(url.toString()))).toBe(sessionUrl(url.toString()));
    expect(sessionOptions(sessionUrl(database.url))).toBe(sessionOptions(database.url));
  });
});
