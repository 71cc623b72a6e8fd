// `npm run demo:seed` beside running instances that share Redis: its run as of now decides outreach
// and records its tier changes as published, so its events reach their live subscribers too.
import type { MikroORM } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/database';
import { seedDemo } from '../../src/demo/demo-seed-command';
import { readConfig } from '../../src/infra/config';
import { OnOutreachLoggedDocument } from '../__generated__/graphql';
import { sql } from '../helpers/database';
import { REDIS_URL, startTestServer, TestServer } from '../helpers/server';
import { connect, subscribe } from '../helpers/subscriptions';

let server: TestServer;
let orm: MikroORM;

beforeAll(async () => {
  server = await startTestServer({ label: 'seed_publishes', redis: true, env: { RESCORE_DEBOUNCE_MS: '0' } });
  orm = await openDatabase(server.database.url, 6);
});
afterAll(async () => {
  await orm?.close();
  await server?.stop();
});

it("publishes the seed's run as of now through Redis to the instances' subscribers: the outreach it decides", async () => {
  const client = connect(server.wsUrl);
  const logged = await subscribe(client, OnOutreachLoggedDocument, {});
  try {
    const config = readConfig({ LOG_LEVEL: 'silent', REDIS_URL, SCORING_INTERVAL_MS: '0' });
    await seedDemo(
      orm,
      { ...config, databaseUrl: server.database.url },
      server.database.url,
      { customers: 12, days: 60, seed: 5 },
      () => undefined,
    );
    const decided = await sql<{ customer_id: string; playbook: string }>(
      server.database,
      'select customer_id, playbook from outreach_action order by customer_id, playbook',
    );
    expect(decided.length).toBeGreaterThan(0);
    const received = await logged.waitFor(decided.length, 10_000);
    const key = (customerId: string, playbook: string) => `${customerId} ${playbook}`;
    expect(received.map((event) => key(event.outreachLogged.customerId, event.outreachLogged.playbook)).sort()).toEqual(
      decided.map((row) => key(row.customer_id, row.playbook)).sort(),
    );
  } finally {
    await logged.close();
    await client.dispose();
  }
});
