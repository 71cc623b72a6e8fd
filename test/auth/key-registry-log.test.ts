// The key registry's log: that keys exist is said once at start (by the access control, not by the
// registry's first load as well), and the registry says when the first key appears later.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createApiKey } from '../../src/auth/api-key.service';
import { KeyRegistry } from '../../src/auth/key-registry';
import { openDatabase } from '../../src/database';
import type { Db } from '../../src/infra/sql';
import { createTestDatabase, TestDatabase } from '../helpers/database';

let database: TestDatabase;
let orm: MikroORM;
const lines: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  }),
);

beforeAll(async () => {
  database = await createTestDatabase('key_registry_log');
  orm = await openDatabase(database.url, 2);
}, 60_000);
afterAll(async () => {
  await orm.close();
  await database.drop();
});

it('says nothing of existing keys on its first load, and says when the first key appears later', async () => {
  const registry = new KeyRegistry(() => orm.em.fork() as Db, 3_600_000, logger);
  await registry.start();
  try {
    await createApiKey(orm.em.fork() as Db, { name: 'first', scopes: ['admin'] }, { actor: 'cli', clientAddress: null });
    await registry.refresh();
    expect(lines.filter((line) => line.includes('an API key exists'))).toHaveLength(1);
  } finally {
    registry.stop();
  }
  lines.length = 0;
  const restarted = new KeyRegistry(() => orm.em.fork() as Db, 3_600_000, logger);
  await restarted.start();
  restarted.stop();
  expect(lines.filter((line) => line.includes('an API key exists'))).toEqual([]);
});
