// The README's promise that its GraphQL examples run as written: every ```graphql block, in README
// order, against the service seeded with (a small) demo data set, started as `npm start` starts it
// (the periodic scheduler on), with an admin key as the README's "Security" section describes
// (`npm run keys -- create --scope admin`). A block may hold several named operations (run one after
// another, as in the playground); a block whose operations declare variables takes them from the
// ```json block that follows it; a subscription must be accepted over graphql-ws.
import type { CoreServices } from '../../src/context';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createApiKey } from '../../src/auth/api-key.service';
import { buildDemoDataSet } from '../../src/demo/demo-data';
import { loadDemoData, scoreDemoHistory } from '../../src/demo/load-demo-data';
import { readConfig } from '../../src/infra/config';
import { openDatabase } from '../../src/database';
import { createLogger } from '../../src/infra/logger';
import { InProcessPubSub } from '../../src/infra/pubsub';
import type { Db } from '../../src/infra/sql';
import { bearer, GraphQLSocket } from '../helpers/auth';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { ReadmeExample, readmeExamples } from './readme-blocks';

const README = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const EXAMPLES = readmeExamples(README);
/** How long a subscription is watched for a refusal once the server acknowledged the connection. */
const SUBSCRIPTION_WATCH_MS = 500;

let database: TestDatabase;
let server: TestServer;
let adminKey: string;

/** The demo data set, small, loaded and scored the way `npm run demo:seed` does it. */
async function seedDemo(url: string): Promise<void> {
  const orm: MikroORM = await openDatabase(url, 4);
  try {
    const db = orm.em.fork() as Db;
    const config = readConfig({ LOG_LEVEL: 'silent', SCORING_INTERVAL_MS: '0' });
    const services: CoreServices = {
      orm,
      pubsub: new InProcessPubSub(),
      logger: createLogger('silent'),
      config: { ...config, databaseUrl: url },
      onModelActivated: [],
      onFullRunLockLost: [],
    };
    const dataSet = buildDemoDataSet({ customers: 40, days: 60, seed: 1, now: new Date() });
    await loadDemoData(db, dataSet, { concurrency: 2 });
    await scoreDemoHistory(services, db, dataSet);
    adminKey = (await createApiKey(db, { name: 'readme', scopes: ['admin'] }, { actor: 'cli', clientAddress: null })).key;
  } finally {
    await orm.close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase('readme');
  await seedDemo(database.url);
  server = await startTestServer({ database, env: { SCORING_INTERVAL_MS: '3600000' } });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

async function runQueryOrMutation(example: ReadmeExample, operationName: string | undefined): Promise<void> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(adminKey) },
    body: JSON.stringify({ query: example.document, variables: example.variables, operationName }),
  });
  const body = (await response.json()) as { errors?: unknown };
  expect({ operation: operationName, status: response.status, errors: body.errors }).toEqual({
    operation: operationName,
    status: 200,
    errors: undefined,
  });
}

async function runSubscription(example: ReadmeExample, operationName: string | undefined): Promise<void> {
  const socket = await GraphQLSocket.connect(server.wsUrl, adminKey);
  try {
    expect(await socket.acknowledged()).toBe('ack');
    socket.send({ id: '1', type: 'subscribe', payload: { query: example.document, variables: example.variables, operationName } });
    // Accepted means neither refused (`error`), nor answered with errors, nor completed at once.
    const refusal = await socket
      .waitFor(
        (m) =>
          m.id === '1' &&
          (m.type === 'error' || m.type === 'complete' || (m.type === 'next' && JSON.stringify(m.payload).includes('"errors"'))),
        SUBSCRIPTION_WATCH_MS,
      )
      .catch(() => undefined);
    expect({ operation: operationName, refusal }).toEqual({ operation: operationName, refusal: undefined });
  } finally {
    socket.close();
  }
}

it('finds the README examples', () => {
  expect(EXAMPLES.length).toBeGreaterThan(5);
});

describe.each(EXAMPLES.map((example) => [`line ${example.line} (${example.section})`, example] as const))(
  'README %s',
  (_label, example) => {
    it('runs without errors', async () => {
      expect(example.problem).toBeUndefined();
      expect(example.operations.length).toBeGreaterThan(0);
      for (const operation of example.operations) {
        // Several operations in one document are addressed by name; GraphQL refuses an anonymous one beside others.
        const operationName = example.operations.length > 1 ? operation.name : undefined;
        if (operation.type === 'subscription') await runSubscription(example, operationName);
        else await runQueryOrMutation(example, operationName);
      }
    });
  },
);
